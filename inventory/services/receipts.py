"""Goods receipts against purchase orders: receive (with inspection), cancel a receipt through the
ledger's reversal, and return accepted goods to the supplier.

Each use case is one transaction: the receipt, its stock document, the order lines' received
quantities, the order's status change, the inspection switching state and the audit event are
written together or not at all. Lock order: the purchase order row, then the receipt, then the
inspection states (item order), then the stock balances (``stock`` locks those).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from inventory import clock
from inventory.db import receipt_writes
from inventory.db.models import StockDocument
from inventory.db.procurement_models import (
    GoodsReceipt,
    PurchaseOrder,
    SupplierReturn,
)
from inventory.db.receipt_writes import OrderHead, OrderLine
from inventory.db.status_writes import record_status_change
from inventory.domain import numbers as n
from inventory.domain import orders as o
from inventory.domain import receiving as rc
from inventory.domain import sampling as sp
from inventory.domain.actors import Actor
from inventory.domain.documents import DocumentType, LineIn
from inventory.domain.pricing import BASE_CURRENCY
from inventory.domain.receiving import InspectionMode, ReceiptLineIn
from inventory.domain.wording import plural
from inventory.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from inventory.services import audit, inspection, request_closing, stock
from inventory.services.tx import retrying, transaction


@dataclass(frozen=True)
class Received:
    receipt: dict  # as ``receipt_queries.get_receipt`` reads it, built from what was written
    inspections: dict[int, dict]  # po_line_id → what the inspector was told and decided

    @property
    def receipt_id(self) -> int:
        return self.receipt["id"]


def _locked_order(session, order_id: int) -> PurchaseOrder:
    order = session.get(PurchaseOrder, order_id, with_for_update=True)
    if order is None:
        raise NotFound(f"No purchase order with id {order_id}.")
    return order


def _ordered(lines: dict[int, OrderLine]) -> dict[int, o.LineQuantities]:
    return {
        i: o.LineQuantities(i, row.quantity, row.received_quantity, row.cancelled_quantity)
        for i, row in lines.items()
    }


def _warehouse(session, warehouse_id: int) -> int:
    active = receipt_writes.warehouse_active(session, warehouse_id)
    return _check_warehouse(warehouse_id, active)


def _check_warehouse(warehouse_id: int, active: bool | None) -> int:
    if active is None or not active:
        problem = "is inactive; activate it first" if active is not None else "does not exist"
        raise ValidationFailed(
            "The receipt refers to an unknown or inactive warehouse.",
            errors={"warehouse_id": [f"Warehouse {warehouse_id} {problem}."]},
        )
    return warehouse_id


def _rate(order: PurchaseOrder | OrderHead) -> Decimal:
    """Base-currency units per unit of the order's currency, fixed when the order was sent."""
    if order.exchange_rate is not None:
        return order.exchange_rate
    if order.currency == BASE_CURRENCY:
        return Decimal(1)
    raise Conflict(
        f"Purchase order {order.id} is in {order.currency} but has no exchange rate fixed; "
        "it is fixed when the order is sent.",
    )


def _shown(line: dict) -> dict:
    """A written receipt line as a read gives it: the link to its stock line stays inside."""
    return {k: v for k, v in line.items() if k != "stock_document_line_id"}


def _order_move(
    order: PurchaseOrder | OrderHead, lines: dict[int, OrderLine]
) -> tuple[str, str] | None:
    """The order's status change (from, to) that its received quantities (all its ``lines``)
    call for, if any."""
    target = o.status_from_quantities(_ordered(lines).values()).value
    if target == order.status or order.status not in {s.value for s in rc.RECEIVING}:
        return None  # a closed order stays closed after a return
    o.check_order_transition(order.status, target)
    return order.status, target


def _move_order(
    session, actor: Actor, order: PurchaseOrder, lines: dict[int, OrderLine], why: str
) -> str | None:
    """Put the order in the status its received quantities call for; record the change."""
    move = _order_move(order, lines)
    if move is None:
        return None
    before, target = move
    record_status_change(
        session, "purchase_order", order.id, before, target, actor.id, clock.now(), why
    )
    order.status = target
    order.updated_at = clock.now()
    request_closing.close_finished_requests(session, actor, order, why, lines.values())
    request_closing.reopen_unfinished_requests(session, actor, order, why, lines.values())
    return before


