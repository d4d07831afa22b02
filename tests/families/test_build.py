"""Every family builds with iid and kernel random effects; its likelihood equals scipy's.

No sampling: the model's pointwise log-likelihood is evaluated at a chosen point and compared
with scipy.stats on the same linear predictor (rtol 1e-6, float64 throughout).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_families import FAMILIES
from scipy import special, stats

import bayeslmm as bl
from bayeslmm.backend.latent import kernel_root

RHS = "x + (1 | g) + (1 | gr(id, cov=G))"


def _evaluate(pm_model, point, outs):
    outs = pm_model.replace_rvs_by_values(outs)
    return pm_model.compile_fn(outs, inputs=pm_model.value_vars, on_unused_input="ignore")(point)


def _point(pm_model, rng):
    point = pm_model.initial_point()
    for name in point:
        if name == "b" or name.startswith("z_") or name == "b_sigma":
            point[name] = rng.normal(0, 0.5, size=np.shape(point[name]))
    return point


def _expected_loglik(family, link, y, trials, eta, sigma, nu, alpha):
    if family == "gaussian":
        return stats.norm.logpdf(y, eta, sigma)
    if family == "student_t":
        return stats.t.logpdf(y, nu, eta, sigma)
    p = special.expit(eta) if link == "logit" else stats.norm.cdf(eta)
    if family == "bernoulli":
        return stats.bernoulli.logpmf(y, p)
    if family == "binomial":
        return stats.binom.logpmf(y, trials, p)
    mu = np.exp(eta)
    if family == "poisson":
        return stats.poisson.logpmf(y, mu)
    return stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))


@pytest.mark.parametrize("family, link, response", FAMILIES)
def test_family_likelihood_with_iid_and_kernel_effects(sim, family, link, response):
    df, G = sim
    formula = f"{response} ~ {RHS}"
    if family in ("gaussian", "student_t"):
        formula = [formula, "sigma ~ grp"]
    model = bl.Model(formula, df, family=family, link=link, kernels={"G": G})
    assert model.strategy.name == "latent"
    if not model.spec.family.has_residual:
        assert model.strategy.reason == f"{family} family: random effects cannot be integrated out"
    pm_model = model.build()
    point = _point(pm_model, np.random.default_rng(5))
    spec = model.spec
    outs = [pm_model["sd"], pm_model.logp(vars=[pm_model["y"]], sum=False)[0]]
    extras = [name for name in ("nu", "alpha") if name in pm_model.named_vars]
    values = _evaluate(pm_model, point, outs + [pm_model[name] for name in extras])
    sd, loglik = values[0], values[1]
    params = dict(zip(extras, values[2:]))

    g_term, k_term = spec.terms
    eta = spec.X @ point["b"]
    eta = eta + sd[0] * point["z_g"][g_term.index, 0]
    root = kernel_root(G)
    eta = eta + sd[1] * (root @ point["z_id_G"][:, 0])[k_term.index]
    sigma = None
    if spec.family.has_residual:
        sigma = sd[-1] * np.exp(spec.sigma.W @ point["b_sigma"])
    expected = _expected_loglik(family, spec.family.link, spec.y, spec.trials, eta, sigma,
                                params.get("nu"), params.get("alpha"))
    np.testing.assert_allclose(loglik, expected, rtol=1e-6, atol=1e-9)


def test_sigma_formula_routes_to_latent(sim):
    df, G = sim
    model = bl.Model([f"yg ~ {RHS}", "sigma ~ grp"], df, kernels={"G": G})
    assert model.strategy.name == "latent"
    assert "sigma ~ grp" in model.strategy.reason and "one residual sd" in model.strategy.reason
    assert "sigma ~ grp" in repr(model)
    plain = bl.Model("yg ~ x + (1 | gr(id, cov=G))", df, kernels={"G": G})
    assert plain.strategy.name != "latent"  # without a sigma formula a marginal strategy is chosen


def test_sigma_design_reference_and_numeric(sim):
    df, _ = sim
    spec = bl.Model(["yg ~ x + (1 | g)", "sigma ~ grp + x"], df).spec
    assert spec.sigma.columns == ("grp[b]", "x")
    assert np.array_equal(spec.sigma.W[:, 0], (df["grp"] == "b").to_numpy(float))
    assert np.allclose(spec.sigma.W[:, 1], df["x"])  # numeric columns are not centred: x = 0 is the reference
    assert spec.priors["sigma:grp[b]"].params == {"mu": 0.0, "sigma": 1.0}
    assert spec.priors["sigma:x"].params["sigma"] == pytest.approx(1 / df["x"].std(ddof=0))
    new = spec.sigma.matrix(df.iloc[:4])
    assert np.allclose(new, spec.sigma.W[:4])


def test_family_priors(sim):
    df, _ = sim
    t = bl.Model("yt ~ x + (1 | g)", df, family="student_t").priors
    assert t["nu"].dist == "Gamma" and t["nu"].params == {"alpha": 2.0, "beta": 0.1}
    nb = bl.Model("yc ~ x + (1 | g)", df, family="negativebinomial").priors
    assert nb["alpha"].dist == "InverseGamma" and nb["alpha"].params == {"alpha": 0.5, "beta": 0.5}
    logit = bl.Model("yb ~ x + (1 | g)", df, family="bernoulli").priors
    assert logit["tau"].params["sigma"] == 1.5 and "logit scale" in logit["tau"].why
    probit = bl.Model("yb ~ x + (1 | g)", df, family="bernoulli", link="probit").priors
    assert probit["tau"].params["sigma"] == 1.0


def test_negative_binomial_prior_is_half_normal_on_inverse_sqrt():
    # alpha ~ InverseGamma(1/2, 1/2)  <=>  1/sqrt(alpha) ~ HalfNormal(1): same quantiles
    q = np.array([0.05, 0.25, 0.5, 0.75, 0.95])
    alpha_q = stats.invgamma.ppf(q, 0.5, scale=0.5)
    np.testing.assert_allclose(1 / np.sqrt(alpha_q), stats.halfnorm.ppf(1 - q), rtol=1e-10)


def test_documented_latent_icc_prior_quantiles():
    """The quantiles of the implied latent ICC prior quoted in model_spec._response_scale.

    400,000 draws of a half-t3: Monte Carlo error of the quantiles is below 0.002, the
    documented values are rounded to 0.01 (medians) or 0.001 (5% quantiles).
    """
    t = np.abs(stats.t.rvs(3, size=400_000, random_state=1))
    for scale, vd, documented in [(1.5, np.pi**2 / 3, (0.003, 0.29, 0.87)),
                                  (1.0, 1.0, (0.005, 0.37, 0.91)),
                                  (1.0, np.log(2), (0.007, 0.46, 0.94))]:
        icc = (scale * t) ** 2 / ((scale * t) ** 2 + vd)
        np.testing.assert_allclose(np.quantile(icc, [0.05, 0.5, 0.95]), documented, atol=0.006)
