"""Samplers: nutpie and PyMC's NUTS both run; the same seed gives the same draws; a seed is
recorded when none is given; numpyro without jax fails clearly; the log-likelihood is stored.

A tiny model (60 rows, one random intercept) and few draws: these tests check plumbing,
not posterior accuracy (that is test_validation_lme4.py)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.errors import SamplingError

SMALL = {"draws": 100, "tune": 100, "chains": 2, "progress": False}

# 100 draws are too few for the ESS and r_hat checks; the warnings they raise are expected here
pytestmark = pytest.mark.filterwarnings("ignore::bayeslmm.results.diagnostics.SamplingWarning")


@pytest.fixture(scope="module")
def model() -> bl.Model:
    df = bl.datasets.random_slopes(6, 10, sd_slope=0.0, seed=2)
    return bl.Model("y ~ t + (1 | g)", df)


def _draws(fit) -> np.ndarray:
    post = fit.idata.posterior
    return np.concatenate([post[v].values.reshape(post.sizes["chain"], post.sizes["draw"], -1)
                           for v in ("b", "tau", "proportions", "u_g")], axis=-1)


@pytest.mark.slow
def test_auto_nutpie_seed_recorded_reproducible_with_log_likelihood(model: bl.Model) -> None:
    first = model.fit(seed=None, sampler="auto", **SMALL)
    attrs = first.idata.attrs
    assert attrs["sampler"] == ("nutpie" if importlib.util.find_spec("nutpie") else "pymc")
    seed = attrs["seed"]
    assert isinstance(seed, int)
    for key in ("bayeslmm_version", "formula", "strategy", "draws", "tune", "chains", "created_at"):
        assert key in attrs, key
    assert attrs["target_accept"] == 0.9  # DEFAULT_TARGET_ACCEPT (see inference.py for why)
    groups = set(first.idata.groups())
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= groups
    ll = first.idata.log_likelihood["y"]
    assert ll.shape == (2, 100, model.spec.n) and np.all(np.isfinite(ll.values))
    np.testing.assert_array_equal(first.idata.observed_data["y"].values, model.spec.y)

    again = model.fit(seed=seed, sampler="nutpie", **SMALL)  # the recorded seed reproduces the draws
    np.testing.assert_array_equal(_draws(first), _draws(again))
    other = model.fit(seed=seed + 1, sampler="nutpie", **SMALL)
    assert not np.array_equal(_draws(first), _draws(other))


@pytest.mark.slow
def test_pymc_sampler_runs_and_is_reproducible(model: bl.Model) -> None:
    kwargs = {**SMALL, "cores": 1}
    fit = model.fit(seed=5, sampler="pymc", **kwargs)
    assert fit.idata.attrs["sampler"] == "pymc"
    assert "log_likelihood" in fit.idata.groups()
    again = model.fit(seed=5, sampler="pymc", **kwargs)
    np.testing.assert_array_equal(_draws(fit), _draws(again))
    assert isinstance(fit.variance_components(), pd.DataFrame)


def test_numpyro_without_jax_is_a_clear_error(model: bl.Model) -> None:
    if importlib.util.find_spec("jax") and importlib.util.find_spec("numpyro"):
        pytest.skip("jax and numpyro are installed here; the error path cannot be reached")
    with pytest.raises(SamplingError, match=r"sampler='numpyro' needs the jax extra: pip install 'bayeslmm\[jax\]'"):
        model.fit(sampler="numpyro", **SMALL)