def _inspect(
    lines: list[ReceiptLineIn],
    by_id: dict[int, OrderLine],
    plans: dict[int, inspection.Plan],
    states: dict[int, sp.SwitchingState],
) -> dict[int, dict]:
    """Per line: the inspector's instructions and, from the defects found, the lot's result.
    ``states`` moves on with every decided lot."""
    found: dict[int, dict] = {}
    errors: dict[int, dict[str, list[str]]] = {}
    for i, line in enumerate(lines):
        item_id = by_id[line.po_line_id].item_id
        plan = plans.get(item_id, inspection.NO_PLAN)
        lot = sp.lot_size_of(line.received)
        told = inspection.describe(plan, states.get(item_id, sp.SwitchingState()), lot)
        told.update(defects_found=line.defects_found, result=None, next_severity=None)
        if plan.mode is InspectionMode.FULL:
            told["result"] = "full"
        elif plan.mode is InspectionMode.SAMPLING and line.defects_found is not None:
            sampling = sp.plan_for(lot, plan.aql, states[item_id].severity)
            if line.defects_found > sampling.sample_size:
                errors[i] = {"defects_found": [f"At most the sample size, {sampling.sample_size}."]}
                continue
            result = sampling.decide(line.defects_found)
            if result is sp.LotResult.REJECTED and line.accepted > 0:
                errors[i] = {
                    "accepted": [
                        f"A sample of {sampling.sample_size} with "
                        f"{plural(line.defects_found, 'defect')} rejects the lot "
                        f"(Re {sampling.reject}): accept 0 and reject all "
                        f"{line.received}."
                    ]
                }
                continue
            states[item_id] = sp.after_lot(states[item_id], result)
            told["result"] = "accepted" if result is sp.LotResult.ACCEPTED else "rejected"
            told["next_severity"] = states[item_id].severity.value
        found[line.po_line_id] = told
    if errors:
        raise ValidationFailed(
            "The inspection results do not fit the receipt; see the field errors.",
            errors={"lines": errors},
        )
    return found


