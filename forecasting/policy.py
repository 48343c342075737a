"""Reorder-policy figures from forecasts: demand over the lead time as a count distribution, the
reorder point and order-up-to level as its quantiles, and ABC classes of consumption value.

Everything here works on whole columns at once (numpy/scipy over every series), never item by
item, so a run over 100,000 item-warehouses costs a few vector operations.

The model, in full:
- Per period (the forecast's frequency: day, week or month) demand has mean ``mu`` and variance
  ``var`` (the forecast's ``series`` frame gives both). Over several periods, what the forecast
  does not know is not independent from period to period: its level error persists. So the
  variance splits into noise, independent per period (``noise_variance``, ``n``), and the
  variance of a level error held over all the periods (``level_variance``, ``c``): demand over
  ``T`` periods has variance ``T * n + T**2 * c``. ``forecasting.forecast`` gives both columns,
  scaled per demand class on its rolling-origin backtest errors summed over each origin's
  periods (``calibrate.aggregation_scales``); without them, ``n = var`` and ``c = 0`` (periods
  independent). The per-period ``variance`` (and the forecast's quantiles) are left as they are.
- The lead time is ``L`` periods on average with standard deviation ``s_L`` (from the supplier
  item and as measured from receipts; the caller converts days to periods). Demand over a random
  lead time then has mean ``mu * L`` and variance ``L * n + mu**2 * s_L**2 + c * (L**2 +
  s_L**2)`` (the law of total variance; ``E[L**2] = L**2 + s_L**2``), so lead-time variability
  widens the safety stock.
- That demand is read as a count distribution: negative binomial with the same mean and variance
  when the variance exceeds the mean, Poisson with that mean otherwise (a Poisson is the
  narrowest count distribution we allow, so an under-dispersed forecast is widened to it).
  Never a normal: intermittent demand is skewed and never negative, and so are these quantiles.
- The reorder point is the quantile at the service level of demand over ``L``; the order-up-to
  level is that quantile of demand over ``L + R`` (``R`` the review period: how often an item is
  meant to be ordered), whose lead-time spread is still ``s_L`` alone. The quantile of a count
  distribution is the smallest whole ``k`` with ``P(D <= k) >= p``: the service level read as
  the chance that a replenishment cycle has no stock-out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

# Default target service level (chance of no stock-out per cycle) by ABC class of consumption value.
DEFAULT_SERVICE_LEVELS = {"A": 0.98, "B": 0.95, "C": 0.90}
ABC_CUTS = (0.80, 0.95)

# A variance within this relative margin of the mean is read as Poisson: a negative binomial with
# a huge shape parameter is a Poisson anyway, and scipy's ppf loses precision there.
_OVERDISPERSION_MARGIN = 1e-6

# Below this mean, demand is read as none: the quantile at any service level we allow is 0 there
# anyway, and a negative binomial's shape parameter (mean**2 / excess variance) would underflow.
_NEGLIGIBLE_MEAN = 1e-9

_REQUIRED = ("item_id", "mean", "variance", "lead_periods", "lead_periods_sd")
_OPTIONAL = ("noise_variance", "level_variance")


def demand_over(
    mean: np.ndarray,
    variance: np.ndarray,
    periods: np.ndarray,
    periods_sd: np.ndarray,
    level_variance: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of demand over a random number of periods ``T`` (mean ``periods``,
    standard deviation ``periods_sd``), each period's demand the level plus noise of variance
    ``variance``, the level known up to an error of variance ``level_variance`` held over all
    ``T`` periods: ``mean * periods`` and ``periods * variance + mean**2 * periods_sd**2 +
    level_variance * (periods**2 + periods_sd**2)`` (``E[T**2] = periods**2 + periods_sd**2``).
    With ``level_variance`` 0, periods are independent. Arrays broadcast; inputs must be
    non-negative and finite."""
    mean, variance, periods, periods_sd, level_variance = (
        np.asarray(x, dtype=float) for x in (mean, variance, periods, periods_sd, level_variance)
    )
    spread = mean**2 * periods_sd**2 + level_variance * (periods**2 + periods_sd**2)
    return mean * periods, periods * variance + spread


