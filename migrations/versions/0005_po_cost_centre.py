"""po cost centre

A direct purchase order names the cost centre it is bought for, so it counts against that
centre's budget (orders from requests take the centre of their requests and leave it empty). The
index on goods_receipt.stock_document_id lets the spend report go from a receipt's ledger rows
to its receipt without a scan.

Revision ID: 0005_po_cost_centre
Revises: 0004_replenishment
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_po_cost_centre'
down_revision = '0004_replenishment'
branch_labels = None
depends_on = None


def upgrade():
    # No batch mode: SQLite adds a nullable column with its REFERENCES clause in place, and
    # rebuilding the table would trip over its expression indexes.
    if op.get_bind().dialect.name == 'sqlite':
        # Alembic will not add a constraint on SQLite; SQLite itself takes a named column
        # constraint in ADD COLUMN.
        op.execute(
            'ALTER TABLE purchase_order ADD COLUMN cost_centre_id INTEGER '
            'CONSTRAINT fk_purchase_order_cost_centre_id_cost_centre REFERENCES cost_centre (id)'
        )
    else:
        op.add_column('purchase_order', sa.Column('cost_centre_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            'fk_purchase_order_cost_centre_id_cost_centre',
            'purchase_order', 'cost_centre', ['cost_centre_id'], ['id'],
        )
    op.create_index('ix_purchase_order_cost_centre_id', 'purchase_order', ['cost_centre_id'])
    op.create_index(
        'ix_goods_receipt_stock_document_id', 'goods_receipt', ['stock_document_id']
    )


def downgrade():
    op.drop_index('ix_goods_receipt_stock_document_id', table_name='goods_receipt')
    op.drop_index('ix_purchase_order_cost_centre_id', table_name='purchase_order')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(
            'fk_purchase_order_cost_centre_id_cost_centre', 'purchase_order', type_='foreignkey'
        )
    op.drop_column('purchase_order', 'cost_centre_id')
