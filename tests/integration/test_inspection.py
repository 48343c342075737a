"""Inspection at receipt on SQLite and PostgreSQL: plans (supplier item over item), the sample
size and lot decision, the switching state kept per supplier and item."""

from decimal import Decimal as D

import pytest

from inventory.db.base import db
from inventory.db.procurement_models import GoodsReceiptLine, InspectionState
from inventory.domain.receiving import ReceiptLineIn
from inventory.errors import Conflict, NotFound, ValidationFailed
from inventory.services import inspection, receipts
from tests.integration import receipt_helpers as h


def _line(po_line_id, received, accepted=None, rejected="0", reason="", defects=None):
    accepted = received if accepted is None else accepted
    return ReceiptLineIn(po_line_id, D(received), D(accepted), D(rejected), reason, defects)


@pytest.fixture
def worker(make):
    return make.user("warehouse")


def _state(supplier_id, item_id):
    db.session.rollback()
    row = db.session.get(InspectionState, (supplier_id, item_id))
    return None if row is None else (row.severity, row.recent)


def test_sampling_tells_the_sample_and_decides_the_lot(backend, make, worker):
    item = make.item()
    h.plan(item, "sampling", "1.0")
    po = h.order(make, [(item, "5000", "1")])
    line = po.lines[0]
    # Before receiving: a lot of 1,000 is letter J, n = 80, Ac 2, Re 3 on normal inspection.
    told = inspection.preview(po.id, line, 1000)
    assert (told["code_letter"], told["sample_size"], told["accept"], told["reject"]) == (
        "J",
        80,
        2,
        3,
    )
    assert (told["mode"], told["severity"], told["aql"]) == ("sampling", "normal", D("1.0"))
    # Without a lot size: what is still to come (5,000 → L, n = 200, Ac 5).
    assert inspection.preview(po.id, line, None)["sample_size"] == 200

    done = receipts.receive(worker, po.id, [_line(line, "1000", defects=2)])
    assert done.inspections[line]["result"] == "accepted"
    assert done.inspections[line]["sample_size"] == 80
    assert _state(po.supplier_id, item) == ("normal", "A")
    stored = db.session.query(GoodsReceiptLine).filter_by(receipt_id=done.receipt_id).one()
    assert (stored.sample_size, stored.defects_found, stored.inspection_result) == (
        80,
        2,
        "accepted",
    )

    # 3 defects reject the lot: accepting any of it is a field error, and nothing is written.
    with pytest.raises(ValidationFailed) as err:
        receipts.receive(worker, po.id, [_line(line, "1000", defects=3)])
    assert "with 3 defects rejects the lot" in err.value.errors["lines"][0]["accepted"][0]
    assert _state(po.supplier_id, item) == ("normal", "A")
    # More defects than the sample holds is a field error too.
    with pytest.raises(ValidationFailed):
        receipts.receive(worker, po.id, [_line(line, "1000", "0", "1000", "lot", defects=81)])

    rejected = receipts.receive(worker, po.id, [_line(line, "1000", "0", "1000", "lot", defects=3)])
    assert rejected.inspections[line]["result"] == "rejected"
    assert rejected.inspections[line]["next_severity"] == "normal"
    assert _state(po.supplier_id, item) == ("normal", "AR")

    # 2 defects ≤ Ac 2: the lot passes (the receiver may still reject its units).
    second = receipts.receive(worker, po.id, [_line(line, "1000", "0", "1000", "lot", defects=2)])
    assert second.inspections[line]["result"] == "accepted"
    assert _state(po.supplier_id, item) == ("normal", "ARA")
    # A second rejected lot within five switches to tightened (J at 1.0: Ac 1, Re 2).
    receipts.receive(worker, po.id, [_line(line, "1000", "0", "1000", "lot", defects=3)])
    assert _state(po.supplier_id, item) == ("tightened", "")
    told = inspection.preview(po.id, line, 1000)
    assert (told["severity"], told["sample_size"], told["accept"], told["reject"]) == (
        "tightened",
        80,
        1,
        2,
    )


def test_tightened_returns_to_normal_after_five_accepted_lots(backend, make, worker):
    item = make.item()
    h.plan(item, "sampling", "2.5")
    po = h.order(make, [(item, "100000", "1")])
    line = po.lines[0]
    db.session.add(
        InspectionState(supplier_id=po.supplier_id, item_id=item, severity="tightened", recent="")
    )
    db.session.commit()
    for _ in range(4):
        receipts.receive(worker, po.id, [_line(line, "500", defects=0)])
    assert _state(po.supplier_id, item) == ("tightened", "AAAA")
    done = receipts.receive(worker, po.id, [_line(line, "500", defects=2)])
    # Lot 500 → H, tightened 2.5: n = 50, Ac 2, Re 3.
    assert (done.inspections[line]["sample_size"], done.inspections[line]["accept"]) == (50, 2)
    assert done.inspections[line]["severity"] == "tightened"
    assert done.inspections[line]["next_severity"] == "normal"
    assert _state(po.supplier_id, item) == ("normal", "")


