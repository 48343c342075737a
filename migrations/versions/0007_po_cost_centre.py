"""po cost centre

A direct purchase order names the cost centre it is bought for, so it counts against that
centre's budget (orders from requests take the centre of their requests and leave it empty). The
index on goods_receipt.stock_document_id lets the spend report go from a receipt's ledger rows
to its receipt without a scan.

Revision ID: 0007_po_cost_centre
Revises: 0004_replenishment
Create Date: 2026-12-07 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_po_cost_centre'
down_revision = '0004_replenishment'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_centre_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            'fk_purchase_order_cost_centre_id_cost_centre', 'cost_centre', ['cost_centre_id'], ['id']
        )
        batch_op.create_index('ix_purchase_order_cost_centre_id', ['cost_centre_id'], unique=False)
    with op.batch_alter_table('goods_receipt', schema=None) as batch_op:
        batch_op.create_index(
            'ix_goods_receipt_stock_document_id', ['stock_document_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('goods_receipt', schema=None) as batch_op:
        batch_op.drop_index('ix_goods_receipt_stock_document_id')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_index('ix_purchase_order_cost_centre_id')
        batch_op.drop_constraint('fk_purchase_order_cost_centre_id_cost_centre', type_='foreignkey')
        batch_op.drop_column('cost_centre_id')
