"""valuation

An item's valuation method (moving_average | fifo); FIFO cost layers and their consumptions
(append-only, as the ledger); closed accounting periods with their snapshots of balances and
of FIFO layers.

Revision ID: 0007_valuation
Revises: 0006_item_classes
Create Date: 2026-12-08 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_valuation'
down_revision = '0006_item_classes'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valuation_method', sa.String(length=20), server_default='moving_average', nullable=False))

    op.create_table('fifo_layer',
    sa.Column('id', BigId, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', BigId, nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('remaining_quantity', sa.BigInteger(), nullable=False),
    sa.Column('remaining_value', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('remaining_quantity >= 0', name=op.f('ck_fifo_layer_remaining_not_negative')),
    sa.ForeignKeyConstraint(['entry_id'], ['stock_ledger.id'], name=op.f('fk_fifo_layer_entry_id_stock_ledger')),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_fifo_layer_item_id_item')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_fifo_layer_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fifo_layer'))
    )
    with op.batch_alter_table('fifo_layer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fifo_layer_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_fifo_layer_item_wh', ['item_id', 'warehouse_id', 'id'], unique=False)

    op.create_table('fifo_consumption',
    sa.Column('id', BigId, nullable=False),
    sa.Column('entry_id', BigId, nullable=False),
    sa.Column('layer_id', BigId, nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['stock_ledger.id'], name=op.f('fk_fifo_consumption_entry_id_stock_ledger')),
    sa.ForeignKeyConstraint(['layer_id'], ['fifo_layer.id'], name=op.f('fk_fifo_consumption_layer_id_fifo_layer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fifo_consumption'))
    )
    with op.batch_alter_table('fifo_consumption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fifo_consumption_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fifo_consumption_layer_id'), ['layer_id'], unique=False)

    op.create_table('accounting_period',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], name=op.f('fk_accounting_period_closed_by_app_user')),
    sa.PrimaryKeyConstraint('period', name=op.f('pk_accounting_period'))
    )
    op.create_table('period_balance',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['item.id'], name=op.f('fk_period_balance_item_id_item')),
    sa.ForeignKeyConstraint(['period'], ['accounting_period.period'], name=op.f('fk_period_balance_period_accounting_period'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.id'], name=op.f('fk_period_balance_warehouse_id_warehouse')),
    sa.PrimaryKeyConstraint('period', 'item_id', 'warehouse_id', name=op.f('pk_period_balance'))
    )
    op.create_table('period_layer',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('layer_id', BigId, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('remaining_quantity', sa.BigInteger(), nullable=False),
    sa.Column('remaining_value', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['layer_id'], ['fifo_layer.id'], name=op.f('fk_period_layer_layer_id_fifo_layer')),
    sa.ForeignKeyConstraint(['period'], ['accounting_period.period'], name=op.f('fk_period_layer_period_accounting_period'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('period', 'layer_id', name=op.f('pk_period_layer'))
    )
    _append_only_up()


def _append_only_up():
    # Consumptions are history, as the ledger is (0001 made refuse_history_change()).
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER fifo_consumption_no_{action.lower()} BEFORE {action}
                ON fifo_consumption
                BEGIN SELECT RAISE(ABORT, 'fifo_consumption is append-only'); END;
            """)
    elif dialect == "postgresql":
        op.execute("""
            CREATE TRIGGER fifo_consumption_append_only
            BEFORE UPDATE OR DELETE OR TRUNCATE ON fifo_consumption
            FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
        """)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS fifo_consumption_no_{action}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS fifo_consumption_append_only ON fifo_consumption")
    op.drop_table('period_layer')
    op.drop_table('period_balance')
    op.drop_table('accounting_period')
    with op.batch_alter_table('fifo_consumption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fifo_consumption_layer_id'))
        batch_op.drop_index(batch_op.f('ix_fifo_consumption_entry_id'))
    op.drop_table('fifo_consumption')
    with op.batch_alter_table('fifo_layer', schema=None) as batch_op:
        batch_op.drop_index('ix_fifo_layer_item_wh')
        batch_op.drop_index(batch_op.f('ix_fifo_layer_entry_id'))
    op.drop_table('fifo_layer')
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_column('valuation_method')
