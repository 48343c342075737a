"""Predictive distributions per period: never normal, never negative.

Count data (integer history) gets a negative binomial with the forecast mean and a variance taken
from the series' backtest errors (a Poisson when that variance is not above the mean); other data
gets a gamma with the same two moments. The dispersion is held over the horizon, so a seasonal mean
path carries its variance with it."""

from __future__ import annotations

import numpy as np
from scipy import stats


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


def _apply(method: str, x, mean, var, count) -> np.ndarray:
    """scipy's `method` ("ppf" or "cdf") of each row's distribution at x (rows × k)."""
    mean = np.clip(np.asarray(mean, float), 0, None)
    var = np.fmax(np.asarray(var, float), 0)
    count = np.broadcast_to(np.asarray(count, bool), mean.shape)
    x = np.broadcast_to(np.asarray(x, float), (len(mean), np.shape(x)[-1]))
    m, v = mean[:, None], var[:, None]
    # A zero mean is a point mass at zero.
    out = np.zeros(x.shape) if method == "ppf" else np.where(x >= 0, 1.0, 0.0)
    pos = mean > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        over = count & pos & (var > mean * (1 + 1e-9))
        pois = count & pos & ~over
        cont = ~count & pos
        if over.any():
            r = m[over] ** 2 / (v[over] - m[over])
            out[over] = getattr(stats.nbinom, method)(x[over], r, r / (r + m[over]))
        if pois.any():
            out[pois] = getattr(stats.poisson, method)(x[pois], m[pois])
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
    """The `level`% prediction interval [lo, hi] of each row.

    Equal-tailed where the distribution allows. A count distribution with much of its mass on
    zero cannot leave (1 − level)/2 below its lower end, and the equal-tailed interval [0, q(1 −
    (1 − level)/2)] would then cover far more than `level`; there the upper end is the count that
    brings the interval's mass nearest to `level`, so coverage stays near nominal."""
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
    return lo, np.fmax(np.where(nearer, shorter, hi), lo)
