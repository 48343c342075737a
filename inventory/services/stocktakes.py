"""Stocktakes: create a count, record (re)counts blind, approve, post through the ledger, cancel.

The rules themselves live in ``inventory.domain.stocktake``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, insert, literal, select, update

from inventory import clock
from inventory.db import stocktake_queries as stq
from inventory.db.models import Item, StockBalance, Stocktake, StocktakeLine, Warehouse
from inventory.domain import documents as d
from inventory.domain import stocktake as st
from inventory.domain.actors import Actor
from inventory.domain.stocktake import CountIn, StocktakeStatus
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import audit, stock
from inventory.services.tx import retrying, transaction

DEFAULT_QTY_PCT = Decimal("2")
DEFAULT_VALUE_TOLERANCE = Decimal("50")


@retrying
def create(
    actor: Actor,
    warehouse_id: int,
    *,
    category: str | None = None,
    item_ids: Iterable[int] | None = None,
    quantity_tolerance_pct: Decimal = DEFAULT_QTY_PCT,
    value_tolerance: Decimal = DEFAULT_VALUE_TOLERANCE,
    note: str = "",
) -> int:
    """Open a count of every active item (or of one ``category``, or of the active ones among
    ``item_ids`` — a cycle count) in a warehouse."""
    st.validate_tolerances(quantity_tolerance_pct, value_tolerance)
    with transaction() as session:
        # The warehouse lock serializes creators, so two open counts can never share an item:
        # the second to post would adjust against a book the first had already corrected.
        warehouse = session.get(Warehouse, warehouse_id, with_for_update=True)
        if warehouse is None:
            raise ValidationFailed(
                "The stocktake refers to an unknown warehouse.",
                errors={"warehouse_id": [f"No warehouse with id {warehouse_id}."]},
            )
        if not warehouse.active:
            raise ValidationFailed(
                "The stocktake refers to an inactive warehouse.",
                errors={"warehouse_id": [f"Warehouse {warehouse.code} is inactive."]},
            )
        items = select(Item.id).where(Item.active.is_(True))
        if category is not None:
            items = items.where(Item.category == category)
        if item_ids is not None:
            items = items.where(Item.id.in_(sorted(set(item_ids))))
        overlapping = session.scalar(
            select(Stocktake.id)
            .join(StocktakeLine, StocktakeLine.stocktake_id == Stocktake.id)
            .where(
                Stocktake.warehouse_id == warehouse_id,
                Stocktake.status == StocktakeStatus.OPEN.value,
                StocktakeLine.item_id.in_(items),
            )
            .limit(1)
        )
        if overlapping is not None:
            raise Conflict(
                f"Stocktake {overlapping} is still open for some of these items in "
                f"{warehouse.code}; post or cancel it first.",
                extra={"open_stocktake_id": overlapping},
            )
        take = Stocktake(
            warehouse_id=warehouse_id,
            category=category,
            status=StocktakeStatus.OPEN.value,
            quantity_tolerance_pct=quantity_tolerance_pct,
            value_tolerance=value_tolerance,
            note=note,
            created_by=actor.id,
            created_at=clock.now(),
        )
        session.add(take)
        session.flush()
        session.execute(
            insert(StocktakeLine.__table__).from_select(
                ["stocktake_id", "item_id", "count_number"],
                items.with_only_columns(literal(take.id), Item.id, literal(0)),
            )
        )
        # Counted afterwards: psycopg reports no rowcount for INSERT ... SELECT.
        inserted = session.scalar(select(func.count()).where(StocktakeLine.stocktake_id == take.id))
        if not inserted:
            raise ValidationFailed(
                "There is nothing to count: no active items"
                + (f" in category {category!r}." if category is not None else "."),
                errors={"category": ["No active items to count."]},
            )
        audit.record(
            actor,
            "stocktake.create",
            "stocktake",
            take.id,
            after={
                "warehouse_id": warehouse_id,
                "category": category,
                "status": take.status,
                "quantity_tolerance_pct": quantity_tolerance_pct,
                "value_tolerance": value_tolerance,
                "lines": inserted,
            },
        )
        return take.id


@retrying
def count(actor: Actor, stocktake_id: int, lines: list[CountIn]) -> int:
    """Record counts, each with the book as it stands now; a recount replaces the earlier count.

    A count withdraws an approval already given: the approver approved other figures.
    """
    st.validate_counts(lines)
    with transaction() as session:
        take = _locked(session, stocktake_id)
        st.check_open(StocktakeStatus(take.status), "take counts")
        wanted = [line.item_id for line in lines]
        on_sheet = {
            row.item_id: row
            for row in session.execute(
                select(StocktakeLine.id, StocktakeLine.item_id, StocktakeLine.count_number).where(
                    StocktakeLine.stocktake_id == take.id, StocktakeLine.item_id.in_(wanted)
                )
            )
        }
        missing = {
            i: {"item_id": [f"Item {line.item_id} is not part of stocktake {take.id}."]}
            for i, line in enumerate(lines)
            if line.item_id not in on_sheet
        }
        if missing:
            raise ValidationFailed(
                "Some counted items are not part of this stocktake.", errors={"lines": missing}
            )
        books = {
            row.item_id: (row.quantity, row.value)
            for row in session.execute(
                select(StockBalance.item_id, StockBalance.quantity, StockBalance.value).where(
                    StockBalance.warehouse_id == take.warehouse_id,
                    StockBalance.item_id.in_(wanted),
                )
            )
        }
        fallback = dict(
            session.execute(select(Item.id, Item.valuation_cost).where(Item.id.in_(wanted))).all()
        )
        now = clock.now()
        changes = []
        for line in lines:
            book_qty, book_value = books.get(line.item_id, (Decimal(0), Decimal(0)))
            changes.append(
                {
                    "id": on_sheet[line.item_id].id,
                    "counted_quantity": line.counted_quantity,
                    "book_quantity": book_qty,
                    "book_unit_cost": st.book_unit_cost(
                        book_qty, book_value, fallback[line.item_id]
                    ),
                    "count_number": on_sheet[line.item_id].count_number + 1,
                    "counted_by": actor.id,
                    "counted_at": now,
                }
            )
        session.execute(update(StocktakeLine), changes)
        withdrawn = take.approved_by is not None
        take.approved_by = None
        take.approved_at = None
        audit.record(
            actor,
            "stocktake.count",
            "stocktake",
            take.id,
            after={
                "lines": [
                    {
                        "item_id": line.item_id,
                        "counted_quantity": line.counted_quantity,
                        "count_number": change["count_number"],
                    }
                    for line, change in zip(lines, changes, strict=True)
                ],
                "approval_withdrawn": withdrawn,
            },
        )
        return take.id


@retrying
def approve(actor: Actor, stocktake_id: int) -> int:
    """Approve the counted variances. The approver may not be the creator nor a counter on record
    (the last to count a line)."""
    with transaction() as session:
        take = _locked(session, stocktake_id)
        st.check_open(StocktakeStatus(take.status), "be approved")
        counters = session.scalars(
            select(StocktakeLine.counted_by)
            .distinct()
            .where(StocktakeLine.stocktake_id == take.id, StocktakeLine.counted_by.is_not(None))
        ).all()
        st.check_approver(actor.id, actor.roles, take.created_by, counters)
        if take.approved_by is not None:
            raise Conflict(f"Stocktake {take.id} is already approved.")
        summary = _summary(session, take)
        st.check_all_counted(summary, "be approved")
        take.approved_by = actor.id
        take.approved_at = clock.now()
        audit.record(
            actor,
            "stocktake.approve",
            "stocktake",
            take.id,
            after={
                "approved_by": actor.id,
                "out_of_tolerance": summary.out_of_tolerance,
                "variance_value_total": summary.variance_value_total,
            },
        )
        return take.id


@retrying
def post(actor: Actor, stocktake_id: int) -> int:
    """Write the variances to the ledger as adjustment documents and close the count.

    Each adjustment is ``counted − book at count``, so stock that moved during the count is left
    alone. Stock found comes in at the book unit cost of its count; stock missing leaves at the
    average cost of the moment, as every issue does. Lines without variance write nothing.
    """
    with transaction() as session:
        take = _locked(session, stocktake_id)
        st.check_transition(StocktakeStatus(take.status), StocktakeStatus.POSTED)
        summary = _summary(session, take)
        st.check_postable(summary, approved=take.approved_by is not None)
        adjustments = [
            d.LineIn(
                e.line.item_id,
                e.variance.quantity,
                e.line.unit_cost if e.variance.quantity > 0 else None,
            )
            for e in summary.lines
            if e.variance is not None and e.variance.quantity != 0
        ]
        # A document holds at most MAX_LINES lines; a large count posts several.
        document_ids = [
            stock.create_document(
                actor,
                stock.NewDocument(
                    type=d.DocumentType.ADJUSTMENT,
                    warehouse_id=take.warehouse_id,
                    lines=adjustments[start : start + d.MAX_LINES],
                    reference=f"Stocktake {take.id}",
                    source=f"stocktake:{take.id}",
                ),
            )
            for start in range(0, len(adjustments), d.MAX_LINES)
        ]
        take.status = StocktakeStatus.POSTED.value
        take.posted_by = actor.id
        take.posted_at = clock.now()
        take.document_id = document_ids[0] if document_ids else None
        audit.record(
            actor,
            "stocktake.post",
            "stocktake",
            take.id,
            before={"status": StocktakeStatus.OPEN.value},
            after={
                "status": take.status,
                "document_ids": document_ids,
                "adjusted_lines": len(adjustments),
                "variance_value_total": summary.variance_value_total,
                "accuracy_pct": summary.accuracy_pct,
            },
        )
        return take.id


@retrying
def cancel(actor: Actor, stocktake_id: int) -> int:
    """Abandon an open count; nothing reaches the ledger."""
    with transaction() as session:
        take = _locked(session, stocktake_id)
        before = take.status
        st.check_transition(StocktakeStatus(take.status), StocktakeStatus.CANCELLED)
        take.status = StocktakeStatus.CANCELLED.value
        audit.record(
            actor,
            "stocktake.cancel",
            "stocktake",
            take.id,
            before={"status": before},
            after={"status": take.status},
        )
        return take.id


def get(stocktake_id: int, viewer_roles: Iterable[str] = ()) -> dict:
    """The stocktake with its lines. Book quantities, variances and the figures built on them
    appear only for viewers the blind-count rule admits (``domain.stocktake.reveals_book``)."""
    header = stq.stocktake(stocktake_id)
    if header is None:
        raise NotFound(f"No stocktake with id {stocktake_id}.")
    rows = stq.stocktake_lines(stocktake_id)
    summary = st.evaluate(
        [_figures(row) for row in rows],
        header["quantity_tolerance_pct"],
        header["value_tolerance"],
    )
    reveal = st.reveals_book(viewer_roles, StocktakeStatus(header["status"]))
    lines = []
    for row, evaluated in zip(rows, summary.lines, strict=True):
        line = {k: v for k, v in row.items() if k not in ("book_quantity", "book_unit_cost")}
        if reveal:
            variance = evaluated.variance
            line |= {
                "book_quantity": row["book_quantity"],
                "book_unit_cost": row["book_unit_cost"],
                "variance_quantity": variance.quantity if variance else None,
                "variance_value": variance.value if variance else None,
                "within_tolerance": evaluated.within,
            }
        lines.append(line)
    adjusted = sum(1 for e in summary.lines if e.variance is not None and e.variance.quantity)
    body = {
        **header,
        "book_visible": reveal,
        "lines": lines,
        "document_ids": stq.adjustment_documents(
            stocktake_id, header["document_id"], -(-adjusted // d.MAX_LINES)
        ),
    }
    if reveal:
        body |= {
            "lines_out_of_tolerance": summary.out_of_tolerance,
            "accuracy_pct": summary.accuracy_pct,
            "variance_value_total": summary.variance_value_total,
            "needs_approval": bool(summary.out_of_tolerance) and header["approved_by"] is None,
        }
    return body


# What a counter's sheet shows of a line: never the book quantity, its cost or the variance.
SHEET_FIELDS = ("id", "item_id", "sku", "item_name", "counted_quantity", "count_number")
SHEET_ORDER = {st.CountState.RECOUNT: 0, st.CountState.TO_COUNT: 1, st.CountState.COUNTED: 2}


def count_sheet(stocktake_id: int) -> dict:
    """The stocktake as its counters see it, blind: each line's ``state`` (``recount`` when its
    count is out of tolerance, ``to_count``, ``counted``) and the counter's own count, never the
    book. Lines needing a recount come first, then the uncounted, then the rest, each by SKU."""
    header = stq.stocktake(stocktake_id)
    if header is None:
        raise NotFound(f"No stocktake with id {stocktake_id}.")
    rows = stq.stocktake_lines(stocktake_id)
    summary = st.evaluate(
        [_figures(row) for row in rows],
        header["quantity_tolerance_pct"],
        header["value_tolerance"],
    )
    lines = [
        {**{k: row[k] for k in SHEET_FIELDS}, "state": st.count_state(evaluated)}
        for row, evaluated in zip(rows, summary.lines, strict=True)
    ]
    lines.sort(key=lambda line: SHEET_ORDER[line["state"]])  # stable: SKU order within each
    return {
        **header,
        "lines": lines,
        "lines_to_recount": sum(1 for x in lines if x["state"] is st.CountState.RECOUNT),
    }


def _locked(session, stocktake_id: int) -> Stocktake:
    take = session.get(Stocktake, stocktake_id, with_for_update=True)
    if take is None:
        raise NotFound(f"No stocktake with id {stocktake_id}.")
    return take


def _figures(row) -> st.LineFigures:
    return st.LineFigures(
        row["item_id"],
        row["counted_quantity"],
        row["book_quantity"],
        row["book_unit_cost"],
        line_id=row["id"],
        sku=row["sku"],
    )


def _summary(session, take: Stocktake) -> st.Summary:
    rows = session.execute(
        select(
            StocktakeLine.id,
            StocktakeLine.item_id,
            Item.sku,
            StocktakeLine.counted_quantity,
            StocktakeLine.book_quantity,
            StocktakeLine.book_unit_cost,
        )
        .join(Item, Item.id == StocktakeLine.item_id)
        .where(StocktakeLine.stocktake_id == take.id)
        .order_by(StocktakeLine.item_id)
    )
    return st.evaluate(
        [_figures(row._mapping) for row in rows],
        take.quantity_tolerance_pct,
        take.value_tolerance,
    )
