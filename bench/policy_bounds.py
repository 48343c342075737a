"""What bench-policy's min/max comparison leaves room for: the same replay (same demand days,
lead-time draws and forecasts as ``bench/policy.py``, service level as fill rate), asked where
the stock goes and how far any choice of reorder points could get below min/max.

Per set it prints:
- the sources of lead-time demand variance in our policy, weighted by lead-time demand: the
  forecast's noise (``T·noise``), its held level error, and the lead-time spread (``mean² ·
  s_L²``). Where the spread dominates, the safety stock a forecast can set is proportional to
  mean × lead time, which is min/max's own shape;
- our replay, then our replay with each month's *realised* total as the forecast mean (a
  perfect forecast of the mean), then our replay with fixed lead times (each series' nominal
  lead time every order, our policy told spread 0), each beside min/max bisected to its fill;
- hindsight bounds, at our fill rate and at the target: min/max's family with one k per series
  (k on a grid, 0.25 to 256 in 2.5% steps), each series' k chosen *knowing the replayed year*
  to reach the fill rate with the least stock (greedy by a Lagrange multiplier); once with
  min/max's trailing means, once with each month's realised total as the mean (levels
  ``k × realised × L`` and ``+ R × realised``). Reorder points that are a per-series multiple
  of mean lead-time demand, the lots the review period's demand, cannot do better than these
  in-sample choices; a forecast's do not beat them by much either where the lead-time spread
  makes up most of the variance (an approximate bound, not a proof).

``--cache DIR`` as for bench/policy.py (the same files); ``--only SET``; ``--back K`` as there.
Figures and what they say: docs/performance.md, "Reorder policy", "Why hospital holds what
min/max holds".
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import policy as bench  # noqa: E402

K_GRID = np.geomspace(0.25, 256, 281)  # 2.5% steps; hospital's k is near 1.4, car parts' 60


class Replay:
    """One set's replayed year, drawn exactly as bench/policy.py draws it."""

    def __init__(self, index: int, cache: Path | None, back: int = 0):
        name = bench.SETS[index]
        self.name = name.split("-")[0]
        rng = np.random.default_rng(bench.SEED + index)
        self.matrix = bench.load(bench._data_dir(None) / name, back)
        self.start = len(self.matrix) - bench.REPLAY_MONTHS
        self.year = self.matrix.iloc[self.start :]
        self.demand = bench.daily_demand(self.year, rng)
        self.month = np.repeat(
            np.arange(bench.REPLAY_MONTHS), [p.days_in_month for p in self.year.index]
        )
        self.lead_mean, self.lead_sd, self.actual = bench.lead_times(
            self.matrix.shape[1], len(self.demand), rng
        )
        every = bench.FORECAST_EVERY[self.name]
        self.forecasts = bench.monthly_forecasts(
            self.matrix, self.start, bench._core_series, every, cache
        )

    def ours(self, forecasts=None, lead_mean=None, lead_sd=None, actual=None):
        """(fill, held, min/max k, min/max held) of our levels, min/max matched to our fill."""
        lead_mean = self.lead_mean if lead_mean is None else lead_mean
        lead_sd = self.lead_sd if lead_sd is None else lead_sd
        actual = self.actual if actual is None else actual
        low, high, _, levels = bench.policy_levels(
            self.matrix, self.start, forecasts or self.forecasts, lead_mean, lead_sd, "fill_rate"
        )
        wanted = self.demand.sum(axis=0)
        self.target = float((wanted * levels).sum() / wanted.sum())  # as bench/policy.py
        fill, held, *_ = bench.simulate(self.demand, self.month, low, high, actual, high[0])
        k, (_, mm_held, *_) = bench.match_minmax(
            self.matrix, self.start, self.demand, self.month, lead_mean, actual, fill
        )
        return fill, held, k, mm_held

    def variance_shares(self) -> tuple[float, float, float]:
        """Shares of lead-time demand variance (noise, level, lead-time spread), each series
        weighted by its lead-time demand, over the year's forecasts."""
        parts = np.zeros(3)
        for fc in self.forecasts:
            lead = self.lead_mean / bench.DAYS_PER_MONTH
            sd = self.lead_sd / bench.DAYS_PER_MONTH
            mean = fc["mean"].to_numpy()
            terms = np.stack(
                [
                    lead * fc["noise_variance"].to_numpy(),
                    fc["level_variance"].to_numpy() * (lead**2 + sd**2),
                    mean**2 * sd**2,
                ]
            )
            total = terms.sum(axis=0)
            weight = np.where(total > 0, mean * lead / np.where(total > 0, total, 1), 0)
            parts += (terms * weight).sum(axis=1)
        return tuple(parts / parts.sum())

    def hindsight(self, fill: float, realised: bool = False) -> tuple[float, float]:
        """(fill, held) of min/max with one k per series chosen knowing the year (see module);
        with ``realised``, each month's levels also from that month's realised total."""
        held, short = [], []
        wanted = self.demand.sum(axis=0)
        per_day = self.year.to_numpy(float) / bench.DAYS_PER_MONTH  # months × series
        for k in K_GRID:
            lo, hi = bench.minmax_levels(self.matrix, self.start, self.lead_mean, k)
            if realised:
                lo = k * per_day * self.lead_mean
                hi = lo + per_day * bench.REVIEW_DAYS
            _, h, _, _, served = bench.simulate(
                self.demand, self.month, lo, hi, self.actual, hi[0], per_series=True
            )
            held.append(h)
            short.append(wanted - served.sum(axis=0))
        held, short = np.array(held), np.array(short)
        budget = (1 - fill) * wanted.sum()
        cols = np.arange(held.shape[1])

        def pick(lam):
            return np.argmin(held + lam * short, axis=0)

        lo, hi = 0.0, 1.0
        while short[pick(hi), cols].sum() > budget and hi < 1e9:
            hi *= 2
        for _ in range(60):  # more weight on shortage, less of it: bisect to the budget
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if short[pick(mid), cols].sum() > budget else (lo, mid)
        chosen = pick(hi)
        return 1 - short[chosen, cols].sum() / wanted.sum(), held[chosen, cols].sum()


