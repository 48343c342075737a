"""control: budget left on flagged requests, cost centre on stocktakes

``purchase_request.budget_left``: what the request's budget had left (budget − committed
without the request) at the moment its final approval let it through over a budget that flags,
so the exceptions report shows it for requests as it does for direct orders. Requests flagged
before this migration keep NULL: the figure was never stored, and nothing here guesses it.

``stocktake.cost_centre_id``: the optional cost centre a stocktake's write-offs are charged to
(as ERPNext's stock reconciliation carries a cost center); its adjustment documents take it, so
the cost of goods issued shows their shortages under that centre.

Revision ID: 0011b_control_centres
Revises: 0011_finance_speed
Create Date: 2026-12-07 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011b_control_centres"
down_revision = "0011_finance_speed"
branch_labels = None
depends_on = None

FK = "fk_stocktake_cost_centre_id_cost_centre"


def upgrade():
    op.add_column("purchase_request", sa.Column("budget_left", sa.BigInteger(), nullable=True))
    # As 0009 did for stock_document: SQLite adds a nullable column with its REFERENCES clause in
    # place, without batch mode's table rebuild.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE stocktake ADD COLUMN cost_centre_id INTEGER "
            f"CONSTRAINT {FK} REFERENCES cost_centre (id)"
        )
    else:
        op.add_column("stocktake", sa.Column("cost_centre_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FK, "stocktake", "cost_centre", ["cost_centre_id"], ["id"])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a column a foreign key names; batch mode rebuilds the table.
        with op.batch_alter_table("stocktake") as batch_op:
            batch_op.drop_column("cost_centre_id")
    else:
        op.drop_constraint(FK, "stocktake", type_="foreignkey")
        op.drop_column("stocktake", "cost_centre_id")
    op.drop_column("purchase_request", "budget_left")
