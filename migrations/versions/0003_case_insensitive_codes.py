"""case-insensitive codes

SKUs and the codes of warehouses, suppliers and cost centres are unique whatever their case:
``bolt-m8`` beside ``BOLT-M8`` would be two records a person reads as one. A unique index on
``lower(code)`` holds on SQLite and PostgreSQL alike (both index expressions); the services check
first, so a conflict normally gets a 409 naming the record that holds the code, and the index
turns a concurrent twin into a 409 too.

Existing case twins are not merged or renamed here (which one is right is a person's call, and
stock, orders and history point at both): the upgrade stops before changing anything and lists
them, and is run again once they are renamed (see docs/operations.md).

Revision ID: 0003_case_insensitive_codes
Revises: 0002_procurement
Create Date: 2026-12-06 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_case_insensitive_codes'
down_revision = '0002_procurement'
branch_labels = None
depends_on = None

# (table, code column, index name)
CODES = (
    ('item', 'sku', 'uq_item_sku_ci'),
    ('warehouse', 'code', 'uq_warehouse_code_ci'),
    ('supplier', 'code', 'uq_supplier_code_ci'),
    ('cost_centre', 'code', 'uq_cost_centre_code_ci'),
)


class CaseTwinsFound(RuntimeError):
    """Codes that differ only by case exist; rename them, then upgrade again."""


def _case_twins(connection) -> list[str]:
    found = []
    for table, column, _ in CODES:
        rows = connection.execute(
            sa.text(
                f'SELECT id, {column} FROM {table} WHERE lower({column}) IN '
                f'(SELECT lower({column}) FROM {table} GROUP BY lower({column}) '
                f'HAVING COUNT(*) > 1) ORDER BY lower({column}), id'
            )
        ).all()
        found += [f'{table} {row[0]}: {row[1]!r}' for row in rows]
    return found


def upgrade():
    twins = _case_twins(op.get_bind())
    if twins:
        raise CaseTwinsFound(
            'Some codes differ only by case, so they cannot be made unique ignoring case. '
            'Nothing was changed. Rename all but one of each group (PATCH the record, e.g. '
            'add a suffix), then run "flask db upgrade" again:\n  ' + '\n  '.join(twins)
        )
    for table, column, name in CODES:
        op.create_index(name, table, [sa.text(f'lower({column})')], unique=True)


def downgrade():
    for table, _, name in reversed(CODES):
        op.drop_index(name, table_name=table)
