"""item classes and cycle counts

Each item's kept ABC class (consumption value) and XYZ class (variability of monthly demand),
refreshed by the ``classify-items`` job; the cycle counts the ``cycle-counts`` job opened, one per
warehouse and day at most (the job is idempotent per day).

Revision ID: 0006_item_classes
Revises: 0005_po_cost_centre
Create Date: 2026-12-08 00:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_item_classes'
down_revision = '0005_po_cost_centre'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('item_class',
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('abc_class', sa.String(length=1), nullable=False),
    sa.Column('xyz_class', sa.String(length=1), nullable=False),
    sa.Column('consumption_value', sa.BigInteger(), nullable=False),
    sa.Column('annual_quantity', sa.BigInteger(), nullable=False),
    sa.Column('demand_cv', sa.BigInteger(), nullable=True),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_item_class_item_id_item')),
    sa.PrimaryKeyConstraint('item_id', name=op.f('pk_item_class'))
    )
    op.create_table('cycle_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('stocktake_id', sa.Integer(), nullable=True),
    sa.Column('due_items', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_cycle_count_stocktake_id_stocktake')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_cycle_count_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cycle_count')),
    sa.UniqueConstraint('day', 'warehouse_id', name='uq_cycle_count_day')
    )


def downgrade():
    op.drop_table('cycle_count')
    op.drop_table('item_class')