def _line(label, fill, held, k, mm_held):
    print(
        f"  {label:44}{fill:>8.2%}{held:>10,.0f}   min/max k={k:5.2f}{mm_held:>10,.0f}"
        f"   {1 - held / mm_held:>+7.1%}"
    )


def report(replay: Replay) -> None:
    noise, level, spread = replay.variance_shares()
    print(
        f"\n{replay.name}: lead-time demand variance (weighted by lead-time demand) "
        f"{noise:.0%} forecast noise, {level:.0%} held level error, {spread:.0%} lead-time spread"
    )
    print(f"  {'':44}{'fill':>8}{'held':>10}   {'min/max at that fill':>24}   saving")
    fill, held, k, mm_held = replay.ours()
    _line("ours", fill, held, k, mm_held)
    realised = [
        fc.assign(mean=replay.year.iloc[m].to_numpy(float)) for m, fc in enumerate(replay.forecasts)
    ]
    _line("ours, mean = the month's realised total", *replay.ours(forecasts=realised))
    fixed = np.maximum(np.rint(replay.lead_mean), 1)
    actual = np.broadcast_to(fixed.astype(int), replay.actual.shape)
    _line(
        "ours, fixed lead times",
        *replay.ours(lead_mean=fixed, lead_sd=np.zeros_like(fixed), actual=actual),
    )
    for target, label in ((fill, "our fill"), (replay.target, "the target")):
        _, mm = bench.match_minmax(
            replay.matrix, replay.start, replay.demand, replay.month, replay.lead_mean,
            replay.actual, target,
        )  # fmt: skip
        print(f"  hindsight bounds at {label}, {target:.2%}: min/max (one k) holds {mm[1]:,.0f}")
        for realised, what in ((False, "trailing means"), (True, "realised monthly means")):
            h_fill, h_held = replay.hindsight(target, realised)
            short = "   (the grid cannot reach the fill)" if h_fill < target - 5e-4 else ""
            print(
                f"    one k per series chosen in hindsight, {what:23}{h_fill:>8.2%}"
                f"{h_held:>10,.0f}   {1 - h_held / mm[1]:>+7.1%} vs one k{short}"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("carparts", "hospital"), help="run one set")
    parser.add_argument("--cache", type=Path, help="bench/policy.py's forecast cache folder")
    parser.add_argument("--back", type=int, default=0, help="as bench/policy.py's --back")
    args = parser.parse_args(argv)
    for index, name in enumerate(bench.SETS):
        if args.only and not name.startswith(args.only):
            continue
        report(Replay(index, args.cache, args.back))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