def _moments(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per series: the noise variance per period and the level error's variance (see the
    module): ``noise_variance`` and ``level_variance`` when ``series`` has both, else
    ``variance`` and 0 (periods independent)."""
    if {"noise_variance", "level_variance"} <= set(series.columns):
        return (
            series["noise_variance"].to_numpy(dtype=float),
            series["level_variance"].to_numpy(dtype=float),
        )
    return series["variance"].to_numpy(dtype=float), np.zeros(len(series))


def _count_model(mean, variance, x):
    """``mean``, ``variance`` and ``x`` as broadcast float arrays, and which entries are Poisson
    and which negative binomial (variance above the mean); neither where the mean is (nearly) 0."""
    mean, variance, x = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (mean, variance, x))
    )
    positive = mean > _NEGLIGIBLE_MEAN
    overdispersed = positive & (variance > mean * (1 + _OVERDISPERSION_MARGIN))
    return mean, variance, x, positive & ~overdispersed, overdispersed


def count_quantile(mean: np.ndarray, variance: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """The ``prob`` quantile of a count with this mean and variance: negative binomial when the
    variance exceeds the mean, Poisson otherwise; 0 when the mean is (nearly) 0. Whole numbers
    (a float array), never negative. Arrays broadcast; ``prob`` must lie in (0, 1)."""
    mean, variance, prob, poisson, overdispersed = _count_model(mean, variance, prob)
    out = np.zeros(mean.shape, dtype=float)
    if poisson.any():
        out[poisson] = stats.poisson.ppf(prob[poisson], mean[poisson])
    if overdispersed.any():
        m, v = mean[overdispersed], variance[overdispersed]
        # scipy's nbinom(n, p): mean n(1-p)/p, variance n(1-p)/p**2, so p = m/v, n = m**2/(v-m).
        out[overdispersed] = stats.nbinom.ppf(prob[overdispersed], m * m / (v - m), m / v)
    return out


def _check(series: pd.DataFrame, probs: Mapping[str, float | str]) -> None:
    missing = [c for c in _REQUIRED if c not in series.columns]
    if missing:
        raise ValueError(f"lead_time_demand needs the columns {', '.join(missing)}.")
    optional = [c for c in _OPTIONAL if c in series.columns]
    numbers = series[[c for c in _REQUIRED if c != "item_id"] + optional]
    if numbers.isna().to_numpy().any() or (numbers.to_numpy(dtype=float) < 0).any():
        bad = numbers.columns[(numbers.isna() | (numbers < 0)).any()].tolist()
        raise ValueError(f"Negative or missing values in {', '.join(bad)}.")
    for name, prob in probs.items():
        values = series[prob].to_numpy(dtype=float) if isinstance(prob, str) else np.array([prob])
        if not ((values > 0) & (values < 1)).all():
            raise ValueError(f"The probability for {name} must lie strictly between 0 and 1.")


def path_mean(path: pd.DataFrame, item_ids, periods) -> np.ndarray:
    """Per series, the forecast's mean demand per period over its first ``periods`` periods.

    ``path``: the forecast's rows ``[item_id, period, mean]`` (``ForecastResult.forecasts``).
    ``item_ids`` and ``periods`` (fractions allowed) are aligned arrays, one entry per wanted
    series. A seasonal forecast's coming peak or trough belongs in the demand over the lead time;
    the horizon's average would spread it over the whole horizon. A fractional last period counts
    pro rata; past the horizon, the horizon's average per period carries on; zero periods give the
    first period's mean. NaN for a series the path does not hold. Negative means count as zero.
    """
    wanted = pd.Index(pd.Series(item_ids, dtype=object).astype(str))
    horizon_t = np.asarray(periods, dtype=float)
    if path.empty:
        return np.full(len(wanted), np.nan)
    ordered = path.assign(item_id=path["item_id"].astype(str)).sort_values(
        ["item_id", "period"], kind="stable"
    )
    step = ordered.groupby("item_id", sort=False).cumcount()
    matrix = (
        ordered.assign(step=step.to_numpy())
        .pivot(index="item_id", columns="step", values="mean")
        .astype(float)
        .clip(lower=0)
    )
    rows = matrix.index.get_indexer(wanted)
    means = np.nan_to_num(matrix.to_numpy())
    lengths = matrix.notna().sum(axis=1).to_numpy()
    cum = np.concatenate([np.zeros((len(means), 1)), np.cumsum(means, axis=1)], axis=1)
    out = np.full(len(wanted), np.nan)
    known = rows >= 0
    r, t = rows[known], np.maximum(horizon_t[known], 0.0)
    h = lengths[r]
    whole = np.minimum(np.floor(t), h).astype(int)
    frac = np.where(t < h, t - np.floor(t), 0.0)
    at_whole = means[r, np.minimum(whole, means.shape[1] - 1)]
    total = cum[r, whole] + frac * at_whole + np.maximum(t - h, 0.0) * cum[r, h] / np.maximum(h, 1)
    out[known] = np.where(t > 0, total / np.where(t > 0, t, 1.0), means[r, 0])
    return out


def lead_time_demand(
    series: pd.DataFrame,
    probs: Mapping[str, float | str],
    *,
    include_review: bool = False,
) -> pd.DataFrame:
    """Demand over the lead time (plus the review period when ``include_review``) per series.

    ``series``: one row per series with ``item_id``, ``mean`` and ``variance`` (per period, as in
    ``ForecastResult.series``), ``lead_periods`` and ``lead_periods_sd`` (lead time in periods
    of the forecast's frequency), and ``review_periods`` when ``include_review``; optionally
    ``noise_variance`` and ``level_variance`` (both, as in ``ForecastResult.series``: see the
    module), which then stand for ``variance`` over the periods. No value may be negative or
    missing.
    ``probs``: output column name -> probability in (0, 1), either a number for every row or the
    name of a column of ``series`` holding each row's probability (e.g. ``"service_level"``).

    Returns ``[item_id, demand_mean, demand_var, <one column per probs entry>]`` in the order of
    ``series``; each probs column is that quantile of the count distribution (see the module).
    """
    needed = {"review_periods"} if include_review else set()
    if needed - set(series.columns):
        raise ValueError("include_review needs the column review_periods.")
    _check(series, probs)
    periods = series["lead_periods"].to_numpy(dtype=float)
    if include_review:
        periods = periods + series["review_periods"].to_numpy(dtype=float)
    noise, level = _moments(series)
    demand_mean, demand_var = demand_over(
        series["mean"].to_numpy(dtype=float),
        noise,
        periods,
        series["lead_periods_sd"].to_numpy(dtype=float),
        level,
    )
    out = pd.DataFrame(
        {
            "item_id": series["item_id"].to_numpy(),
            "demand_mean": demand_mean,
            "demand_var": demand_var,
        }
    )
    for name, prob in probs.items():
        p = series[prob].to_numpy(dtype=float) if isinstance(prob, str) else float(prob)
        out[name] = count_quantile(demand_mean, demand_var, p)
    return out


def undershoot(
    mean: np.ndarray, variance: np.ndarray, check_periods
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of how far below the reorder point the position is when an order is
    placed: the overshoot of the demand that crosses it.

    Between two checks of the position (``check_periods`` apart; 0 for every transaction) demand
    ``X`` has mean ``mean * c`` and variance ``variance * c`` (per transaction, ``c -> 0``, the
    negative binomial's own clumps: a negative binomial is a compound Poisson of log-series
    sizes whose ``E[X^2] / E[X]`` is ``variance / mean``). Renewal theory puts the overshoot of
    a count at ``E[X(X - 1)] / (2 E[X])`` on average, here ``(variance / mean - 1 + mean * c) /
    2``; its variance is taken as a geometric's with that mean, ``u * (u + 1)``. Unit demands
    (Poisson, checked at every transaction) cross at the reorder point exactly: 0, 0."""
    mean, variance, c = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (mean, variance, check_periods))
    )
    positive = mean > _NEGLIGIBLE_MEAN
    ratio = np.divide(variance, mean, out=np.ones(mean.shape), where=positive)
    u = np.where(positive, (np.maximum(ratio, 1.0) - 1 + mean * c) / 2, 0.0)
    return u, u * (u + 1)


