"""finance speed

Two small partial indexes for the KPIs' supplier OTIF read (``scoring_queries.otif_deliveries``),
which looks only at order lines with a promised delivery: the order lines that hold a promise, and
the receipt lines that do (by receipt, so the window's receipts find them). Lines without a
promise are not in them, so where few lines carry a promise the read is a few index entries
instead of a scan of every order line and receipt line (docs/performance.md, "Reports at a
million ledger rows"). Neither index is on the ledger: a stock posting writes neither table.

The ledger's ``posted_at`` index is left as it is: carrying the reports' columns in it
(``INCLUDE``) made every posting write a wider entry, and ``bench/ledger.py`` at 8 clients lost
about a sixth of its rate with it, for some 20-40 ms on the KPI and spend reports
(docs/performance.md).

Revision ID: 0011_finance_speed
Revises: 0010_report_speed
Create Date: 2026-12-07 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_finance_speed"
down_revision = "0010_report_speed"
branch_labels = None
depends_on = None

PROMISED = sa.text("promised_date IS NOT NULL")


def upgrade():
    with op.batch_alter_table("purchase_order_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_order_line_promised", ["id"],
            postgresql_where=PROMISED, sqlite_where=PROMISED,
        )  # fmt: skip
    with op.batch_alter_table("goods_receipt_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_goods_receipt_line_promised", ["receipt_id", "po_line_id"],
            postgresql_where=PROMISED, sqlite_where=PROMISED,
        )  # fmt: skip


def downgrade():
    with op.batch_alter_table("goods_receipt_line", schema=None) as batch_op:
        batch_op.drop_index("ix_goods_receipt_line_promised")
    with op.batch_alter_table("purchase_order_line", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_line_promised")
