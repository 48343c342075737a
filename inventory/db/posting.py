"""A posted stock document's writes in one PostgreSQL statement.

Once its balance rows are locked and its entries valued, a posting writes five tables: the
document, its lines, the ledger entries, the balances and the audit event. As separate statements
that is five round trips, each with its share of driver and SQLAlchemy work; here it is one:
data-modifying CTEs, the rows passed as array literals and unnested, sent to the driver
directly (``inventory.db.driver``). Every CTE runs in the same statement
and transaction, and the foreign keys are checked at its end, so the lines can name the document
and the ledger the lines inserted beside them. SQLite has no data-modifying CTEs; there the
service writes the same rows a table at a time.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from inventory.db import driver
from inventory.db.audit_rows import audit_params
from inventory.db.types import Money, Quantity, UnitCost
from inventory.domain.documents import Entry, LineIn
from inventory.domain.valuation import Balance, Key

_WRITE = """
WITH document AS (
    INSERT INTO stock_document (type, status, warehouse_id, to_warehouse_id, reference, source,
                                created_by, created_at, posted_by, posted_at)
    VALUES (%(type)s, 'posted', %(warehouse_id)s, %(to_warehouse_id)s, %(reference)s, %(source)s,
            %(actor_id)s, %(now)s, %(actor_id)s, %(now)s)
    RETURNING id
), line AS (
    INSERT INTO stock_document_line (document_id, line_no, item_id, quantity, unit_cost)
    SELECT document.id, l.line_no, l.item_id, l.quantity, l.unit_cost
    FROM document,
         unnest(CAST(%(line_no)s AS int[]), CAST(%(line_item)s AS int[]),
                CAST(%(line_quantity)s AS bigint[]), CAST(%(line_cost)s AS bigint[]))
             AS l(line_no, item_id, quantity, unit_cost)
    RETURNING id, line_no
), entry AS (
    INSERT INTO stock_ledger (document_id, line_id, item_id, warehouse_id, quantity, unit_cost,
                              value, balance_quantity, balance_value, reversal, actor_id,
                              posted_at)
    SELECT document.id, line.id, e.item_id, e.warehouse_id, e.quantity, e.unit_cost, e.value,
           e.balance_quantity, e.balance_value, false, %(actor_id)s, %(now)s
    FROM document,
         unnest(CAST(%(entry_line_no)s AS int[]), CAST(%(entry_item)s AS int[]),
                CAST(%(entry_warehouse)s AS int[]), CAST(%(entry_quantity)s AS bigint[]),
                CAST(%(entry_cost)s AS bigint[]), CAST(%(entry_value)s AS bigint[]),
                CAST(%(entry_balance_quantity)s AS bigint[]),
                CAST(%(entry_balance_value)s AS bigint[]))
             WITH ORDINALITY
             AS e(line_no, item_id, warehouse_id, quantity, unit_cost, value, balance_quantity,
                  balance_value, n)
         JOIN line ON line.line_no = e.line_no
    -- ledger ids follow the entries' order: two entries for one balance must read in turn
    ORDER BY e.n
), balance AS (
    UPDATE stock_balance b SET quantity = v.quantity, value = v.value
    FROM unnest(CAST(%(balance_item)s AS int[]), CAST(%(balance_warehouse)s AS int[]),
                CAST(%(balance_quantity)s AS bigint[]), CAST(%(balance_value)s AS bigint[]))
             AS v(item_id, warehouse_id, quantity, value)
    WHERE b.item_id = v.item_id AND b.warehouse_id = v.warehouse_id
), audit AS (
    INSERT INTO audit_event (at, actor_id, action, entity_type, entity_id, before, after,
                             request_id)
    SELECT %(audit_at)s, %(audit_actor_id)s, %(audit_action)s, %(audit_entity_type)s,
           CAST(document.id AS text), CAST(%(audit_before)s AS json), CAST(%(audit_after)s AS json),
           %(audit_request_id)s
    FROM document
)
SELECT document.id, array_agg(line.id ORDER BY line.line_no) FROM document, line
GROUP BY document.id
"""


# The arrays carry what the fixed-point columns store: the scaled integers, rounded as they round.
_qty, _cost, _value = (t.process_bind_param for t in (Quantity(), UnitCost(), Money()))


def write_posted(
    session: Session,
    document: dict,
    lines: list[LineIn],
    entries: list[Entry],
    balances: dict[Key, Balance],
    audit_event: dict,
) -> tuple[int, list[int]]:
    """Insert the posted ``document`` (its columns), ``lines``, ``entries`` and ``audit_event``
    (its columns; the entity id is the new document's), and set ``balances`` (locked by this
    transaction already); return the document's id and its lines' ids in line order."""
    keys = sorted(balances)
    ints = driver.int_array
    balance_items, balance_warehouses = driver.key_arrays(keys)
    row = driver.execute(
        session,
        _WRITE,
        {
            "type": document["type"],
            "warehouse_id": document["warehouse_id"],
            "to_warehouse_id": document["to_warehouse_id"],
            "reference": document["reference"],
            "source": document["source"],
            "actor_id": document["created_by"],
            "now": document["created_at"],
            "line_no": ints(range(1, len(lines) + 1)),
            "line_item": ints(x.item_id for x in lines),
            "line_quantity": ints(_qty(x.quantity, None) for x in lines),
            "line_cost": ints(_cost(x.unit_cost, None) for x in lines),
            "entry_line_no": ints(e.line_index + 1 for e in entries),
            "entry_item": ints(e.key[0] for e in entries),
            "entry_warehouse": ints(e.key[1] for e in entries),
            "entry_quantity": ints(_qty(e.movement.quantity, None) for e in entries),
            "entry_cost": ints(_cost(e.movement.unit_cost, None) for e in entries),
            "entry_value": ints(_value(e.movement.value, None) for e in entries),
            "entry_balance_quantity": ints(_qty(e.movement.after.quantity, None) for e in entries),
            "entry_balance_value": ints(_value(e.movement.after.value, None) for e in entries),
            "balance_item": balance_items,
            "balance_warehouse": balance_warehouses,
            "balance_quantity": ints(_qty(balances[k].quantity, None) for k in keys),
            "balance_value": ints(_value(balances[k].value, None) for k in keys),
            # the entity id is the new document's
            **audit_params(audit_event, without=("entity_id",)),
        },
    ).fetchone()
    return row[0], row[1]