def test_state_is_per_supplier_and_item(backend, make, worker):
    item = make.item()
    h.plan(item, "sampling", "1.0")
    po1, po2 = h.order(make, [(item, "10000", "1")]), h.order(make, [(item, "10000", "1")])
    for _ in range(2):
        receipts.receive(worker, po1.id, [_line(po1.lines[0], "1000", "0", "1000", "bad", 5)])
    assert _state(po1.supplier_id, item) == ("tightened", "")
    assert inspection.preview(po2.id, po2.lines[0], 1000)["severity"] == "normal"
    assert _state(po2.supplier_id, item) is None


def test_supplier_item_plan_wins_over_item_plan(backend, make, worker):
    item = make.item()
    supplier = h.supplier()
    other = h.supplier()
    mine = h.supplier_item(supplier, item)
    theirs = h.supplier_item(other, item)
    h.plan(item, "full")
    h.plan(item, "sampling", "0.65", supplier_item_id=mine)
    h.plan(item, "none", supplier_item_id=theirs)
    po = h.order(make, [(item, "500", "1")], supplier_id=supplier)
    # The order line names no supplier item: the supplier's own plan is still found.
    assert inspection.preview(po.id, po.lines[0], 500)["sample_size"] == 80  # H 0.65 ↓ J
    po_other = h.order(make, [(item, "500", "1")], supplier_id=other)
    assert inspection.preview(po_other.id, po_other.lines[0], 500)["mode"] == "none"
    po_third = h.order(make, [(item, "20", "1")])
    told = inspection.preview(po_third.id, po_third.lines[0], None)
    assert (told["mode"], told["sample_size"], told["full_inspection"]) == ("full", 20, True)
    done = receipts.receive(worker, po_third.id, [_line(po_third.lines[0], "20")])
    assert done.inspections[po_third.lines[0]]["result"] == "full"
    done = receipts.receive(worker, po_other.id, [_line(po_other.lines[0], "5")])
    assert done.inspections[po_other.lines[0]]["result"] is None


def test_sampling_without_defects_found_only_tells_the_sample(backend, make, worker):
    item = make.item()
    h.plan(item, "sampling", "4.0")
    po = h.order(make, [(item, "50", "1")])
    done = receipts.receive(worker, po.id, [_line(po.lines[0], "12.5")])  # lot 13 → B, n = 3
    told = done.inspections[po.lines[0]]
    assert (told["lot_size"], told["code_letter"], told["sample_size"], told["result"]) == (
        13,
        "B",
        3,
        None,
    )
    assert _state(po.supplier_id, item) is None  # no lot decided, no state kept


def test_preview_refuses_lines_of_other_orders(backend, make):
    item = make.item()
    po, other = h.order(make, [(item, "10", "1")]), h.order(make, [(item, "10", "1")])
    with pytest.raises(ValidationFailed):
        inspection.preview(po.id, other.lines[0], 10)
    with pytest.raises(NotFound):
        inspection.preview(999999, po.lines[0], 10)


def test_plans_create_update_delete(backend, make):
    item, admin = make.item(), make.admin
    supplier = h.supplier()
    si = h.supplier_item(supplier, item)
    plan = inspection.create_plan(admin, item, None, "sampling", D("1.0000"))
    assert plan["aql"] == D("1.0")
    with pytest.raises(Conflict):
        inspection.create_plan(admin, item, None, "full", None)
    inspection.create_plan(admin, item, si, "full", None)
    with pytest.raises(Conflict):
        inspection.create_plan(admin, item, si, "none", None)
    with pytest.raises(ValidationFailed) as err:
        inspection.create_plan(admin, item, None, "sampling", None)
    assert "aql" in err.value.errors
    with pytest.raises(ValidationFailed):
        inspection.create_plan(admin, item, None, "full", D("1.0"))
    with pytest.raises(ValidationFailed):
        inspection.create_plan(admin, item, None, "sampling", D("3"))
    other_item = make.item()
    with pytest.raises(ValidationFailed) as err:
        inspection.create_plan(admin, other_item, si, "full", None)
    assert "supplier_item_id" in err.value.errors
    with pytest.raises(ValidationFailed):
        inspection.create_plan(admin, 999999, None, "full", None)
    updated = inspection.update_plan(admin, plan["id"], "sampling", D("2.5"))
    assert (updated["mode"], updated["aql"]) == ("sampling", D("2.5"))
    inspection.delete_plan(admin, plan["id"])
    with pytest.raises(NotFound):
        inspection.get_plan(plan["id"])
