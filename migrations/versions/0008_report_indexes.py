"""report indexes

Indexes the finance and stock-health reports read through at a million ledger rows
(bench/reports.py): the inbound ledger rows per item and warehouse, newest first, with what
ageing needs from them (an index-only scan instead of a heap visit per ledger row); the rows
that leave a balance at zero, which the stock-out KPI reads instead of the whole ledger.

Revision ID: 0008_report_indexes
Revises: 0007_valuation
Create Date: 2026-12-07 00:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_report_indexes'
down_revision = '0007_valuation'
branch_labels = None
depends_on = None

INBOUND = sa.text('quantity > 0 AND NOT reversal')
AT_ZERO = sa.text('balance_quantity = 0')


def upgrade():
    with op.batch_alter_table('stock_ledger', schema=None) as batch_op:
        batch_op.create_index(
            'ix_stock_ledger_inbound', ['item_id', 'warehouse_id', 'posted_at', 'id'],
            unique=False, postgresql_include=['quantity', 'document_id'],
            postgresql_where=INBOUND, sqlite_where=INBOUND,
        )
        batch_op.create_index(
            'ix_stock_ledger_zero', ['posted_at'], unique=False,
            postgresql_include=['item_id', 'warehouse_id', 'id'],
            postgresql_where=AT_ZERO, sqlite_where=AT_ZERO,
        )


def downgrade():
    with op.batch_alter_table('stock_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_ledger_zero')
        batch_op.drop_index('ix_stock_ledger_inbound')
