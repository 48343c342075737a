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


def quantiles(mean, var, probs, count) -> np.ndarray:
    """(rows × probs) quantiles; non-decreasing along probs, zero where the mean is zero."""
    mean = np.clip(np.asarray(mean, float), 0, None)
    var = np.asarray(var, float)
    count = np.broadcast_to(np.asarray(count, bool), mean.shape)
    p = np.asarray(probs, float)[None, :]
    m = mean[:, None]
    v = np.fmax(var, 0)[:, None]
    out = np.zeros((len(mean), p.shape[1]))
    pos = mean > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        over = count & pos & (var > mean * (1 + 1e-9))
        pois = count & pos & ~over
        if over.any():
            r = m[over] ** 2 / (v[over] - m[over])
            out[over] = stats.nbinom.ppf(p, r, r / (r + m[over]))
        if pois.any():
            out[pois] = stats.poisson.ppf(p, m[pois])
        cont = ~count & pos
        if cont.any():
            shape = m[cont] ** 2 / np.fmax(v[cont], 1e-12 * m[cont] ** 2)
            out[cont] = stats.gamma.ppf(p, shape, scale=m[cont] / shape)
    out = np.nan_to_num(out, nan=0.0, posinf=0.0)
    return np.maximum.accumulate(np.clip(out, 0, None), axis=1)
