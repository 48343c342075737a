"""bench-policy: replay a year of real demand, ordering as our reorder policy says, beside a
min/max rule tuned to reach the same fill rate.

What it does, per data set (car parts: intermittent; hospital: smooth, some seasonal):
- The last 12 months of each series are replayed day by day; everything before is history.
  Each month's quantity is spread over the days of that month, every unit on a uniformly
  random day (a fixed seed), so a month keeps its total and the days are lumpy like real issues.
- Every morning (continuous review, as the daily run does): receipts due that day arrive,
  the day's demand is served from stock (what cannot be served is backordered, and counts
  against the fill rate), then the position (net stock + on order) is checked and an order
  placed as the rule says. Orders are whole units; no MOQ or pack size (both rules alike).
- Lead times: each series has a nominal lead time drawn from a log-normal spread (median 14
  days, 3 to 60), and each order's actual lead time is gamma-distributed around it with a
  coefficient of variation of 0.3 (seeded; the same draw for both rules on the same day).
  Our policy knows each series' mean and spread, as measured from receipts would give it.
- Our policy: on the 1st of a replayed month, forecast from the monthly history so far
  (``forecasting.forecast``, ``n_jobs=2``; per-period mean and variance over a 3-month horizon).
  Car parts is forecast every month; hospital (seasonal AutoETS over 383 × 60+ months, 30-60 s a
  call, minutes under load) on the 1st of each quarter, that forecast serving the quarter's three
  months (``--forecast-every`` sets both). Then ``forecasting.policy.reorder_levels`` each month:
  reorder point over the lead time, order-up-to over lead time + a 14-day review period, at the
  service level of the series' ABC class (A 0.98, B 0.95, C 0.90; consumption value = the last
  12 months' quantity, no prices in the data), with the position checked daily
  (``check_periods``: the undershoot at ordering) and each series' mean over its whole history
  (``history_mean``: a zero forecast on a series with past demand is stocked at that rate).
  Order when position <= reorder point, up to the order-up-to level (the rule of
  ``inventory.domain.reorder.decide``, checked against it on a sample of the orders placed).
- Min/max: min = k × mean lead-time demand, max = min + the review period's mean demand, from
  the trailing 12 months' mean, updated monthly; k (one for all series) is found by bisection
  so the fill rate equals the one our policy reached (when no k reaches it, as when our fill
  comes from series silent for a year, min/max shows the fill it does reach).
- Reported: fill rate (units served from stock / units demanded) against the demand-weighted
  target, average units on hand, orders placed, the stock saving against min/max, and the fill
  rate per demand class (the forecast's class in force the month the demand came).

Figures and what they say: docs/performance.md, "Reorder policy". ``--cache DIR`` keeps each
forecast keyed by its history, so a re-run after a policy change refits nothing; ``--only SET``.
``--lead-cv-spread SIGMA`` is a sensitivity, not the bench: suppliers of differing reliability.
``--back K`` replays the year ending K months earlier: the same policy judged on another year.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import forecasting  # noqa: E402
from forecasting import policy  # noqa: E402
from inventory.domain import reorder  # noqa: E402

SEED = 20260310
REPLAY_MONTHS = 12
REVIEW_DAYS = 14
LEAD_MEDIAN_DAYS, LEAD_MIN_DAYS, LEAD_MAX_DAYS, LEAD_CV = 14.0, 3.0, 60.0, 0.3
DAYS_PER_MONTH = 365.25 / 12
SETS = ("carparts-dev.csv.gz", "hospital-dev.csv.gz")
N_JOBS = 2  # statsforecast processes per forecast call (the machine has 2 cores)
# Months between forecasts per set: car parts (1,337 series × 27+ months) takes a few seconds a
# forecast, so monthly; hospital (383 × 60+, seasonal AutoETS) takes 30-60 s (minutes under
# load), so each quarter's forecast serves its three months (its 3-month horizon mean).
FORECAST_EVERY = {"carparts": 1, "hospital": 3}
CACHE_VERSION = 2  # bumped when the forecast frame's columns change (2: noise/level variance)


def _data_dir(given: str | None) -> Path:
    candidates = [Path(given)] if given else []
    candidates += [ROOT / "bench" / "data", ROOT.parent / "shared/data/demand"]
    candidates += [ROOT.parent.parent / "shared/data/demand"]
    for path in candidates:
        if all((path / name).exists() for name in SETS):
            return path
    raise SystemExit(f"Demand files {SETS} not found in {[str(c) for c in candidates]}.")


def load(path: Path, back: int = 0) -> pd.DataFrame:
    """Monthly demand as a months × series matrix (absent months are zero demand), its last
    ``back`` months dropped (``--back``: an earlier year replayed)."""
    raw = pd.read_csv(path, usecols=["month", "series", "qty"])
    raw["period"] = pd.to_datetime(raw["month"] + "-01")
    wide = raw.pivot_table(index="period", columns="series", values="qty", aggfunc="sum")
    full = pd.date_range(wide.index.min(), wide.index.max(), freq="MS")
    matrix = wide.reindex(full).fillna(0).astype(int)
    return matrix.iloc[: len(matrix) - back]


def _core_series(history: pd.DataFrame) -> pd.DataFrame:
    long = history.rename_axis(index="period", columns="item_id").stack().rename("qty")
    frame = long.reset_index()[["item_id", "period", "qty"]]
    result = forecasting.forecast(frame, horizon=3, freq="M", n_jobs=N_JOBS)
    series = result.series.set_index("item_id").reindex(history.columns)
    return pd.DataFrame(
        {
            "item_id": history.columns,
            "mean": series["mean"].fillna(0).clip(lower=0).to_numpy(),
            "variance": series["variance"].fillna(0).clip(lower=0).to_numpy(),
            "noise_variance": series["noise_variance"].fillna(0).clip(lower=0).to_numpy(),
            "level_variance": series["level_variance"].fillna(0).clip(lower=0).to_numpy(),
            "demand_class": series["demand_class"].fillna("new").to_numpy(),
        }
    )


def daily_demand(year: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """days × series: each month's units each on a uniformly random day of that month."""
    parts = []
    for period, row in year.iterrows():
        days = period.days_in_month
        counts = row.to_numpy()
        parts.append(rng.multinomial(counts, np.full(days, 1.0 / days)).T)
    return np.vstack(parts).astype(float)