def _stocking_rate(series: pd.DataFrame) -> pd.DataFrame:
    """``series`` with a zero forecast on a series that had demand in its longer history
    (``history_mean`` > 0) read as a Poisson at that long-run rate: a part silent for a year is
    still asked for now and then, and a zero forecast would meet every such demand short."""
    if "history_mean" not in series.columns:
        return series
    history = series["history_mean"].fillna(0).to_numpy(dtype=float)
    if (history < 0).any():
        raise ValueError("Negative values in history_mean.")
    mean = series["mean"].to_numpy(dtype=float)
    silent = (mean <= _NEGLIGIBLE_MEAN) & (history > _NEGLIGIBLE_MEAN)
    if not silent.any():
        return series
    variance = series["variance"].to_numpy(dtype=float)
    out = series.assign(
        mean=np.where(silent, history, mean),
        variance=np.where(silent, np.maximum(variance, history), variance),
    )
    if {"noise_variance", "level_variance"} <= set(series.columns):
        noise = series["noise_variance"].to_numpy(dtype=float)
        level = series["level_variance"].to_numpy(dtype=float)
        out["noise_variance"] = np.where(silent, np.maximum(noise, history), noise)
        out["level_variance"] = np.where(silent, 0.0, level)
    return out


def reorder_levels(
    series: pd.DataFrame,
    service_level: float | str = "service_level",
    *,
    measure: str = "cycle",
) -> pd.DataFrame:
    """Reorder point and order-up-to level of every series at its service level.

    ``series`` as for ``lead_time_demand`` with ``review_periods``, and ``service_level`` either a
    number or the name of a column (default ``"service_level"``). Two optional columns:
    - ``check_periods``: how often the position is checked, in periods (the daily run on weekly
      forecasts: 1/7). Absent: 0, every transaction.
    - ``history_mean``: the series' mean demand per period over its whole history. Where given,
      a zero forecast on a series with demand in that history (a ``dead`` series) is stocked
      as a Poisson at that rate (the forecast's own intervals for dead series do the same).
    Returns ``[item_id, lead_demand_mean, lead_demand_var, reorder_point, cover_demand_mean,
    cover_demand_var, order_up_to]``: the first three over the lead time, the next two over lead
    time + review. ``order_up_to >= reorder_point`` always.

    An order is placed when the position is at or below the reorder point ``s``; it is then
    ``s - U`` with ``U`` the undershoot (see ``undershoot``), so what must cover the lead time
    is ``s - U``: the reorder point is read against ``D_L + U`` (mean and variance added, the
    same count distribution), not ``D_L`` alone. For unit demands ``U`` is 0. ``U`` is drawn from
    the noise variance (``noise_variance`` where given): the clumps of demand between two checks,
    not what the level may be.

    ``measure`` says what the service level promises:
    - ``"cycle"`` (the default): the chance that a replenishment cycle has no stock-out. The
      reorder point is the service-level quantile of ``D_L + U`` and the order-up-to level that
      quantile over lead time + review (plus ``U``).
    - ``"fill_rate"``: the share of demand served from stock. The order-up-to level is ``s +
      ceil(R * mean)`` (the review period's demand), so an order is ``Q = S - s + E[U]`` on
      average (``S - s`` at least a unit: an order is a whole unit), and that is the demand per
      cycle. The reorder point is the smallest
      whole ``s`` whose expected shortage per cycle, ``E(D - s)+ - E(D - s - Q)+`` with ``D =
      D_L + U``, is at most ``(1 - service_level) * Q``. Slow movers ordered a unit at a time
      need a far higher cycle service for the same fill rate, fast movers ordered in large lots
      far lower; this spends the stock where it buys the most service.
    """
    if measure not in ("cycle", "fill_rate"):
        raise ValueError('measure must be "cycle" or "fill_rate".')
    series = _stocking_rate(series)
    lead = lead_time_demand(series, {})
    cover = lead_time_demand(series, {}, include_review=True)
    check = series["check_periods"].to_numpy(dtype=float) if "check_periods" in series else 0.0
    mean = series["mean"].to_numpy(dtype=float)
    u_mean, u_var = undershoot(mean, _moments(series)[0], check)
    level = (
        series[service_level].to_numpy(dtype=float)
        if isinstance(service_level, str)
        else np.full(len(series), float(service_level))
    )
    if not ((level > 0) & (level < 1)).all():
        raise ValueError("The service level must lie strictly between 0 and 1.")
    at_order_mean = lead["demand_mean"].to_numpy() + u_mean
    at_order_var = lead["demand_var"].to_numpy() + u_var
    if measure == "cycle":
        reorder_point = count_quantile(at_order_mean, at_order_var, level)
        order_up_to = count_quantile(
            cover["demand_mean"].to_numpy() + u_mean, cover["demand_var"].to_numpy() + u_var, level
        )
    else:
        lot = np.ceil(mean * series["review_periods"].to_numpy(dtype=float))
        cycle = np.maximum(lot, 1.0) + u_mean  # an order is a whole unit at least
        reorder_point = fill_rate_reorder_point(at_order_mean, at_order_var, cycle, level)
        order_up_to = reorder_point + lot
    return pd.DataFrame(
        {
            "item_id": lead["item_id"],
            "lead_demand_mean": lead["demand_mean"],
            "lead_demand_var": lead["demand_var"],
            "reorder_point": reorder_point,
            "cover_demand_mean": cover["demand_mean"],
            "cover_demand_var": cover["demand_var"],
            "order_up_to": np.maximum(order_up_to, reorder_point),
        }
    )