@retrying
def receive(
    actor: Actor,
    order_id: int,
    lines: list[ReceiptLineIn],
    *,
    warehouse_id: int | None = None,
    tolerance_pct: Decimal = rc.DEFAULT_TOLERANCE_PCT,
) -> Received:
    """Receive goods against an order's lines; the accepted quantities go into stock at the
    order price in base currency, the rejected ones are recorded for return."""
    rc.validate_lines(lines)
    with transaction() as session:
        order = receipt_writes.lock_order(session, order_id, warehouse_id)
        if order is None:
            raise NotFound(f"No purchase order with id {order_id}.")
        rc.check_can("receive goods on", order.status, rc.CAN_RECEIVE)
        warehouse_id = _check_warehouse(order.warehouse_id, order.warehouse_active)
        by_id = receipt_writes.order_lines(session, order.id)
        unknown = {
            i: {"po_line_id": [f"Purchase order {order.id} has no line {line.po_line_id}."]}
            for i, line in enumerate(lines)
            if line.po_line_id not in by_id
        }
        if unknown:
            raise ValidationFailed(
                "Some receipt lines are not lines of this order.", errors={"lines": unknown}
            )
        rc.check_over_receipt(
            _ordered(by_id), {x.po_line_id: x.accepted for x in lines}, tolerance_pct
        )
        rate = _rate(order)
        items = {by_id[x.po_line_id].item_id for x in lines}
        plans = inspection.plans_for_items(session, order.supplier_id, items)
        sampled = {i for i in items if plans.get(i, inspection.NO_PLAN).mode == "sampling"}
        # Lots with defects found move the switching state: lock those; the rest only read it.
        decided = {
            by_id[x.po_line_id].item_id for x in lines if x.defects_found is not None
        } & sampled
        states = inspection.read_states(session, order.supplier_id, sampled - decided)
        states |= inspection.lock_states(session, order.supplier_id, decided)
        before_states = dict(states)
        told = _inspect(lines, by_id, plans, states)

        now = clock.now()
        receipt = {
            "order_id": order.id,
            "supplier_id": order.supplier_id,
            "warehouse_id": warehouse_id,
            "status": "posted",
            "stock_document_id": None,
            "received_by": actor.id,
            "received_at": now,
            "cancelled_at": None,
        }
        receipt_id = receipt_writes.start_receipt(session, order, receipt)
        stock_lines = [
            LineIn(
                by_id[x.po_line_id].item_id,
                x.accepted,
                n.cost(by_id[x.po_line_id].unit_price * rate),
            )
            for x in lines
            if x.accepted > 0
        ]
        document_lines: list[int] = []
        if stock_lines:
            receipt["stock_document_id"], document_lines = stock.create_document_lines(
                actor,
                stock.NewDocument(
                    type=DocumentType.RECEIPT,
                    warehouse_id=warehouse_id,
                    lines=stock_lines,
                    reference=f"PO {order.id} receipt {receipt_id}",
                    source=f"goods_receipt:{receipt_id}",
                ),
            )
        linked = iter(document_lines)  # the stock lines were made from the accepted lines
        receipt_lines = [
            {
                "po_line_id": x.po_line_id,
                "item_id": by_id[x.po_line_id].item_id,
                "received": n.qty(x.received),
                "accepted": n.qty(x.accepted),
                "rejected": n.qty(x.rejected),
                "reason": x.reason,
                "unit_price": by_id[x.po_line_id].unit_price,
                "promised_date": by_id[x.po_line_id].promised_date,
                "sample_size": told[x.po_line_id]["sample_size"],
                "defects_found": x.defects_found,
                "inspection_result": told[x.po_line_id]["result"],
                "stock_document_line_id": next(linked) if x.accepted > 0 else None,
            }
            for x in lines
        ]
        for x in lines:
            by_id[x.po_line_id].received_quantity += x.accepted
        move = _order_move(order, by_id)
        changed = {i: s for i, s in states.items() if s != before_states[i]}
        inspection.save_states(session, order.supplier_id, changed)
        why = f"goods receipt {receipt_id}"
        event = audit.event(
            actor,
            "goods_receipt.create",
            "goods_receipt",
            receipt_id,
            after={
                "order_id": order.id,
                "warehouse_id": warehouse_id,
                "stock_document_id": receipt["stock_document_id"],
                "lines": [
                    {
                        "po_line_id": x.po_line_id,
                        "received": x.received,
                        "accepted": x.accepted,
                        "rejected": x.rejected,
                        "inspection_result": told[x.po_line_id]["result"],
                    }
                    for x in lines
                ],
                "order_status": {"from": move[0], "to": move[1]} if move else None,
                "inspection_state": {
                    i: {"severity": s.severity.value, "recent": s.recent}
                    for i, s in changed.items()
                },
            },
        )
        line_ids = receipt_writes.write_receipt(
            session,
            receipt_writes.ReceiptWrites(
                receipt={**receipt, "id": receipt_id},
                order_id=order.id,
                ordered_at=order.sent_at,
                lines=receipt_lines,
                received=[by_id[i] for i in {x.po_line_id: None for x in lines}],
                move=move,
                actor_id=actor.id,
                at=now,
                why=why,
                audit_event=event,
            ),
        )
        if move:
            order.status = move[1]  # written above
            request_closing.close_finished_requests(session, actor, order, why, by_id.values())
        shown = [
            {"id": line_id, **_shown(row), "ordered_at": order.sent_at}
            for line_id, row in zip(line_ids, receipt_lines, strict=True)
        ]
        shown.sort(key=lambda line: line["id"])  # as a read gives them
        return Received({**receipt, "id": receipt_id, "lines": shown}, told)