def lead_times(n_series: int, n_days: int, rng: np.random.Generator, cv_spread: float = 0.0):
    """Per series nominal mean and sd (days), and the actual lead time of an order on each day.

    ``cv_spread`` > 0 (a sensitivity, not the bench's replay): each series' supplier gets its own
    coefficient of variation, ``LEAD_CV`` × a log-normal of that sigma (0.05 to 1.0), instead of
    one ``LEAD_CV`` for all. At 0 the draws are exactly the bench's."""
    nominal = np.clip(
        rng.lognormal(np.log(LEAD_MEDIAN_DAYS), 0.6, n_series), LEAD_MIN_DAYS, LEAD_MAX_DAYS
    )
    cv = np.full(n_series, LEAD_CV)
    if cv_spread > 0:
        cv = np.clip(LEAD_CV * rng.lognormal(0.0, cv_spread, n_series), 0.05, 1.0)
    shape = 1 / cv**2
    actual = rng.gamma(shape, nominal / shape, size=(n_days, n_series))
    actual = np.maximum(np.rint(actual), 1).astype(int)
    return nominal, nominal * cv, actual


def simulate(demand, month_of_day, low, high, actual_lead, start, *, per_series=False):
    """Replay ``demand`` (days × series) with a reorder rule: order up to ``high[month]`` when
    position <= ``low[month]``. Returns fill rate, mean on hand per day, orders, and a sample
    of (position, low, high, quantity) at orders for the domain check, and the units served
    (months × series). With ``per_series``, the mean on hand is per series (an array)."""
    n_days, n_series = demand.shape
    arrivals = np.zeros((n_days + actual_lead.max() + 1, n_series))
    net = start.astype(float).copy()
    on_order = np.zeros(n_series)
    served = np.zeros((month_of_day.max() + 1, n_series))
    held = np.zeros(n_series)
    orders = 0
    sample = []
    cols = np.arange(n_series)
    for t in range(n_days):
        net += arrivals[t]
        on_order -= arrivals[t]
        served[month_of_day[t]] += np.minimum(demand[t], np.maximum(net, 0))
        net -= demand[t]
        held += np.maximum(net, 0)
        m = month_of_day[t]
        position = net + on_order
        order = position <= low[m]
        quantity = np.where(order, np.ceil(np.maximum(high[m] - position, 0)), 0)
        placed = quantity > 0
        if placed.any():
            idx = cols[placed]
            np.add.at(arrivals, (t + actual_lead[t, idx], idx), quantity[idx])
            on_order[idx] += quantity[idx]
            orders += idx.size
            if len(sample) < 300:
                i = idx[0]
                sample.append((position[i], low[m][i], high[m][i], quantity[i]))
    on_hand = held / n_days if per_series else held.sum() / n_days
    return served.sum() / demand.sum(), on_hand, orders, sample, served


