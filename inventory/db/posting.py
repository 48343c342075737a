"""The one writer of stock documents, their ledger entries and the balances they move.

``write_document`` inserts a new document (draft or posted) with its lines, its entries and
balances when it is posted, and its audit event; ``write_entries`` writes the ledger entries and
balances of a document already there (a draft being posted, or a posted one being reversed).
Each picks its dialect inside, so no caller asks which database it runs on.

On PostgreSQL a document posted as it is created is one statement. Once its balance rows are
locked and its entries valued, a posting writes five tables: the document, its lines, the ledger
entries, the balances and the audit event. As separate statements that is five round trips, each
with its share of driver and SQLAlchemy work; here it is one: data-modifying CTEs, the rows
passed as array literals and unnested, sent to the driver directly (``inventory.db.driver``).
Every CTE runs in the same statement and transaction, and the foreign keys are checked at its
end, so the lines can name the document and the ledger the lines inserted beside them. SQLite has
no data-modifying CTEs; there (and for drafts, draft postings and reversals on both) the same rows
are written a table at a time, by statements built once on the Core tables.

FIFO items' cost layers (``fifo_layers``) are written here too, beside the entries that make or
consume them; a document that touches one takes the table-at-a-time path on both databases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from inventory.db import driver, fifo_layers
from inventory.db.audit_rows import INSERT as INSERT_AUDIT
from inventory.db.audit_rows import audit_params
from inventory.db.base import is_postgresql
from inventory.db.models import StockBalance, StockDocument, StockDocumentLine, StockLedger
from inventory.db.types import Money, Quantity, UnitCost
from inventory.domain.documents import Entry, LineIn
from inventory.domain.valuation import Balance, Key

# The statements written a table at a time, built once (building one costs more than running it)
# and on the Core tables, so the writes go straight to executemany without the ORM's unit of work
# or bulk-persistence layers. Column types (fixed-point, UTC) still apply.
_documents = StockDocument.__table__
_lines = StockDocumentLine.__table__
_ledger = StockLedger.__table__
_balances = StockBalance.__table__
_INSERT_DOCUMENT = insert(_documents).returning(_documents.c.id)
_INSERT_LINES = insert(_lines).returning(_lines.c.id, sort_by_parameter_order=True)
# RETURNING makes SQLAlchemy send the entries as one multi-row INSERT ("insertmanyvalues"), not
# one statement per entry; the ids it returns are not needed.
_INSERT_LEDGER = insert(_ledger).returning(_ledger.c.id)
# FIFO entries need their ids, in order, for the layers and consumptions that name them.
_INSERT_LEDGER_IDS = insert(_ledger).returning(_ledger.c.id, sort_by_parameter_order=True)
_UPDATE_BALANCE = (
    update(_balances)
    .where(
        _balances.c.item_id == bindparam("key_item_id"),
        _balances.c.warehouse_id == bindparam("key_warehouse_id"),
    )
    .values(quantity=bindparam("quantity"), value=bindparam("value"))
)

# PostgreSQL's: a document posted as it is created, in one statement.
_WRITE = """
WITH document AS (
    INSERT INTO stock_document (type, status, warehouse_id, to_warehouse_id, reference, source,
                                created_by, created_at, posted_by, posted_at, cost_centre_id)
    VALUES (%(type)s, 'posted', %(warehouse_id)s, %(to_warehouse_id)s, %(reference)s, %(source)s,
            %(actor_id)s, %(now)s, %(actor_id)s, %(now)s, %(cost_centre_id)s)
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


def write_document(
    session: Session,
    document: dict,
    lines: list[LineIn],
    entries: list[Entry],
    balances: dict[Key, Balance],
    audit_event: dict,
) -> tuple[int, list[int]]:
    """Insert the new ``document`` (its columns), its ``lines`` and ``audit_event`` (its columns;
    the entity id is the new document's), and, when it is posted, its ``entries`` and
    ``balances`` (locked by this transaction already); return the document's id and its lines'
    ids in line order."""
    # A FIFO item's layers name the ledger entries by id, which the one statement does not hand
    # back: such a document takes the table-at-a-time path. Moving-average documents never do.
    if balances and is_postgresql(session) and not fifo_layers.has_layers(entries):
        return _write_posted(session, document, lines, entries, balances, audit_event)
    doc_id = session.execute(_INSERT_DOCUMENT, document).scalar_one()
    line_ids = _insert_lines(session, doc_id, lines)
    if balances:
        write_entries(
            session,
            doc_id,
            line_ids,
            entries,
            balances,
            reversal=False,
            actor_id=document["posted_by"],
            at=document["posted_at"],
        )
    session.execute(INSERT_AUDIT, {**audit_event, "entity_id": str(doc_id)})
    return doc_id, line_ids


def write_entries(
    session: Session,
    document_id: int,
    line_ids: list[int],
    entries: list[Entry],
    balances: dict[Key, Balance],
    *,
    reversal: bool,
    actor_id: int,
    at: datetime,
) -> None:
    """Insert the ledger ``entries`` of the document ``document_id`` (each names its line by
    index into ``line_ids``) and set ``balances`` (locked by this transaction already); for
    FIFO items, the layers the entries make and the slices they take or give back."""
    layered = fifo_layers.has_layers(entries)
    result = session.execute(
        _INSERT_LEDGER_IDS if layered else _INSERT_LEDGER,
        [
            {
                "document_id": document_id,
                "line_id": line_ids[e.line_index],
                "item_id": e.key[0],
                "warehouse_id": e.key[1],
                "quantity": e.movement.quantity,
                "unit_cost": e.movement.unit_cost,
                "value": e.movement.value,
                "balance_quantity": e.movement.after.quantity,
                "balance_value": e.movement.after.value,
                "reversal": reversal,
                "actor_id": actor_id,
                "posted_at": at,
            }
            for e in entries
        ],
    )
    if layered:
        fifo_layers.write_layers(session, list(result.scalars()), entries, at)
    session.execute(
        _UPDATE_BALANCE,
        [
            {
                "key_item_id": k[0],
                "key_warehouse_id": k[1],
                "quantity": b.quantity,
                "value": b.value,
            }
            for k, b in sorted(balances.items())
        ],
    )


def _insert_lines(session: Session, document_id: int, lines: list[LineIn]) -> list[int]:
    rows = [
        {
            "document_id": document_id,
            "line_no": i + 1,
            "item_id": line.item_id,
            "quantity": line.quantity,
            "unit_cost": line.unit_cost,
        }
        for i, line in enumerate(lines)
    ]
    return list(session.execute(_INSERT_LINES, rows).scalars())


def _write_posted(
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
            "cost_centre_id": document["cost_centre_id"],
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
