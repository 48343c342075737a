"""Syntetos–Boylan demand classes, plus `new` (too little history) and `dead` (no recent demand).

ADI is the average interval between demands: periods / periods with demand. CV² is the squared
coefficient of variation of the non-zero demand sizes (population variance, ddof=0). The cuts are
Syntetos, Boylan and Croston (2005): ADI 1.32 and CV² 0.49; a value on a cut goes to the harder
class (ADI = 1.32 is intermittent, CV² = 0.49 is erratic/lumpy)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import SEASON_LENGTH, check_freq, fill

ADI_CUT = 1.32
CV2_CUT = 0.49
DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "new", "dead")
# Fewer periods than this is `new`: too short to backtest or to read a class from.
MIN_PERIODS = {"D": 28, "W": 8, "M": 6}


def classify_filled(full: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Classes of an already filled frame [unique_id, y] (in period order within each series)."""
    y = full["y"]
    by = full.groupby("unique_id", sort=True)
    periods = by.size()
    positive = y.where(y > 0)
    nonzero = positive.groupby(full["unique_id"], sort=True).count()
    size_mean = positive.groupby(full["unique_id"], sort=True).mean()
    size_var = positive.groupby(full["unique_id"], sort=True).var(ddof=0)
    adi = periods / nonzero.replace(0, np.nan)
    cv2 = size_var / size_mean**2
    # Dead: no demand in the last year of periods (or in the whole history when it is shorter).
    window = SEASON_LENGTH[freq] if freq != "D" else 365
    recent = by.tail(window)
    recent_demand = recent["y"].groupby(recent["unique_id"], sort=True).sum()

    erratic = cv2 >= CV2_CUT
    intermittent = adi >= ADI_CUT
    cls = np.select(
        [
            periods.to_numpy() < MIN_PERIODS[freq],
            recent_demand.to_numpy() <= 0,
            intermittent & erratic,
            intermittent,
            erratic,
        ],
        ["new", "dead", "lumpy", "intermittent", "erratic"],
        default="smooth",
    )
    return pd.DataFrame(
        {
            "item_id": periods.index.to_numpy(),
            "demand_class": cls,
            "adi": adi.to_numpy(),
            "cv2": cv2.to_numpy(),
            "periods": periods.to_numpy(),
            "nonzero_periods": nonzero.to_numpy(),
        }
    )


def classify(history: pd.DataFrame, freq: str) -> pd.DataFrame:
    """[item_id, demand_class, adi, cv2, periods, nonzero_periods], one row per item.

    history: [item_id, period, qty] (and optionally stocked_out), as for `forecast`."""
    check_freq(freq)
    return classify_filled(fill(history, freq), freq)