@retrying
def cancel_receipt(actor: Actor, receipt_id: int) -> int:
    """Undo a receipt: reverse its stock document through the ledger, take its accepted
    quantities off the order and step the order's status back. Lot results already counted in
    the inspection switching state stay counted: the lots were inspected."""
    with transaction() as session:
        order_id = receipt_writes.receipt_order_id(session, receipt_id)
        if order_id is None:
            raise NotFound(f"No goods receipt with id {receipt_id}.")
        order = _locked_order(session, order_id)
        receipt = session.get(GoodsReceipt, receipt_id, with_for_update=True)
        if receipt.status != "posted":
            raise InvalidTransition(
                f"Goods receipt {receipt.id} is {receipt.status}; only a posted receipt can be "
                "cancelled.",
                extra={"current": receipt.status, "allowed": []},
            )
        rc.check_can("cancel a receipt of", order.status, rc.RECEIVING)
        accepted: dict[int, Decimal] = {}
        for po_line_id, quantity in receipt_writes.accepted_by_line(session, receipt.id):
            accepted[po_line_id] = accepted.get(po_line_id, Decimal(0)) + quantity
        by_id = receipt_writes.order_lines(session, order.id)
        rc.check_cancellable(_ordered(by_id), accepted, receipt.id)
        if receipt.stock_document_id is not None:
            stock.cancel_document(actor, receipt.stock_document_id)
        for po_line_id, quantity in accepted.items():
            by_id[po_line_id].received_quantity -= quantity
        receipt_writes.set_received(session, (by_id[i] for i in accepted))
        previous = _move_order(
            session, actor, order, by_id, f"goods receipt {receipt.id} cancelled"
        )
        receipt.status = "cancelled"
        receipt.cancelled_at = clock.now()
        audit.record(
            actor,
            "goods_receipt.cancel",
            "goods_receipt",
            receipt.id,
            before={"status": "posted"},
            after={
                "status": "cancelled",
                "order_status": {"from": previous, "to": order.status} if previous else None,
            },
        )
        return receipt.id


@retrying
def return_to_supplier(
    actor: Actor,
    order_id: int,
    po_line_id: int,
    quantity: Decimal,
    reason: str,
    *,
    warehouse_id: int | None = None,
    cost_centre_id: int | None = None,
) -> int:
    """Return accepted goods: issue them from stock at the current average cost (charged to
    ``cost_centre_id`` when given, an active cost centre) and take them off the order's
    received quantity."""
    if not reason.strip():
        raise ValidationFailed(
            "Say why the goods go back.", errors={"reason": ["Required for a return."]}
        )
    with transaction() as session:
        order = _locked_order(session, order_id)
        rc.check_can("return goods on", order.status, rc.CAN_RETURN)
        by_id = receipt_writes.order_lines(session, order.id)
        if po_line_id not in by_id:
            raise ValidationFailed(
                "The order line is not part of this order.",
                errors={"po_line_id": [f"Purchase order {order.id} has no line {po_line_id}."]},
            )
        line = by_id[po_line_id]
        rc.check_return(_ordered(by_id)[po_line_id], quantity)
        warehouse_id = _warehouse(session, warehouse_id or order.warehouse_id)
        document_id = stock.create_document(
            actor,
            stock.NewDocument(
                type=DocumentType.ISSUE,
                warehouse_id=warehouse_id,
                lines=[LineIn(line.item_id, quantity)],
                reference=f"PO {order.id} return to supplier",
                cost_centre_id=cost_centre_id,
            ),
        )
        returned = SupplierReturn(
            order_id=order.id,
            po_line_id=po_line_id,
            quantity=quantity,
            reason=reason,
            stock_document_id=document_id,
            created_by=actor.id,
            created_at=clock.now(),
        )
        session.add(returned)
        session.flush()
        # The document needs the return's id and the return the document's: name it now.
        session.get(StockDocument, document_id).source = f"supplier_return:{returned.id}"
        line.received_quantity -= quantity
        receipt_writes.set_received(session, [line])
        previous = _move_order(session, actor, order, by_id, f"supplier return {returned.id}")
        audit.record(
            actor,
            "supplier_return.create",
            "supplier_return",
            returned.id,
            after={
                "order_id": order.id,
                "po_line_id": po_line_id,
                "quantity": quantity,
                "reason": reason,
                "stock_document_id": document_id,
                "cost_centre_id": cost_centre_id,
                "order_status": {"from": previous, "to": order.status} if previous else None,
            },
        )
        return returned.id
