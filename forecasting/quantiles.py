"""Predictive distributions per period: never normal, never negative.

Count data (integer history) gets a negative binomial with the forecast mean and a variance taken
from the series' backtest errors (a Poisson when that variance is not above the mean); other data
gets a gamma with the same two moments. The dispersion is held over the horizon, so a seasonal mean
path carries its variance with it."""

from __future__ import annotations

import numpy as np
from scipy import special, stats
from scipy.special import _ufuncs as scu

# Largest step a quantile search takes from its first guess before bisecting (a count).
_GALLOP_LIMIT = 2**62


def path_variance(mean: np.ndarray, level: np.ndarray, var: np.ndarray, count: np.ndarray):
    """Per-period variance for a mean path, from the variance `var` at the series' level `level`.

    Counts keep the negative binomial's dispersion r = level² / (var − level); other data keep
    the coefficient of variation."""
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.where(level > 0, (var - level) / level**2, 0.0)  # 1 / r
        nb = mean + np.clip(excess, 0, None) * mean**2
        cv2 = np.where(level > 0, var / level**2, 0.0)
        gamma = cv2 * mean**2
    return np.where(count, nb, gamma)


def _count_cdf(k, m, v, over) -> np.ndarray:
    """P(Y <= k) of a negative binomial (rows `over`: variance above the mean) or a Poisson with
    mean m and variance v: scipy's own cdf functions, without the frozen-distribution overhead."""
    k, m, v, over = np.broadcast_arrays(np.floor(k), m, v, over)
    out = np.zeros(k.shape)
    nb, po = over & (k >= 0), ~over & (k >= 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = m[nb] ** 2 / (v[nb] - m[nb])
        out[nb] = scu._nbinom_cdf(k[nb], r, r / (r + m[nb]))
        out[po] = special.pdtr(k[po], m[po])
    out[np.isnan(k)] = np.nan
    return out


def _count_ppf(q, m, v, over) -> np.ndarray:
    """The q-quantile of each row's count distribution (as _count_cdf): the least k >= 0 with
    P(Y <= k) >= q, found by a search over all rows at once. It starts from the Cornish-Fisher
    guess (with continuity correction), usually right or one off, so two or three cdf
    evaluations a row replace scipy's per-element root finding; then it gallops outwards until
    the answer is bracketed and bisects. Same answers as scipy's ppf (tests/unit/forecasting)."""
    q, m, v = (np.asarray(a, float) for a in (q, m, v))
    over = np.asarray(over, bool)
    v = np.where(over, v, m)  # a Poisson's variance is its mean
    n = len(q)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sd = np.sqrt(v)
        skew = np.where(sd > 0, (2 * v / m - 1) / sd, 0.0)
        z = special.ndtri(q)
        guess = m + sd * (z + (z * z - 1) * skew / 6) - 0.5
    k = np.clip(np.ceil(np.nan_to_num(guess, nan=0.0)), 0, _GALLOP_LIMIT)

    def cdf_at(k, rows):
        return _count_cdf(k, m[rows], v[rows], over[rows])

    # lo: a count known below the answer (P(Y <= lo) < q; -1 always is); hi: the least count
    # known at or above it (inf until one is found).
    first = cdf_at(k, slice(None)) >= q
    lo = np.where(first, -1.0, k)
    hi = np.where(first, k, np.inf)
    step = np.ones(n)
    # Gallop: from the guess, one count further each time, then twice as far.
    active = np.flatnonzero((first & (k > 0)) | ~first)
    while len(active):
        down = np.isfinite(hi[active])
        probe = np.where(down, hi[active] - step[active], lo[active] + step[active])
        probe = np.clip(probe, -1, _GALLOP_LIMIT)
        at = cdf_at(probe, active) >= q[active]
        hi[active] = np.where(at, np.fmin(hi[active], probe), hi[active])
        lo[active] = np.where(at, lo[active], np.fmax(lo[active], probe))
        step[active] *= 2
        # Done galloping once bracketed on the side searched.
        going = np.where(down, at & (probe > -1), ~at & (probe < _GALLOP_LIMIT))
        active = active[going]
    # Bisect the brackets still wider than one count. Above 2**53 a float has no room for the
    # midpoint between neighbours: such a bracket is as narrow as the numbers go, so it stops.
    active = np.flatnonzero(hi - lo > 1)
    while len(active):
        mid = np.floor((lo[active] + hi[active]) / 2)
        at = cdf_at(mid, active) >= q[active]
        moved = (mid > lo[active]) & (mid < hi[active])
        hi[active] = np.where(at, mid, hi[active])
        lo[active] = np.where(at, lo[active], mid)
        active = active[moved & (hi[active] - lo[active] > 1)]
    return hi


def _apply(method: str, x, mean, var, count) -> np.ndarray:
    """scipy's `method` ("ppf" or "cdf") of each row's distribution at x (rows × k).

    Rows repeat: a flat mean path (Croston, TSB, ADIDA, IMAPA, ETS without trend) gives every
    period of a series the same mean, variance and x, so each distinct row is computed once and
    spread back (the same numbers: every row's answer depends on that row alone)."""
    mean = np.clip(np.asarray(mean, float), 0, None)
    var = np.fmax(np.asarray(var, float), 0)
    count = np.broadcast_to(np.asarray(count, bool), mean.shape)
    x = np.broadcast_to(np.asarray(x, float), (len(mean), np.shape(x)[-1]))
    if len(mean) > _DISTINCT_MIN_ROWS:
        first, back = _distinct_rows(np.column_stack([mean, var, count, x]))
        if len(first) < len(mean) * _DISTINCT_SHARE:
            return _apply_rows(method, x[first], mean[first], var[first], count[first])[back]
    return _apply_rows(method, x, mean, var, count)


# Below this many rows, or above this share of distinct rows, the search for repeats is not
# worth its sort.
_DISTINCT_MIN_ROWS = 64
_DISTINCT_SHARE = 0.7


def _distinct_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of one row per distinct row, index into those per row). Rows are sorted by all
    columns and compared with their neighbour (NaN rows stay apart: NaN equals nothing)."""
    order = np.lexsort(table.T[::-1])
    ordered = table[order]
    new = np.empty(len(order), bool)
    new[0] = True
    np.any(ordered[1:] != ordered[:-1], axis=1, out=new[1:])
    back = np.empty(len(order), np.intp)
    back[order] = np.cumsum(new) - 1
    return order[new], back


def _apply_rows(method: str, x, mean, var, count) -> np.ndarray:
    m, v = mean[:, None], var[:, None]
    # A zero mean is a point mass at zero.
    out = np.zeros(x.shape) if method == "ppf" else np.where(x >= 0, 1.0, 0.0)
    pos = mean > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        over = count & pos & (var > mean * (1 + 1e-9))
        pois = count & pos & ~over
        cont = ~count & pos
        counts = over | pois
        if counts.any():
            xs = x[counts]
            mm, vv = (np.broadcast_to(a[counts], xs.shape).ravel() for a in (m, v))
            oo = np.broadcast_to(over[counts][:, None], xs.shape).ravel()
            fn = _count_ppf if method == "ppf" else _count_cdf
            out[counts] = fn(xs.ravel(), mm, vv, oo).reshape(xs.shape)
        if cont.any():
            shape = m[cont] ** 2 / np.fmax(v[cont], 1e-12 * m[cont] ** 2)
            out[cont] = getattr(stats.gamma, method)(x[cont], shape, scale=m[cont] / shape)
    return np.nan_to_num(out, nan=0.0, posinf=0.0)


def cdf(x, mean, var, count) -> np.ndarray:
    """P(Y ≤ x) of each row's distribution at its own x."""
    return _apply("cdf", np.asarray(x, float)[:, None], mean, var, count)[:, 0]


