"""bl.transforms: rank-based inverse normal transform and the liability-scale conversion."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeslmm as bl
from bayeslmm.transforms import liability_h2, rank_inverse_normal


def test_rank_inverse_normal_blom_values():
    # n = 3, ranks 3, 1, 2: Phi^-1((r - 3/8) / (3 + 1/4))
    expected = stats.norm.ppf((np.array([3, 1, 2]) - 0.375) / 3.25)
    np.testing.assert_allclose(rank_inverse_normal([30.0, -4.0, 7.0]), expected, rtol=1e-12)


def test_rank_inverse_normal_ties_nan_and_series():
    y = pd.Series([5.0, 1.0, np.nan, 5.0, 2.0, np.nan])
    z = rank_inverse_normal(y)
    assert np.isnan(z[[2, 5]]).all() and np.isfinite(z[[0, 1, 3, 4]]).all()
    assert z[0] == z[3]  # tied values share the average rank 3.5 of 4 non-missing values
    assert z[0] == pytest.approx(stats.norm.ppf((3.5 - 0.375) / 4.25))
    assert z[1] < z[4] < z[0]


def test_rank_inverse_normal_makes_skewed_data_normal():
    y = np.random.default_rng(0).lognormal(0, 1.5, size=5000)
    z = rank_inverse_normal(y)
    # without ties the output is a fixed set of normal quantiles: mean 0 exactly, sd ~ 1
    assert abs(z.mean()) < 1e-12
    assert z.std() == pytest.approx(1.0, abs=0.01)
    assert abs(stats.skew(z)) < 1e-10 and stats.skew(y) > 5
    assert np.array_equal(np.argsort(z), np.argsort(y))


def test_rank_inverse_normal_offsets():
    y = np.arange(10.0)
    assert np.allclose(rank_inverse_normal(y, c=0.5), stats.norm.ppf((np.arange(1, 11) - 0.5) / 10))
    assert np.isnan(rank_inverse_normal([np.nan, np.nan])).all()


def test_liability_h2_half_prevalence_is_pi_over_2():
    # K = P = 0.5: z^2 = 1/(2 pi), K(1 - K) = 1/4, so h2_l = h2_o * pi / 2 exactly
    assert liability_h2(0.3, prevalence=0.5) == pytest.approx(0.3 * math.pi / 2, rel=1e-12)


def test_liability_h2_case_control_by_hand():
    # Lee et al. (2011) eq. 23 with K = 0.01 and half cases: threshold 2.326348 (1% upper tail)
    K, P, t = 0.01, 0.5, 2.3263478740408408
    z = math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    expected = 0.2 * K**2 * (1 - K) ** 2 / (z**2 * P * (1 - P))
    assert liability_h2(0.2, prevalence=K, sample_prevalence=P) == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(0.1104, abs=1e-4)


def test_liability_h2_vectorised_over_draws():
    draws = np.array([[0.1, 0.2], [0.3, 0.4]])
    out = liability_h2(draws, prevalence=0.1, sample_prevalence=0.3)
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out / draws, out[0, 0] / 0.1)


def test_liability_h2_recovers_simulated_liability():
    """Monte Carlo: a threshold trait from a normal liability with h2_l = 0.4, K = 0.2.

    The observed-scale h2 of the 0/1 trait is the share of its variance explained linearly by
    the genetic value g; the conversion must give back 0.4. With 400,000 individuals the
    sampling sd of the estimate is about 0.003, so a 0.015 tolerance fails by chance with
    probability far below 1e-4.
    """
    rng = np.random.default_rng(11)
    n, h2, K = 400_000, 0.4, 0.2
    g = rng.normal(0, np.sqrt(h2), n)
    liability = g + rng.normal(0, np.sqrt(1 - h2), n)
    y = (liability > stats.norm.isf(K)).astype(float)
    h2_obs = np.cov(y, g)[0, 1] ** 2 / (np.var(g, ddof=1) * np.var(y, ddof=1))
    assert h2_obs < 0.25  # the observed scale understates it
    assert bl.transforms.liability_h2(h2_obs, prevalence=K) == pytest.approx(h2, abs=0.015)