def domain_agrees(sample) -> tuple[int, int]:
    """How many sampled orders ``reorder.decide`` suggests in the same quantity (whole units:
    a supplier with pack size 1)."""
    unit = reorder.SupplierOption(
        1, 1, "S", "EUR", Decimal(1), pack_size=Decimal(1), rate=Decimal(1)
    )
    agree = 0
    for position, low, high, quantity in sample:
        decision = reorder.decide(
            on_hand=Decimal(str(position)),
            open_receipts=(),
            requested=Decimal(0),
            levels=reorder.Levels(Decimal(str(low)), Decimal(str(high))),
            mean_per_day=Decimal(1),
            lead_time=reorder.LeadTime(Decimal(14)),
            service_level=Decimal("0.95"),
            options=(unit,),
            today=date(2026, 1, 1),
        )
        got = decision.suggestion.quantity if decision.suggestion else Decimal(0)
        agree += got == Decimal(str(quantity))
    return agree, len(sample)


def monthly_forecasts(matrix, year_start, series_fn, every=1, cache: Path | None = None):
    """The forecast frame in force in each replayed month: made on the 1st of every ``every``-th
    month from the history before it, and used until the next (its mean is the per-month mean
    over its 3-month horizon, so ``every`` up to 3 uses only what it forecast).

    With ``cache`` (a folder), each frame is kept there keyed by the history it was made from,
    so re-running the replay after a policy change does not refit the models."""
    out = []
    for k in range(REPLAY_MONTHS):
        if k % every:
            out.append(out[-1])
            continue
        history = matrix.iloc[: year_start + k]
        path = None
        if cache is not None:
            key = pd.util.hash_pandas_object(history, index=True).sum()
            path = (
                cache
                / f"{series_fn.__name__}-v{CACHE_VERSION}-{int(key) & 0xFFFFFFFFFFFF:012x}.pkl"
            )
            if path.exists():
                out.append(pd.read_pickle(path))
                continue
        frame = series_fn(history)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_pickle(path)
        out.append(frame)
    return out


def policy_levels(matrix, year_start, forecasts, lead_mean, lead_sd, measure):
    """Reorder point and order-up-to per replayed month (months × series), and the ABC classes
    and service levels of the first month."""
    lows, highs, first = [], [], None
    for k, forecast in enumerate(forecasts):
        value = pd.Series(matrix.iloc[year_start + k - 12 : year_start + k].sum().to_numpy(float))
        classes = policy.abc_classes(value)
        fc = forecast.assign(
            lead_periods=lead_mean / DAYS_PER_MONTH,
            lead_periods_sd=lead_sd / DAYS_PER_MONTH,
            review_periods=REVIEW_DAYS / DAYS_PER_MONTH,
            check_periods=1 / DAYS_PER_MONTH,
            history_mean=matrix.iloc[: year_start + k].mean().to_numpy(float),
            service_level=policy.default_service_levels(classes).to_numpy(),
        )
        levels = policy.reorder_levels(fc, measure=measure)
        lows.append(levels["reorder_point"].to_numpy())
        highs.append(levels["order_up_to"].to_numpy())
        first = first or (classes, fc["service_level"].to_numpy())
    return np.array(lows), np.array(highs), *first


