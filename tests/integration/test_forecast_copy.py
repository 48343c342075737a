"""A chunk's demand_forecast rows go to PostgreSQL by one binary COPY: every value arrives
exactly (ids, dates, the floats' bits, NaN), and an empty frame writes nothing."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from inventory.db import replenishment_writes as writes
from inventory.db.base import db
from inventory.db.replenishment_models import DemandForecast
from inventory.services.tx import transaction

pytestmark = pytest.mark.parametrize(
    "backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
FIGURES = ["mean", "q025", "q100", "q500", "q900", "q950", "q975", "q990"]


@pytest.fixture
def run_id(backend, app):
    with transaction() as session:
        return writes.start_run(
            session, run_date=date(2026, 3, 2), fingerprint="x", parameters={}, total=0,
            actor_id=None,
        )  # fmt: skip


def frame(make, rows: int) -> pd.DataFrame:
    item, other = make.item(), make.item()
    wh = make.warehouse()
    awkward = [0.1, 1 / 3, 1e-300, 123456.789012345678, 0.0, math.nan, 2.5e15, 7.0]
    out = pd.DataFrame(
        {
            "item_id": np.where(np.arange(rows) % 2, item, other),
            "warehouse_id": wh,
            "period": [date(1999, 12, 27), date(2000, 1, 3), date(2026, 3, 2)] * (rows // 3)
            + [date(2030, 12, 30)] * (rows % 3),
        }
    )
    for k, name in enumerate(FIGURES):
        out[name] = np.roll(awkward, k)[np.arange(rows) % len(awkward)]
    return out


def stored(run_id: int) -> pd.DataFrame:
    db.session.rollback()
    found = db.session.execute(
        select(DemandForecast.item_id, DemandForecast.warehouse_id, DemandForecast.period,
               *(getattr(DemandForecast, f) for f in FIGURES))
        .where(DemandForecast.run_id == run_id).order_by(DemandForecast.id)
    ).all()  # fmt: skip
    return pd.DataFrame(found, columns=["item_id", "warehouse_id", "period", *FIGURES])


def test_every_value_arrives_exactly(make, run_id):
    rows = frame(make, 17)
    with transaction() as session:
        writes._copy_forecasts(session, run_id, rows)
    got = stored(run_id)
    assert len(got) == 17
    pd.testing.assert_frame_equal(got, rows, check_dtype=False)
    bits = got[FIGURES].to_numpy(float).view(np.int64)
    np.testing.assert_array_equal(bits, rows[FIGURES].to_numpy(float).view(np.int64))


def test_an_empty_frame_writes_nothing_and_twice_writes_twice(make, run_id):
    with transaction() as session:
        writes._copy_forecasts(session, run_id, frame(make, 0))
    assert stored(run_id).empty
    rows = frame(make, 3)
    for _ in range(2):
        with transaction() as session:
            writes._copy_forecasts(session, run_id, rows)
    assert len(stored(run_id)) == 6
