"""Prior and posterior predictive draws are on the scale of the data, one column per row."""

from __future__ import annotations

import numpy as np
import pytest

import bayeslmm as bl
from bayeslmm.errors import SamplingError


def test_prior_predictive_groups_and_scale(sleep_data):
    model = bl.Model("Reaction ~ Days + (Days | Subject)", sleep_data)
    pp = model.prior_predictive(draws=200, seed=3)
    assert {"prior", "prior_predictive", "observed_data"} <= set(pp.groups())
    y = pp.prior_predictive["y"]
    assert y.dims == ("chain", "draw", "obs") and y.shape == (1, 200, model.spec.n)
    assert {"tau", "proportions", "sd", "b"} <= set(pp.prior.data_vars)
    # the default priors are scaled to the data: the middle of the prior predictive spread
    # covers the observed mean (a loose check: these priors are weakly informative)
    lo, hi = np.quantile(y.values.mean(axis=-1), [0.05, 0.95])
    assert lo < sleep_data["Reaction"].mean() < hi
    again = model.prior_predictive(draws=200, seed=3)
    np.testing.assert_array_equal(again.prior_predictive["y"].values, y.values)


def test_prior_predictive_rejects_bad_draws(sleep_data):
    with pytest.raises(SamplingError, match="0"):
        bl.Model("Reaction ~ Days + (1 | Subject)", sleep_data).prior_predictive(draws=0)


def test_prior_predictive_of_a_marginal_strategy_is_on_rows():
    data, kernels = bl.datasets.heritability(n=80, m=200, h2=0.5, taxa=0, seed=2)
    model = bl.Model("y ~ x + (1 | gr(id, cov=G))", data, kernels=kernels)
    assert model.strategy.name in ("spectral", "lowrank")
    pp = model.prior_predictive(draws=50, seed=1)
    assert pp.prior_predictive["y"].shape == (1, 50, 80)


@pytest.mark.slow
def test_posterior_predictive(sleep_fit):
    ppc = sleep_fit.posterior_predictive(seed=1)
    y = ppc.posterior_predictive["y"]
    assert y.dims == ("chain", "draw", "obs") and y.shape == (2, 500, sleep_fit.spec.n)
    np.testing.assert_array_equal(ppc.observed_data["y"].values, sleep_fit.spec.y)
    # replicated data look like the data: mean within the spread of replicated means
    means = y.values.reshape(-1, sleep_fit.spec.n).mean(axis=1)
    assert means.min() < sleep_fit.spec.y.mean() < means.max()
    bare = sleep_fit.predict(kind="response", return_draws=True, seed=1)
    np.testing.assert_array_equal(bare, y.values.reshape(-1, sleep_fit.spec.n))