def by_class(demand, month_of_day, served, forecasts) -> dict[str, tuple[float, float]]:
    """Per demand class (the forecast's, in force the month the demand came): its share of the
    year's demand and its fill rate."""
    wanted = np.stack([demand[month_of_day == m].sum(axis=0) for m in range(len(forecasts))])
    classes = np.stack([f["demand_class"].to_numpy() for f in forecasts])
    out = {}
    for c in sorted(set(classes.ravel())):
        hit = classes == c
        if wanted[hit].sum() > 0:
            out[c] = (wanted[hit].sum() / wanted.sum(), served[hit].sum() / wanted[hit].sum())
    return out


def minmax_levels(matrix, year_start, lead_mean, k):
    lows, highs = [], []
    for m in range(REPLAY_MONTHS):
        trailing = matrix.iloc[year_start + m - 12 : year_start + m]
        per_day = trailing.mean().to_numpy() / DAYS_PER_MONTH
        low = k * per_day * lead_mean
        lows.append(low)
        highs.append(low + per_day * REVIEW_DAYS)
    return np.array(lows), np.array(highs)


def match_minmax(matrix, year_start, demand, month_of_day, lead_mean, actual, fill):
    """(k, the replay of min/max at k): k bisected so min/max's fill rate is ``fill``."""

    def minmax(k):
        lo, hi = minmax_levels(matrix, year_start, lead_mean, k)
        return simulate(demand, month_of_day, lo, hi, actual, hi[0])

    lo_k, hi_k = 0.0, 30.0
    while minmax(hi_k)[0] < fill and hi_k < 1000:  # k high enough to reach our fill rate
        lo_k, hi_k = hi_k, hi_k * 2
    for _ in range(30):  # fill rate rises with k: bisect to our fill rate
        mid = (lo_k + hi_k) / 2
        lo_k, hi_k = (mid, hi_k) if minmax(mid)[0] < fill else (lo_k, mid)
    return hi_k, minmax(hi_k)


def run_set(name, path, series_fn, rng_seed, every=1, cache=None, cv_spread=0.0, back=0):
    rng = np.random.default_rng(rng_seed)
    matrix = load(path, back)
    year_start = len(matrix) - REPLAY_MONTHS
    year = matrix.iloc[year_start:]
    demand = daily_demand(year, rng)
    month_of_day = np.repeat(np.arange(REPLAY_MONTHS), [p.days_in_month for p in year.index])
    lead_mean, lead_sd, actual = lead_times(matrix.shape[1], len(demand), rng, cv_spread)
    year_demand = demand.sum(axis=0)

    started = time.perf_counter()
    forecasts = monthly_forecasts(matrix, year_start, series_fn, every, cache)
    forecast_seconds = time.perf_counter() - started

    rows = []
    for measure in ("fill_rate", "cycle"):
        low, high, classes, levels = policy_levels(
            matrix, year_start, forecasts, lead_mean, lead_sd, measure
        )
        fill, held, orders, sample, served = simulate(
            demand, month_of_day, low, high, actual, high[0]
        )
        mm_k, (mm_fill, mm_held, mm_orders, _, _) = match_minmax(
            matrix, year_start, demand, month_of_day, lead_mean, actual, fill
        )
        rows.append(
            {
                "measure": measure,
                "fill": fill,
                "held": held,
                "orders": orders,
                "mm_k": mm_k,
                "mm_fill": mm_fill,
                "mm_held": mm_held,
                "mm_orders": mm_orders,
                "domain": domain_agrees(sample),
                "by_class": by_class(demand, month_of_day, served, forecasts),
            }
        )
    # Demand on series silent over the trailing 12 months when it comes: no forecast stocks them.
    silent = np.concatenate(
        [
            demand[month_of_day == m][
                :, matrix.iloc[year_start + m - 12 : year_start + m].sum() == 0
            ].ravel()
            for m in range(REPLAY_MONTHS)
        ]
    )
    return {
        "silent_share": float(silent.sum() / demand.sum()),
        "set": name,
        "series": matrix.shape[1],
        "target": float((year_demand * levels).sum() / year_demand.sum()),
        "demand_share": {
            c: float(year_demand[classes.to_numpy() == c].sum() / year_demand.sum()) for c in "ABC"
        },
        "rows": rows,
        "forecast_seconds": forecast_seconds,
        "every": every,
    }


