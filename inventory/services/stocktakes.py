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
from inventory.db.procurement_models import CostCentre
from inventory.domain import documents as d
from inventory.domain import stocktake as st
from inventory.domain.actors import Actor
from inventory.domain.stocktake import CountIn, StocktakeStatus
from inventory.domain.wording import quoted
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
    cost_centre_id: int | None = None,
) -> int:
    """Open a count of every active item (or of one ``category``, or of the active ones among
    ``item_ids`` — a cycle count) in a warehouse; its write-offs are charged to
    ``cost_centre_id`` when given (an active cost centre)."""
    st.validate_tolerances(quantity_tolerance_pct, value_tolerance)
    with transaction() as session:
        _check_cost_centre(session, cost_centre_id)
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
            cost_centre_id=cost_centre_id,
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
                + (f" in category {quoted(category)}." if category is not None else "."),
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
                "cost_centre_id": cost_centre_id,
                "lines": inserted,
            },
        )
        return take.id


def _check_cost_centre(session, cost_centre_id: int | None) -> None:
    if cost_centre_id is None:
        return
    centre = session.get(CostCentre, cost_centre_id)
    if centre is None or not centre.active:
        state = "No cost centre with id" if centre is None else "Inactive cost centre"
        raise ValidationFailed(
            "The stocktake refers to an unknown or inactive cost centre.",
            errors={"cost_centre_id": [f"{state} {cost_centre_id}."]},
        )


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
                    source=f"{d.STOCKTAKE_SOURCE}{take.id}",
                    # checked again here, as an issue's when a draft is posted
                    cost_centre_id=take.cost_centre_id,
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
RECOUNTS_SHOWN = 100


def _header(stocktake_id: int) -> dict:
    header = stq.stocktake(stocktake_id)
    if header is None:
        raise NotFound(f"No stocktake with id {stocktake_id}.")
    return header


def _varied(header: dict) -> tuple[list[dict], st.Summary]:
    """The counted lines whose count differs from the book, evaluated. Every other counted line
    has no variance and so is within tolerance: a page never evaluates the whole count."""
    rows = stq.sheet_lines(header["id"], varied=True)
    summary = st.evaluate(
        [_figures(row) for row in rows], header["quantity_tolerance_pct"], header["value_tolerance"]
    )
    return rows, summary


def _blind(row: dict, state: st.CountState) -> dict:
    return {**{k: row[k] for k in SHEET_FIELDS}, "state": state}


def count_sheet(stocktake_id: int, *, page: int = 1, per_page: int = 25) -> dict:
    """The stocktake as its counters see it, blind: the lines to recount (counted, but out of
    tolerance; the first ``RECOUNTS_SHOWN``) and one page of the lines still to count, by SKU,
    with the counter's own counts and never the book."""
    header = _header(stocktake_id)
    rows, summary = _varied(header)
    recount = [
        _blind(row, st.CountState.RECOUNT)
        for row, evaluated in zip(rows, summary.lines, strict=True)
        if evaluated.within is False
    ]
    to_count = stq.sheet_lines(
        stocktake_id, counted=False, limit=per_page, offset=(page - 1) * per_page
    )
    return {
        **header,
        "recount": recount[:RECOUNTS_SHOWN],
        "lines_to_recount": len(recount),
        "to_count": [_blind(row, st.CountState.TO_COUNT) for row in to_count],
        "lines_to_count": header["lines_total"] - header["lines_counted"],
    }


def line_state(stocktake_id: int, item_id: int) -> dict | None:
    """One line of the counter's sheet (blind), or None when the item is not on it."""
    header = _header(stocktake_id)
    rows = stq.sheet_lines(stocktake_id, item_id=item_id)
    if not rows:
        return None
    summary = st.evaluate(
        [_figures(rows[0])], header["quantity_tolerance_pct"], header["value_tolerance"]
    )
    return _blind(rows[0], st.count_state(summary.lines[0]))


def review(stocktake_id: int, viewer_roles: Iterable[str], *, page: int = 1, per_page: int = 100):
    """The supervisor's view: for book readers (or once posted) the figures of ``get`` and one
    page of the lines that differ from the book, out of tolerance first; for anyone else
    (blind) one page of all lines by SKU with the counts only. Reads only the varied lines, so a
    10,000-line count where most lines match the book stays quick."""
    header = _header(stocktake_id)
    reveal = st.reveals_book(viewer_roles, StocktakeStatus(header["status"]))
    body = {**header, "book_visible": reveal}
    offset = (page - 1) * per_page
    if not reveal:
        rows = stq.sheet_lines(stocktake_id, limit=per_page, offset=offset)
        return body | {"lines": [{k: r[k] for k in SHEET_FIELDS} for r in rows], "shown_of": 0}
    rows, summary = _varied(header)
    matching = header["lines_counted"] - len(rows)
    lines = [
        {
            **{k: row[k] for k in SHEET_FIELDS},
            "book_quantity": row["book_quantity"],
            "variance_quantity": evaluated.variance.quantity,
            "variance_value": evaluated.variance.value,
            "within_tolerance": evaluated.within,
        }
        for row, evaluated in zip(rows, summary.lines, strict=True)
    ]
    lines.sort(key=lambda line: line["within_tolerance"])  # stable: out first, then by SKU
    flags = [True] * matching + [bool(e.within) for e in summary.lines]
    return body | {
        "lines": lines[offset : offset + per_page],
        "shown_of": len(lines),
        "lines_matching": matching,
        "lines_out_of_tolerance": summary.out_of_tolerance,
        "accuracy_pct": st.accuracy(flags),
        "variance_value_total": summary.variance_value_total,
        "needs_approval": bool(summary.out_of_tolerance) and header["approved_by"] is None,
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
