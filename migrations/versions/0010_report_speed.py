"""report speed

Each goods receipt line names the stock document line its accepted quantity became
(``stock_document_line_id``; NULL when nothing was accepted), written with the receipt. The spend
and price-variance reports join a receipt's ledger rows to their order lines through it instead
of matching by position (the receipt's n-th line with an accepted quantity is the document's
line n), which made PostgreSQL hash every stock document line (docs/performance.md, "Reports at
a million ledger rows"). Existing receipts get the link by that same position rule.

The ledger's (item, warehouse, posted_at) index takes the row id as a last key column, so the
stock-out KPI's probe for a zero row's next row (ties of posted_at broken by id) is answered
from the index alone, without a visit to the table per probe.

Revision ID: 0010_report_speed
Revises: 0009_issue_cost_centre
Create Date: 2026-12-07 03:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_report_speed"
down_revision = "0009_issue_cost_centre"
branch_labels = None
depends_on = None

# the naming convention's name would pass PostgreSQL's 63 characters
FK = "fk_goods_receipt_line_stock_document_line_id"

# The position rule the reports used until now, once for every receipt line written before.
BACKFILL = sa.text("""
UPDATE goods_receipt_line SET stock_document_line_id = linked.document_line_id
FROM (
    SELECT numbered.id, dl.id AS document_line_id
    FROM (
        SELECT grl.id, gr.stock_document_id,
               row_number() OVER (PARTITION BY grl.receipt_id ORDER BY grl.id) AS line_no
        FROM goods_receipt_line grl
        JOIN goods_receipt gr ON gr.id = grl.receipt_id
        WHERE grl.accepted > 0 AND gr.stock_document_id IS NOT NULL
    ) numbered
    JOIN stock_document_line dl
      ON dl.document_id = numbered.stock_document_id AND dl.line_no = numbered.line_no
) linked
WHERE goods_receipt_line.id = linked.id
""")


def upgrade():
    # As 0005: no batch mode on SQLite (a table rebuild trips over its expression indexes);
    # SQLite takes a named column constraint in ADD COLUMN.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE goods_receipt_line ADD COLUMN stock_document_line_id INTEGER "
            f"CONSTRAINT {FK} REFERENCES stock_document_line (id)"
        )
    else:
        op.add_column(
            "goods_receipt_line",
            sa.Column("stock_document_line_id", sa.BigInteger(), nullable=True),
        )
        op.create_foreign_key(
            FK, "goods_receipt_line", "stock_document_line", ["stock_document_line_id"], ["id"]
        )
    op.execute(BACKFILL)
    with op.batch_alter_table("stock_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_ledger_item_wh_posted")
        batch_op.create_index(
            "ix_stock_ledger_item_wh_posted", ["item_id", "warehouse_id", "posted_at", "id"]
        )


def downgrade():
    with op.batch_alter_table("stock_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_ledger_item_wh_posted")
        batch_op.create_index(
            "ix_stock_ledger_item_wh_posted", ["item_id", "warehouse_id", "posted_at"]
        )
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK, "goods_receipt_line", type_="foreignkey")
    op.drop_column("goods_receipt_line", "stock_document_line_id")