def expected_shortfall(mean: np.ndarray, variance: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``E[(D - k)+]`` for the count distribution of ``count_quantile`` (whole ``k >= 0``).

    From ``j * P(D = j) = mean * P(D' = j - 1)``, where ``D'`` is the same Poisson, or for a
    negative binomial ``NB(r, p)`` the ``NB(r + 1, p)``: ``E[D; D > k] = mean * P(D' >= k)``,
    so ``E[(D - k)+] = mean * P(D' >= k) - k * P(D > k)``.
    """
    mean, variance, k, pois, over = _count_model(mean, variance, k)
    out = np.zeros(mean.shape, dtype=float)
    if pois.any():
        m, kk = mean[pois], k[pois]
        out[pois] = m * stats.poisson.sf(kk - 1, m) - kk * stats.poisson.sf(kk, m)
    if over.any():
        m, v, kk = mean[over], variance[over], k[over]
        r, prob = m * m / (v - m), m / v
        out[over] = m * stats.nbinom.sf(kk - 1, r + 1, prob) - kk * stats.nbinom.sf(kk, r, prob)
    return np.maximum(out, 0)  # rounding can leave a hair below 0 far in the tail


def fill_rate_reorder_point(
    lead_mean: np.ndarray, lead_var: np.ndarray, cycle_demand: np.ndarray, fill_rate
) -> np.ndarray:
    """The smallest whole ``s >= 0`` with expected shortage per cycle at most ``(1 - fill_rate)
    * Q``, ``Q = max(cycle_demand, 1)`` (see ``reorder_levels``); a vectorised bisection."""
    lead_mean, lead_var, cycle, rate = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (lead_mean, lead_var, cycle_demand, fill_rate))
    )
    if not ((rate > 0) & (rate < 1)).all():
        raise ValueError("The fill rate must lie strictly between 0 and 1.")
    q = np.maximum(cycle, 1.0)
    allowed = (1 - rate) * q

    def short(s):
        return expected_shortfall(lead_mean, lead_var, s) - expected_shortfall(
            lead_mean, lead_var, s + q
        )

    # Start the search under a bound that meets the target: the 0.999 quantile usually does,
    # and doubling it where it does not soon will (the shortfall falls to 0 in the tail).
    low = np.zeros(lead_mean.shape)
    high = count_quantile(lead_mean, lead_var, 0.999) + 1
    while (grow := short(high) > allowed).any():
        high = np.where(grow, high * 2 + 1, high)
    while (open_ := low < high).any():
        mid = np.floor((low + high) / 2)
        ok = short(mid) <= allowed
        high = np.where(open_ & ok, mid, high)
        low = np.where(open_ & ~ok, mid + 1, low)
    return high


def abc_classes(consumption_value: pd.Series, cuts: tuple[float, float] = ABC_CUTS) -> pd.Series:
    """'A', 'B' or 'C' per entry of ``consumption_value`` (e.g. annual quantity × unit cost).

    Entries are ranked by value, largest first (ties keep their order in the series). An entry
    is 'A' when the cumulative share of the entries ranked before it is below ``cuts[0]`` (so
    the entries that make up the first 80% of the value are A, including the one that crosses
    80%), 'B' when it is below ``cuts[1]``, else 'C'. Entries worth 0 are always 'C', and so is
    everything when the total is 0. Missing values count as 0; negative values are refused.
    """
    low, high = cuts
    if not 0 < low < high <= 1:
        raise ValueError("cuts must satisfy 0 < first < second <= 1.")
    values = consumption_value.fillna(0).astype(float)
    if (values < 0).any():
        raise ValueError("Consumption values cannot be negative.")
    total = values.sum()
    labels = np.full(len(values), "C", dtype=object)
    if total > 0:
        # Positions, not index labels, so a series with repeated labels is classed correctly.
        order = np.argsort(-values.to_numpy(), kind="stable")
        ranked = values.to_numpy()[order]
        share_before = (np.cumsum(ranked) - ranked) / total
        ranked_labels = np.where(share_before < low, "A", np.where(share_before < high, "B", "C"))
        labels[order] = np.where(ranked > 0, ranked_labels, "C")
    classes = pd.Series(labels, index=consumption_value.index, dtype=object)
    return classes


def default_service_levels(classes: pd.Series) -> pd.Series:
    """The default service level of each ABC class (A 0.98, B 0.95, C 0.90)."""
    return classes.map(DEFAULT_SERVICE_LEVELS).astype(float)