def quantiles(mean, var, probs, count) -> np.ndarray:
    """(rows × probs) quantiles; non-decreasing along probs, zero where the mean is zero."""
    out = _apply("ppf", np.asarray(probs, float)[None, :], mean, var, count)
    return np.maximum.accumulate(np.clip(out, 0, None), axis=1)


def interval(mean, var, level: float, count) -> tuple[np.ndarray, np.ndarray]:
    """The `level`% prediction interval [lo, hi] of each row (as interval_mass draws it)."""
    lo, hi, _ = interval_mass(mean, var, level, count)
    return lo, hi


def interval_mass(mean, var, level: float, count):
    """The `level`% prediction interval [lo, hi] of each row, and its mass.

    Equal-tailed where the distribution allows. A count distribution with much of its mass on
    zero cannot leave (1 − level)/2 below its lower end, and the equal-tailed interval [0, q(1 −
    (1 − level)/2)] would then cover far more than `level`; there the upper end is the count that
    brings the interval's mass nearest to `level`, so coverage stays near nominal.
    `interval_mass` also gives, for count rows, the probability the interval holds."""
    a = (1 - level / 100) / 2
    lo = quantiles(mean, var, [a], count)[:, 0]
    below = _apply("cdf", (lo - 1)[:, None], mean, var, count)[:, 0]
    below = np.where(np.asarray(count, bool), below, a)  # continuous: exactly a below lo
    hi = _apply("ppf", np.minimum(below + level / 100, 1 - 1e-12)[:, None], mean, var, count)[:, 0]
    # A count interval's mass jumps by whole counts: take the upper end whose mass is nearest the
    # level, so that over many series the coverage lands on it rather than always above it.
    count = np.broadcast_to(np.asarray(count, bool), hi.shape)
    shorter = np.fmax(hi - 1, lo)
    mass_hi = _apply("cdf", hi[:, None], mean, var, count)[:, 0] - below
    mass_short = _apply("cdf", shorter[:, None], mean, var, count)[:, 0] - below
    nearer = count & (shorter < hi) & (abs(mass_short - level / 100) < abs(mass_hi - level / 100))
    # hi >= lo always (its probability is above lo's lower tail), so the fmax changes nothing and
    # the mass is that of the end chosen.
    return lo, np.fmax(np.where(nearer, shorter, hi), lo), np.where(nearer, mass_short, mass_hi)