def report(res) -> bool:
    share = ", ".join(f"{c} {v:.0%}" for c, v in res["demand_share"].items())
    print(
        f"\n{res['set']} ({res['series']} series; replayed demand by class {share}); "
        f"target fill rate {res['target']:.2%} (class levels weighted by demand)"
    )
    print(f"  {'':34}{'fill rate':>10}{'vs target':>10}{'avg units held':>16}{'orders':>8}")
    met = False
    for row in res["rows"]:
        saving = 1 - row["held"] / row["mm_held"]
        gap = row["fill"] - res["target"]
        label = f"ours, service level as {row['measure'].replace('_', ' ')}"
        print(
            f"  {label:34}{row['fill']:>10.2%}{gap * 100:>+9.2f}p"
            f"{row['held']:>16,.0f}{row['orders']:>8,}"
        )
        mm = f"  min/max tuned to it (k={row['mm_k']:.2f})"
        print(
            f"  {mm:34}{row['mm_fill']:>10.2%}{'':>10}{row['mm_held']:>16,.0f}"
            f"{row['mm_orders']:>8,}"
        )
        agree, checked = row["domain"]
        print(
            f"  {'':4}stock {saving:.1%} below min/max; "
            f"reorder.decide agrees on {agree}/{checked} sampled orders"
        )
        classes = ", ".join(
            f"{c} {fill:.1%} ({share:.0%})" for c, (share, fill) in row["by_class"].items()
        )
        print(f"    fill by demand class (share of demand): {classes}")
        if row["measure"] == "fill_rate":
            met = abs(gap) <= 0.02 and saving >= 0.15
    print(
        f"  {res['silent_share']:.1%} of the year's demand fell on series with none in the 12 "
        f"months before; forecasts every {res['every']} month(s): {res['forecast_seconds']:.1f} s"
    )
    return met


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with the demand files")
    parser.add_argument(
        "--forecast-every",
        type=int,
        choices=(1, 2, 3),
        help="months between forecasts for both sets (default: car parts 1, hospital 3)",
    )
    parser.add_argument("--only", choices=("carparts", "hospital"), help="run one set")
    parser.add_argument(
        "--cache", type=Path, help="folder to keep the monthly forecasts in (reused when found)"
    )
    parser.add_argument(
        "--lead-cv-spread",
        type=float,
        default=0.0,
        help="sensitivity: sigma of a log-normal spread of each supplier's lead-time CV around "
        f"{LEAD_CV} (default 0: one CV for every series, the bench's replay)",
    )
    parser.add_argument(
        "--back",
        type=int,
        default=0,
        help="replay the year that ends this many months before the data's end (default 0)",
    )
    args = parser.parse_args(argv)
    data = _data_dir(args.data_dir)
    print(f"bench-policy: {REPLAY_MONTHS} months replayed day by day, review {REVIEW_DAYS} days,")
    spread = ""
    if args.lead_cv_spread:
        spread = f", spread across suppliers sigma {args.lead_cv_spread:g}"
    print(f"lead times median {LEAD_MEDIAN_DAYS:g} d (cv {LEAD_CV}{spread}), seed {SEED}")
    if args.back:
        print(f"the year replayed ends {args.back} months before the data's end")
    started = time.perf_counter()
    ok = True
    for i, name in enumerate(SETS):
        set_name = name.split("-")[0]
        if args.only and args.only != set_name:
            continue
        every = args.forecast_every or FORECAST_EVERY[set_name]
        res = run_set(
            set_name, data / name, _core_series, SEED + i, every, args.cache,
            args.lead_cv_spread, args.back,
        )  # fmt: skip
        ok &= report(res)
    print(
        f"\ntotal {time.perf_counter() - started:.0f} s; aim (fill within 2 points of target, "
        f">= 15% less stock than min/max): {'met' if ok else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
