"""Predictions of gp() fields at new locations, on hand-made posteriors (no sampling)."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy.spatial.distance import cdist

import bayeslmm as bl
from bayeslmm.backend.gp import hsgp_plan, spectral_density_numpy, term_basis
from bayeslmm.errors import DataError
from bayeslmm.results.fit import Fit
from bayeslmm.spec.gp import hsgp_frequencies, kernel_matrix

pytestmark = pytest.mark.filterwarnings("ignore::bayeslmm.backend.gp.GPApproximationWarning")  # coarse m on purpose


def _posterior(spec, rng, S=40, **extra):
    """Two chains of S/2 draws: fixed effects, sds and lengthscales, plus ``extra`` (S, ...) arrays."""
    k = len(spec.components)
    sd = rng.uniform(0.5, 1.5, (S, k))
    values = {"b": rng.standard_normal((S, len(spec.fixed_columns))), "sd": sd, "tau": np.sqrt((sd**2).sum(1)),
              "proportions": sd**2 / (sd**2).sum(1, keepdims=True)}
    for g in spec.gp_terms:
        values[f"ls_{g.key}"] = rng.uniform(0.1, 0.3, S) * g.extent
    values.update(extra)
    return az.from_dict(posterior={name: v.reshape(2, S // 2, *v.shape[1:]) for name, v in values.items()})


def _new_rows():
    return pd.DataFrame({"x": [0.1, 0.5, 0.93], "v": [0.2, 0.5, 0.8], "env": [0.0, 1.0, -1.0], "site": ["0", "1", "9"]})


def test_hsgp_prediction_is_basis_times_weights(small_field):
    df = small_field.assign(x=small_field.x / 10, v=small_field.v / 4)
    model = bl.Model("y ~ env + gp(x, v, approx='hsgp', m=6)", df)
    spec, g = model.spec, model.spec.gp_terms[0]
    rng = np.random.default_rng(1)
    plan = hsgp_plan(spec, g)
    beta = rng.standard_normal((40, plan.size))
    idata = _posterior(spec, rng, **{f"beta_{g.key}": beta, f"w_{g.key}": np.ones((40, plan.size))})
    fit = Fit(model, idata)
    new = _new_rows()
    draws = fit.predict(new, return_draws=True)
    b = idata.posterior["b"].values.reshape(40, -1)
    want = b @ spec.fixed_matrix(new).T + beta @ term_basis(g, plan, g.locations(new), g.by_matrix(new)[0]).T
    np.testing.assert_allclose(draws, want, rtol=1e-10)
    np.testing.assert_allclose(fit.predict(new, include_random=False, return_draws=True), b @ spec.fixed_matrix(new).T)
    with pytest.raises(DataError, match="outside the HSGP box"):
        fit.predict(new.assign(x=[0.1, 0.5, 40.0]))


def test_exact_kriging(small_field):
    """At a data location the field is reproduced; at a new one, the GP conditional mean and variance."""
    df = small_field.iloc[:40]
    model = bl.Model("y ~ env + gp(x, v, approx='exact')", df)
    spec, g = model.spec, model.spec.gp_terms[0]
    rng = np.random.default_rng(2)
    ls = 0.2 * g.extent
    K = kernel_matrix(g.cov, cdist(g.coords, g.coords), ls)
    rows = np.linalg.cholesky(K + 1e-9 * np.eye(40)) @ rng.standard_normal((40, 40))
    idata = _posterior(spec, rng, **{f"f_{g.key}": rows.T})
    idata.posterior[f"ls_{g.key}"][:] = ls
    sd = idata.posterior["sd"].values.reshape(40, -1)[:, spec.components.index(g.label)]
    fit = Fit(model, idata)
    at_data = fit.field_draws(g)
    from bayeslmm.results.gp_predict import field_at

    got = field_at(spec, at_data, df.iloc[:5], None, np.random.default_rng(0))
    np.testing.assert_allclose(got, rows.T[:, :5], atol=1e-2)  # 1e-6 jitter, fields of sd ~ 1
    new = pd.DataFrame({"x": [3.3], "v": [1.1]})
    draws = field_at(spec, at_data, new, None, np.random.default_rng(0))
    k_star = kernel_matrix(g.cov, cdist(g.locations(new), g.coords), ls)
    weights = np.linalg.solve(K + 1e-6 * np.eye(40), k_star.T)[:, 0]
    mean = (rows.T / sd[:, None]) @ weights * sd
    var = sd**2 * (1.0 - k_star[0] @ weights)
    z = (draws[:, 0] - mean) / np.sqrt(var)
    assert np.all(np.abs(z) < 5) and np.std(z) == pytest.approx(1.0, abs=0.35)  # 40 standard normal draws


def test_unknown_by_level_gets_a_new_field(small_field):
    df = small_field.assign(x=small_field.x / 10)
    model = bl.Model("y ~ gp(x, by=site, approx='hsgp', m=8)", df)
    spec, g = model.spec, model.spec.gp_terms[0]
    plan = hsgp_plan(spec, g)
    rng = np.random.default_rng(3)
    S, M = 400, plan.size
    w = np.tile(np.sqrt(spectral_density_numpy(g.cov, hsgp_frequencies(plan.L, plan.m), 0.2)), (S, 3))
    idata = _posterior(spec, rng, S=S, **{f"beta_{g.key}": np.zeros((S, 3 * M)), f"w_{g.key}": w})
    fit = Fit(model, idata)
    draws = fit.predict(pd.DataFrame({"x": [0.5, 0.5], "site": ["1", "new"]}), return_draws=True)
    b = idata.posterior["b"].values.reshape(S)
    np.testing.assert_allclose(draws[:, 0], b)  # known level, zero weights
    field = draws[:, 1] - b  # a prior draw of a new field: its variance is the HSGP prior variance there
    from bayeslmm.spec.gp import hsgp_basis

    prior_var = hsgp_basis(g.locations(pd.DataFrame({"x": [0.5]})), plan.L, plan.m) ** 2 @ w[0, :M] ** 2
    assert np.var(field) == pytest.approx(prior_var[0], rel=0.2)  # 400 draws: sd of the ratio ~0.07


@pytest.mark.parametrize("formula", ["y ~ env + gp(x, v, approx='hsgp', m=6)", "y ~ gp(x, approx='hsgp', m=12)"])
def test_gp_map_returns_figure(small_field, formula):
    model = bl.Model(formula, small_field)
    spec, g = model.spec, model.spec.gp_terms[0]
    plan = hsgp_plan(spec, g)
    rng = np.random.default_rng(4)
    idata = _posterior(spec, rng, **{f"beta_{g.key}": rng.standard_normal((40, plan.size)),
                                     f"w_{g.key}": np.ones((40, plan.size))})
    fig = Fit(model, idata).plot("gp_map", grid=12)
    assert isinstance(fig, Figure)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert any("posterior mean" in t for t in titles) and any("posterior sd" in t for t in titles)


def test_save_and_load_keep_the_field(small_field, tmp_path):
    """A saved fit rebuilds the same gp() term (projection, centring, basis): same predictions."""
    model = bl.Model("y ~ env + gp(x, v, approx='hsgp', m=6)", small_field)
    spec, g = model.spec, model.spec.gp_terms[0]
    plan = hsgp_plan(spec, g)
    rng = np.random.default_rng(5)
    idata = _posterior(spec, rng, **{f"beta_{g.key}": rng.standard_normal((40, plan.size)),
                                     f"w_{g.key}": np.ones((40, plan.size))})
    idata.attrs.update(model._provenance())
    fit = Fit(model, idata)
    path = tmp_path / "gp_fit.nc"
    fit.save(str(path))
    loaded = bl.load(str(path))
    new = _new_rows().assign(x=[1.0, 5.0, 9.0], v=[0.5, 2.0, 3.5])
    np.testing.assert_allclose(loaded.predict(new, return_draws=True), fit.predict(new, return_draws=True))
    assert loaded.spec.gp_terms[0].label == "gp(x, v)"
