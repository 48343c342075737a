"""Reorder runs, series, suggestions and exceptions inserted straight into their tables, so the
review API is tested without the forecasting code that normally writes them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

from sqlalchemy import select, text

from inventory import clock
from inventory.db.base import db
from inventory.db.replenishment_models import (
    DemandForecast,
    ForecastSeries,
    ReorderException,
    ReorderRun,
    ReorderSuggestion,
)
from inventory.services import budgets, suppliers

# Every table a review, a settings change or a policy change may write to.
REVIEW_TABLES = (
    "purchase_request",
    "purchase_request_line",
    "status_change",
    "reorder_policy",
    "idempotency_key",
    "audit_event",
)


class Reorder:
    """A warehouse, items, two suppliers, a cost centre, and runs made on demand."""

    def __init__(self, make):
        self.make = make
        self.admin = make.admin
        self.warehouse = make.warehouse("MAIN")
        self.other_warehouse = make.warehouse("EAST")
        self.items = [make.item(f"R{i}", valuation_cost="3.5") for i in range(1, 4)]
        self.supplier_a = suppliers.create_supplier(
            self.admin, {"code": "ACME", "name": "Acme", "currency": "EUR"}
        )
        self.supplier_b = suppliers.create_supplier(
            self.admin, {"code": "BOLTS", "name": "Bolts & Co", "currency": "EUR"}
        )
        self.centre = budgets.create_centre(self.admin, code="OPS", name="Operations")["id"]
        self.today = clock.now().date()
        self._runs = 0

    def run(self, status: str = "succeeded", run_date: date | None = None, **values) -> int:
        self._runs += 1
        row = ReorderRun(
            run_date=run_date or self.today,
            status=status,
            fingerprint=f"fp-{self._runs}",
            parameters={"freq": "W", "horizon": 4, "history_days": 365},
            counts=None if status == "running" else {"series": 3, "suggestions": 2},
            errors=values.pop("errors", []),
            progress_done=values.pop("done", 3),
            progress_total=values.pop("total", 3),
            started_at=clock.now(),
            finished_at=None if status == "running" else clock.now(),
            **values,
        )
        db.session.add(row)
        db.session.commit()
        return row.id

    def series(self, run_id: int, item_id: int, warehouse_id: int | None = None, **values) -> None:
        db.session.add(
            ForecastSeries(
                run_id=run_id,
                item_id=item_id,
                warehouse_id=warehouse_id or self.warehouse,
                demand_class=values.pop("demand_class", "smooth"),
                abc_class=values.pop("abc_class", "A"),
                model=values.pop("model", "AutoETS"),
                mean=values.pop("mean", 4.0),
                variance=values.pop("variance", 2.0),
                backtest_mase=values.pop("backtest_mase", 0.8),
                backtest_rmsse=values.pop("backtest_rmsse", 0.7),
                error=values.pop("error", ""),
            )
        )
        db.session.commit()

    def forecast(self, run_id: int, item_id: int, period: date, mean: float, **values) -> None:
        spread = {"q025": 0.25, "q100": 0.5, "q500": 1.0, "q900": 1.5, "q950": 1.7}
        spread |= {"q975": 1.9, "q990": 2.2}
        db.session.add(
            DemandForecast(
                run_id=run_id,
                item_id=item_id,
                warehouse_id=values.pop("warehouse_id", self.warehouse),
                period=period,
                mean=mean,
                **{name: mean * factor for name, factor in spread.items()},
            )
        )
        db.session.commit()

    def suggestion(self, run_id: int, item_id: int, **values) -> int:
        row = ReorderSuggestion(
            run_id=run_id,
            item_id=item_id,
            warehouse_id=values.pop("warehouse_id", self.warehouse),
            supplier_id=values.pop("supplier_id", self.supplier_a),
            quantity=D(values.pop("quantity", "10")),
            unit_price=values.pop("unit_price", D("2.5000")),
            order_by=values.pop("order_by", self.today + timedelta(days=3)),
            need_by=values.pop("need_by", self.today + timedelta(days=14)),
            urgency=values.pop("urgency", "normal"),
            demand_class=values.pop("demand_class", "smooth"),
            abc_class=values.pop("abc_class", "A"),
            model=values.pop("model", "AutoETS"),
            explanation=values.pop(
                "explanation",
                {
                    "reorder_point": "12",
                    "order_up_to": "22",
                    "position": "12",
                    "stockout_on": (self.today + timedelta(days=20)).isoformat(),
                },
            ),
            **values,
        )
        db.session.add(row)
        db.session.commit()
        return row.id

    def exception(self, run_id: int, item_id: int, kind: str = "expedite", **values) -> int:
        row = ReorderException(
            run_id=run_id,
            item_id=item_id,
            warehouse_id=values.pop("warehouse_id", self.warehouse),
            kind=kind,
            supplier_id=values.pop("supplier_id", None),
            message=values.pop("message", f"{kind} for item {item_id}"),
            detail=values.pop("detail", {"days_short": 4}),
            **values,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


def suggestion_states(ids) -> dict[int, tuple]:
    """What a review changes on each suggestion, to show a refusal changed nothing."""
    db.session.rollback()
    rows = db.session.execute(
        select(
            ReorderSuggestion.id,
            ReorderSuggestion.status,
            ReorderSuggestion.request_line_id,
            ReorderSuggestion.dismiss_reason,
            ReorderSuggestion.decided_by,
        ).where(ReorderSuggestion.id.in_(list(ids)))
    ).all()
    db.session.rollback()
    return {r[0]: tuple(r[1:]) for r in rows}


def audit_actions(entity_type: str) -> list[tuple[str, str]]:
    db.session.rollback()
    rows = db.session.execute(
        text("SELECT action, entity_id FROM audit_event WHERE entity_type = :t ORDER BY id"),
        {"t": entity_type},
    ).all()
    db.session.rollback()
    return [tuple(r) for r in rows]
