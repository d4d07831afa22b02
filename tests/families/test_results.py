"""Tables and predictions of non-normal families and sigma formulas, on prior draws.

Prior draws stand in for a posterior (conftest.prior_fit), so every number in the tables can
be recomputed by hand from the same draws; no NUTS run is needed.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_families import TIGHT, prior_fit

import bayeslmm as bl

RHS = "x + (1 | g) + (1 | gr(id, cov=G))"
GLMMS = [("bernoulli", "probit", "yb"), ("binomial", "logit", "p(yk, trials)"),
         ("poisson", None, "yc"), ("negativebinomial", None, "yc")]


def _draws(fit, name):
    v = fit.idata.posterior[name].values
    return v.reshape((-1,) + v.shape[2:])


@pytest.fixture(scope="module", params=GLMMS, ids=[f"{f}-{l}" for f, l, _ in GLMMS])
def glmm_fit(request, sim):
    family, link, response = request.param
    df, G = sim
    priors = dict(TIGHT)
    if family == "negativebinomial":  # alpha near 10: predictive draws with a finite, estimable variance
        priors["alpha"] = bl.Prior("Gamma", alpha=20.0, beta=2.0)
    model = bl.Model(f"{response} ~ {RHS}", df, family=family, link=link, kernels={"G": G}, priors=priors)
    return prior_fit(model)


def test_glmm_latent_scale_proportions(glmm_fit):
    fit, spec = glmm_fit, glmm_fit.spec
    vc = fit.variance_components()
    assert list(vc.index) == ["1|g", "1|gr(id, cov=G)", "Distribution"]
    assert {"latent_proportion", "latent_proportion_lower", "latent_proportion_upper"} <= set(vc.columns)
    assert vc["scale"].iloc[0].startswith(f"proportion: share of the random-effect variance tau^2 ({spec.family.link} scale)")
    assert "latent_proportion: variance / (tau^2 + " in vc["scale"].iloc[0]

    tau2 = _draws(fit, "tau") ** 2
    prop = _draws(fit, "proportions")
    if spec.family.link == "probit":
        vd = np.ones_like(tau2)
    elif spec.family.link == "logit":
        vd = np.full_like(tau2, np.pi**2 / 3)
    else:  # lognormal approximation at the mean expected count
        lam = np.exp(_draws(fit, "b") @ spec.X.T + tau2[:, None] / 2).mean(axis=1)
        vd = np.log1p(1 / lam + (1 / _draws(fit, "alpha") if spec.family.name == "negativebinomial" else 0))
    latent = prop * (tau2 / (tau2 + vd))[:, None]
    np.testing.assert_allclose(vc["latent_proportion"].iloc[:2], latent.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(vc.loc["Distribution", "variance"], vd.mean(), rtol=1e-10)
    assert vc["latent_proportion"].sum() == pytest.approx(1.0, abs=1e-10)
    assert vc["proportion"].iloc[:2].sum() == pytest.approx(1.0, abs=1e-10)  # split of tau^2 only
    assert np.isnan(vc.loc["Distribution", "proportion"])
    assert (vc["latent_proportion_lower"] <= vc["latent_proportion"]).all()


def test_glmm_response_predictions_in_support(glmm_fit):
    fit, spec = glmm_fit, glmm_fit.spec
    draws = fit.predict(kind="response", return_draws=True)
    assert draws.shape[1] == spec.n and np.isfinite(draws).all()
    assert np.array_equal(draws, np.round(draws)) and draws.min() >= 0
    if spec.family.name == "bernoulli":
        assert set(np.unique(draws)) <= {0.0, 1.0}
    if spec.family.name == "binomial":
        assert (draws <= spec.trials).all()
    mean = fit.predict(kind="mean")["mean"].to_numpy()
    assert np.all(mean >= 0) and np.all(mean <= (1.0 if spec.family.link != "log" else np.inf))
    # response draws average to the expected response within 5 Monte Carlo standard errors
    # per row (60 rows: a false failure has probability below 1e-4)
    expected = mean * (spec.trials if spec.trials is not None else 1.0)
    se = draws.std(axis=0) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(draws.mean(axis=0) - expected) <= 5 * se + 1e-9)


@pytest.fixture(scope="module")
def sigma_fit(sim):
    df, G = sim
    model = bl.Model(["yg ~ x + (1 | g)", "sigma ~ grp"], df, priors=TIGHT)
    return prior_fit(model, draws=150)


def test_sigma_formula_residual_sd_table(sigma_fit):
    fit = sigma_fit
    table = fit.residual_sd()
    assert list(table.index) == ["a", "b"] and table.index.name == "grp"
    base = _draws(fit, "sd")[:, -1]
    gamma = _draws(fit, "b_sigma")[:, 0]
    np.testing.assert_allclose(table["sd"], [base.mean(), (base * np.exp(gamma)).mean()], rtol=1e-10)
    tau2 = _draws(fit, "tau") ** 2
    random_var = _draws(fit, "proportions")[:, 0] * tau2
    share_b = (base * np.exp(gamma)) ** 2 / (random_var + (base * np.exp(gamma)) ** 2)
    assert table.loc["b", "proportion"] == pytest.approx(share_b.mean(), rel=1e-10)
    vc = fit.variance_components()
    assert vc.loc["Residual", "term"] == "reference" and vc.loc["Residual", "sd"] == pytest.approx(table.loc["a", "sd"])
    assert "latent_proportion" not in vc.columns and (vc["scale"] == "response").all()
    assert "sigma:grp[b]" in fit.summary().index
    new = fit.residual_sd(newdata=fit.spec.data.iloc[[0, 3]])
    assert list(new.index) == list(fit.spec.data.index[[0, 3]])


def test_sigma_formula_predictive_spread_per_group(sigma_fit):
    """Posterior-predictive noise has the sd of each row's group.

    About 40 rows x 300 draws per group: the sd of the noise is estimated within a few
    percent, the tolerance is 8%.
    """
    fit = sigma_fit
    noise = fit.predict(kind="response", return_draws=True) - fit.predict(kind="mean", return_draws=True)
    sd = fit.residual_sd()
    grp = fit.spec.data["grp"].to_numpy()
    for level in ("a", "b"):
        observed = np.sqrt(np.mean(noise[:, grp == level] ** 2))
        assert observed == pytest.approx(np.sqrt(sd.loc[level, "variance"]), rel=0.08)


def test_residual_sd_without_sigma_formula(sim):
    df, _ = sim
    fit = prior_fit(bl.Model("yt ~ x + (1 | g)", df, family="student_t", priors=TIGHT), draws=60)
    table = fit.residual_sd()
    assert list(table.index) == ["all rows"]
    assert table["sd"].iloc[0] == pytest.approx(_draws(fit, "sd")[:, -1].mean())
    assert "nu" in fit.summary().index


def test_residual_sd_needs_residual(glmm_fit):
    with pytest.raises(bl.SpecError, match=r"family '\w+' has no residual sd"):
        glmm_fit.residual_sd()


def test_save_load_keeps_sigma_formula(sigma_fit, tmp_path):
    path = tmp_path / "sigma.nc"
    sigma_fit.save(str(path))
    loaded = bl.load(str(path))
    assert loaded.model.formula == ["yg ~ x + (1 | g)", "sigma ~ grp"]
    np.testing.assert_allclose(loaded.residual_sd()["sd"], sigma_fit.residual_sd()["sd"])
