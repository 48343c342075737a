"""The count distributions' quantile search (quantiles._count_ppf) gives scipy's answers."""

import numpy as np
import pytest
from scipy import stats

from forecasting.quantiles import _count_cdf, _count_ppf, quantiles


def scipy_ppf(q, m, v, over):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(over, m**2 / (v - m), 1.0)
        nb = stats.nbinom.ppf(q, r, np.where(over, r / (r + m), 0.5))
    return np.where(over, nb, stats.poisson.ppf(q, m))


@pytest.mark.parametrize("scale", [0.01, 0.5, 5, 60, 2_000])
def test_same_quantiles_as_scipy_over_many_distributions(scale):
    rng = np.random.default_rng(int(scale * 100))
    n = 20_000
    m = rng.uniform(0.001, 1, n) * scale
    v = m * np.where(rng.random(n) < 0.3, 1.0, np.exp(rng.uniform(0, 5, n)))
    over = v > m * (1 + 1e-9)
    q = np.concatenate([rng.uniform(0, 1, n // 2), 1 - 10 ** rng.uniform(-12, 0, n - n // 2)])
    q = np.clip(q, 1e-12, 1 - 1e-12)
    np.testing.assert_array_equal(_count_ppf(q, m, v, over), scipy_ppf(q, m, v, over))


def test_edges_point_mass_near_zero_and_one_and_empty():
    m = np.array([1e-9, 3.0, 3.0, 40.0])
    v = np.array([1e-9, 3.0, 300.0, 40.0])
    over = v > m * (1 + 1e-9)
    for q in (1e-12, 0.5, 1 - 1e-12):
        qs = np.full(len(m), q)
        np.testing.assert_array_equal(_count_ppf(qs, m, v, over), scipy_ppf(qs, m, v, over))
    assert len(_count_ppf(np.array([]), np.array([]), np.array([]), np.array([], bool))) == 0
    # Below zero the cdf is 0; its quantile at any q is the least count reaching q.
    assert _count_cdf(np.array([-1.0]), m[:1], v[:1], over[:1])[0] == 0.0


def test_quantiles_of_a_poisson_by_hand():
    # Poisson(2): P(0)=.1353, P(<=1)=.4060, P(<=2)=.6767, P(<=4)=.9473, P(<=5)=.9834
    got = quantiles(np.array([2.0]), np.array([2.0]), [0.1, 0.5, 0.95, 0.975], np.array([True]))
    np.testing.assert_array_equal(got, [[0.0, 2.0, 5.0, 5.0]])
