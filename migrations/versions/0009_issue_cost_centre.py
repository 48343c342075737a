"""issue cost centre

An issue document may name the cost centre it is charged to (``stock_document.cost_centre_id``,
nullable: other documents and issues without one leave it empty), so the cost of goods issued
reports by cost centre; a reversal belongs to the same document, so it nets out there too.

``purchase_order_budget_flag``: one row each time a direct order's budget check lets it through
over a budget that flags (on creation, and again when it is sent), with the order's amount in
base currency, what the budget had left just before it, who and when; append-only, read by the
exceptions report.

Revision ID: 0009_issue_cost_centre
Revises: 0008_report_indexes
Create Date: 2026-12-07 03:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_issue_cost_centre'
down_revision = '0008_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    # As 0005 did for purchase_order: no batch mode, SQLite adds a nullable column with its
    # REFERENCES clause in place (no table rebuild of the busiest table but the ledger).
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE stock_document ADD COLUMN cost_centre_id INTEGER '
            'CONSTRAINT fk_stock_document_cost_centre_id_cost_centre REFERENCES cost_centre (id)'
        )
    else:
        op.add_column('stock_document', sa.Column('cost_centre_id', sa.Integer(), nullable=True))
        op.create_foreign_key(
            'fk_stock_document_cost_centre_id_cost_centre',
            'stock_document', 'cost_centre', ['cost_centre_id'], ['id'],
        )

    op.create_table(
        'purchase_order_budget_flag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('budget_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=10), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.Column('budget_left', sa.BigInteger(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['order_id'], ['purchase_order.id'],
            name=op.f('fk_purchase_order_budget_flag_order_id_purchase_order'),
        ),
        sa.ForeignKeyConstraint(
            ['budget_id'], ['budget.id'], name=op.f('fk_purchase_order_budget_flag_budget_id_budget')
        ),
        sa.ForeignKeyConstraint(
            ['actor_id'], ['app_user.id'],
            name=op.f('fk_purchase_order_budget_flag_actor_id_app_user'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_budget_flag')),
    )
    with op.batch_alter_table('purchase_order_budget_flag', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_purchase_order_budget_flag_order_id'), ['order_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_purchase_order_budget_flag_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('purchase_order_budget_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_budget_flag_at'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_budget_flag_order_id'))
    op.drop_table('purchase_order_budget_flag')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(
            'fk_stock_document_cost_centre_id_cost_centre', 'stock_document', type_='foreignkey'
        )
    op.drop_column('stock_document', 'cost_centre_id')
