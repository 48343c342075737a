"""finance speed

Two small partial indexes for the KPIs' supplier OTIF read (``scoring_queries.otif_deliveries``),
which looks only at order lines with a promised delivery: the order lines that hold a promise, and
the receipt lines that do (by receipt, so the window's receipts find them). Lines without a
promise are not in them, so where few lines carry a promise the read is a few index entries
instead of a scan of every order line and receipt line (docs/performance.md, "Reports at a
million ledger rows"). Neither index is on the ledger: a stock posting writes neither table.

On PostgreSQL the ledger's ``posted_at`` index carries the columns the window reads of the KPIs
(opening value and consumption: value, quantity, document), of received spend (value, document
line) and of the stock value trend take from a window of the ledger (``INCLUDE``, not keys): an
index-only scan of the window's entries instead of a scan of every ledger row, where the rows
are not stored in time order. Every ledger row already had an entry in it; the entry is wider
(``bench/ledger.py --clients 1,8`` before and after: docs/performance.md).

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
WINDOW_READS = ["value", "quantity", "document_id", "line_id"]


def _posted_at_index(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite has no INCLUDE; its index stays as it is
    op.drop_index("ix_stock_ledger_posted_at", table_name="stock_ledger")
    op.create_index(
        "ix_stock_ledger_posted_at", "stock_ledger", ["posted_at"], postgresql_include=include
    )


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
    _posted_at_index(WINDOW_READS)


def downgrade():
    _posted_at_index([])
    with op.batch_alter_table("goods_receipt_line", schema=None) as batch_op:
        batch_op.drop_index("ix_goods_receipt_line_promised")
    with op.batch_alter_table("purchase_order_line", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_line_promised")
