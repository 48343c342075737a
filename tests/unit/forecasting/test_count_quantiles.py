"""The count distributions' quantile search (quantiles._count_ppf) gives scipy's answers."""

import numpy as np
import pytest
from scipy import stats

from forecasting.quantiles import _count_cdf, _count_ppf, cdf, quantiles


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


def test_repeated_rows_give_what_each_row_gives_alone():
    # A flat mean path repeats its row every period; each distinct row is computed once.
    rng = np.random.default_rng(3)
    base_m = np.concatenate([rng.uniform(0, 20, 40), [0.0, np.nan, 2.0, 2.0]])
    base_v = np.concatenate([base_m[:40] * rng.uniform(0.5, 6, 40), [0.0, 1.0, np.nan, 2.0]])
    base_c = np.arange(len(base_m)) % 3 != 0  # some gamma rows among the counts
    m, v, c = (np.repeat(a, 26) for a in (base_m, base_v, base_c))
    probs = [0.025, 0.5, 0.9, 0.99]
    alone = np.vstack([quantiles(m[i : i + 1], v[i : i + 1], probs, c[i : i + 1])
                       for i in range(len(m))])  # fmt: skip
    np.testing.assert_array_equal(quantiles(m, v, probs, c), alone)
    x = np.repeat(rng.integers(-1, 30, len(base_m)).astype(float), 26)
    alone_cdf = np.concatenate([cdf(x[i : i + 1], m[i : i + 1], v[i : i + 1], c[i : i + 1])
                                for i in range(len(m))])  # fmt: skip
    np.testing.assert_array_equal(cdf(x, m, v, c), alone_cdf)


def test_the_search_ends_where_floats_stop_counting():
    # Above 2**53 no float lies between neighbouring brackets; the bisection used to spin there.
    got = quantiles(np.array([1e16]), np.array([1e16]), [0.025, 0.5, 0.99], np.array([True]))
    assert np.all(np.diff(got[0]) >= 0)
    assert got[0, 1] == pytest.approx(1e16, rel=1e-6)
