"""ABC/XYZ classes of items: ABC by consumption value (``policy.abc_classes``), XYZ by how much
monthly demand varies.

XYZ rule: the coefficient of variation (population standard deviation / mean) of an item's
monthly demand over the window, every month counted (months without demand are zeros). X when
CV < ``cuts[0]`` (0.5 by default), Y when CV < ``cuts[1]`` (1.0), Z otherwise. An item without
any demand in the window has no CV and is Z (nothing to plan on).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.policy import ABC_CUTS, abc_classes

XYZ_CUTS = (0.5, 1.0)


def check_xyz_cuts(cuts: tuple[float, float]) -> tuple[float, float]:
    low, high = (float(c) for c in cuts)
    if not 0 < low < high:
        raise ValueError("XYZ cuts must satisfy 0 < first < second.")
    return low, high


def demand_cv(monthly: pd.DataFrame) -> pd.Series:
    """CV of ``monthly`` ``[item_id, period, qty]`` (one row per item and month, zeros
    included) per item; NaN where the mean is 0."""
    grouped = monthly.groupby("item_id")["qty"]
    mean = grouped.mean()
    std = grouped.std(ddof=0)
    return (std / mean.where(mean > 0)).rename("demand_cv")


def xyz_classes(cv: pd.Series, cuts: tuple[float, float] = XYZ_CUTS) -> pd.Series:
    """'X', 'Y' or 'Z' per entry of ``cv`` (NaN: Z)."""
    low, high = check_xyz_cuts(cuts)
    values = cv.to_numpy(dtype=float)
    labels = np.where(values < low, "X", np.where(values < high, "Y", "Z"))
    labels = np.where(np.isnan(values), "Z", labels)
    return pd.Series(labels, index=cv.index, dtype=object)


def classify(
    totals: pd.DataFrame,
    monthly: pd.DataFrame,
    *,
    abc_cuts: tuple[float, float] = ABC_CUTS,
    xyz_cuts: tuple[float, float] = XYZ_CUTS,
) -> pd.DataFrame:
    """Classes of every item in ``totals`` ``[item_id, quantity, consumption_value]`` from its
    monthly demand ``monthly`` ``[item_id, period, qty]``: ``[item_id, quantity,
    consumption_value, demand_cv, abc_class, xyz_class]``."""
    frame = totals.reset_index(drop=True).copy()
    frame["abc_class"] = abc_classes(frame["consumption_value"].astype(float), abc_cuts).to_numpy()
    cv = demand_cv(monthly) if len(monthly) else pd.Series(dtype=float, name="demand_cv")
    frame["demand_cv"] = frame["item_id"].map(cv).astype(float)
    frame["xyz_class"] = xyz_classes(frame["demand_cv"], xyz_cuts).to_numpy()
    return frame
