"""Every gp() strategy's likelihood equals a dense numpy/scipy reference at random parameters.

Tolerance rtol 1e-8: each strategy rewrites the same Gaussian density exactly (the HSGP ones
the density of the approximate model), so only rounding separates them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from helpers_gp import deterministic, likelihood, random_values
from scipy.spatial.distance import cdist
from scipy.stats import multivariate_normal, norm

import bayeslmm as bl
from bayeslmm.backend.gp import (
    hsgp_plan,
    spectral_density,
    spectral_density_numpy,
    term_basis,
)
from bayeslmm.spec.gp import hsgp_basis, hsgp_frequencies, kernel_matrix

pytestmark = pytest.mark.filterwarnings("ignore::bayeslmm.backend.gp.GPApproximationWarning")  # coarse m on purpose

RTOL = 1e-8


def _sd(spec, values):
    return np.sqrt(values["proportions"]) * values["tau"] / np.concatenate(
        [t.x_scale for t in spec.terms] + [g.x_scale for g in spec.gp_terms] + [np.ones(1)])


def _field_cov(spec, g, values, sd):
    ls = values[f"ls_{g.key}"]
    k = spec.components.index(g.label)
    if g.method == "exact":
        K = kernel_matrix(g.cov, cdist(g.coords, g.coords), ls)
    else:
        plan = hsgp_plan(spec, g)
        phi = hsgp_basis(g.coords, plan.L, plan.m)
        K = (phi * spectral_density_numpy(g.cov, hsgp_frequencies(plan.L, plan.m), ls)) @ phi.T
    return sd[k] ** 2 * K * (g.by_design @ g.by_design.T)


def _iid_cov(t):
    return (t.index[:, None] == t.index[None, :]).astype(float)


@pytest.mark.parametrize("formula", [
    'y ~ env + gp(x, v)',
    'y ~ env + gp(x, v, cov="exponential") + (1 | site)',
    'y ~ env + gp(x, cov="matern52", by=site)',
    'y ~ env + gp(x, v, cov="expquad", by=w)',
    'y ~ env + gp(x, v, approx="hsgp", m=8)',
])
def test_dense_marginal_matches_scipy(small_field, formula):
    """The exact marginal GP (and the dense form of an HSGP) against scipy's MvNormal."""
    model = bl.Model(formula, small_field, strategy="dense")
    pm_model, spec = model.build(), model.spec
    rng = np.random.default_rng(1)
    for _ in range(3):
        values = random_values(pm_model, spec, rng)
        sd = _sd(spec, values)
        V = sd[-1] ** 2 * np.eye(spec.n)
        for t in spec.terms:
            V += sd[spec.components.index(t.components[0])] ** 2 * _iid_cov(t)
        for g in spec.gp_terms:
            V += _field_cov(spec, g, values, sd)
        want = multivariate_normal(spec.X @ values["b"], V).logpdf(spec.y)
        assert np.isclose(likelihood(pm_model, values), want, rtol=RTOL, atol=0)


def _hsgp_mean(spec, values, sd, iid=True):
    mean = spec.X @ values["b"]
    for g in spec.gp_terms:
        plan = hsgp_plan(spec, g)
        w = sd[spec.components.index(g.label)] * np.sqrt(
            spectral_density_numpy(g.cov, hsgp_frequencies(plan.L, plan.m), values[f"ls_{g.key}"]))
        mean += term_basis(g, plan) @ (np.tile(w, g.n_fields) * values[f"z_{g.key}"])
    for t in spec.terms if iid else ():
        mean += sd[spec.components.index(t.components[0])] * values[f"z_{t.key}"][t.index, 0]
    return mean


@pytest.mark.parametrize("formula", [
    'y ~ env + gp(x, v, approx="hsgp")',
    'y ~ env + gp(x, v, approx="hsgp", cov="matern52") + (1 | site)',
    'y ~ env + gp(x, approx="hsgp", by=site)',
])
def test_hsgp_strategy_matches_pointwise_normal(small_field, formula):
    """Sufficient statistics give the same density as N(y_i; x_i b + (B Phi gamma)_i, sigma²)."""
    model = bl.Model(formula, small_field)
    assert model.strategy.name == "hsgp"
    pm_model, spec = model.build(), model.spec
    rng = np.random.default_rng(2)
    for _ in range(3):
        values = random_values(pm_model, spec, rng)
        sd = _sd(spec, values)
        want = norm(_hsgp_mean(spec, values, sd), sd[-1]).logpdf(spec.y).sum()
        assert np.isclose(likelihood(pm_model, values), want, rtol=RTOL, atol=0)


def test_latent_strategy_fields(small_field):
    """Latent (Poisson): exact field = sd chol(K + 1e-6 I) z; HSGP weights = sd sqrt(S(omega)) z."""
    rng = np.random.default_rng(3)
    model = bl.Model("count ~ env + gp(x, v, approx='exact')", small_field, family="poisson")
    assert model.strategy.name == "latent"
    pm_model, spec = model.build(), model.spec
    values = random_values(pm_model, spec, rng)
    g = spec.gp_terms[0]
    K = kernel_matrix(g.cov, cdist(g.coords, g.coords), values[f"ls_{g.key}"]) + 1e-6 * np.eye(spec.n)
    want = _sd(spec, values)[0] * np.linalg.cholesky(K) @ values[f"z_{g.key}"]
    np.testing.assert_allclose(deterministic(pm_model, f"f_{g.key}", values), want, rtol=1e-8)
    eta = spec.X @ values["b"] + want
    np.testing.assert_allclose(likelihood(pm_model, values), _poisson(spec.y, eta), rtol=RTOL)

    model = bl.Model("count ~ env + gp(x, v, approx='hsgp')", small_field, family="poisson")
    pm_model, spec = model.build(), model.spec
    values = random_values(pm_model, spec, rng)
    eta = _hsgp_mean(spec, values, _sd(spec, values))
    np.testing.assert_allclose(likelihood(pm_model, values), _poisson(spec.y, eta), rtol=RTOL)


def _poisson(y, eta):
    from scipy.stats import poisson

    return poisson(np.exp(eta)).logpmf(y).sum()


@pytest.fixture(scope="module")
def kernel_field():
    """n = 50 individuals with a positive-definite kernel and coordinates."""
    rng = np.random.default_rng(5)
    n = 50
    A = rng.standard_normal((n, n))
    ids = [f"i{k}" for k in range(n)]
    P = bl.Kernel(A @ A.T / n + 0.5 * np.eye(n), ids=ids)
    df = pd.DataFrame({"id": ids, "x": rng.uniform(0, 1, n), "v": rng.uniform(0, 1, n),
                       "y": rng.standard_normal(n)})
    return df, {"P": P}


def test_hybrid_kernel_plus_field_matches_dense(kernel_field):
    """Kernel integrated out spectrally, HSGP weights latent in its eigenbasis: equals
    N(y; Xb + B Phi gamma, s_g² K + s_e² I)."""
    df, kernels = kernel_field
    model = bl.Model("y ~ 1 + (1 | gr(id, cov=P)) + gp(x, v, approx='hsgp')", df, kernels=kernels)
    assert model.strategy.name == "hybrid"
    pm_model, spec = model.build(), model.spec
    rng = np.random.default_rng(6)
    K = np.asarray(kernels["P"].matrix)[np.ix_(spec.terms[0].index, spec.terms[0].index)]
    for _ in range(3):
        values = random_values(pm_model, spec, rng)
        sd = _sd(spec, values)
        V = sd[0] ** 2 * K + sd[-1] ** 2 * np.eye(spec.n)
        want = multivariate_normal(_hsgp_mean(spec, values, sd, iid=False), V).logpdf(spec.y)
        assert np.isclose(likelihood(pm_model, values), want, rtol=RTOL, atol=0)


@pytest.mark.parametrize("cov", ["matern32", "matern52", "expquad"])
@pytest.mark.parametrize("d", [1, 2])
def test_spectral_density_matches_pymc(cov, d):
    """Our spectral densities equal PyMC's (which has none for the exponential kernel).

    rtol 1e-6 against PyMC, which evaluates the Gamma function of a Python constant such as
    2.5 in float32 (PyTensor's autocasting); ours agree with each other to 1e-12.
    """
    omega = np.random.default_rng(7).uniform(0, 5, (12, d))
    theirs = {"matern32": pm.gp.cov.Matern32, "matern52": pm.gp.cov.Matern52, "expquad": pm.gp.cov.ExpQuad}[cov]
    want = theirs(d, ls=0.7).power_spectral_density(omega).eval()
    ours = spectral_density_numpy(cov, omega, 0.7)
    np.testing.assert_allclose(ours, want, rtol=1e-6)
    np.testing.assert_allclose(spectral_density(cov, omega, 0.7).eval(), ours, rtol=1e-12)


@pytest.mark.parametrize("cov", ["exponential", "matern32", "matern52", "expquad"])
def test_spectral_density_integrates_to_unit_variance(cov):
    """k(0) = (2 pi)^-2 * integral of S over R² = 1 (radial quadrature; checks the exponential too)."""
    from scipy.integrate import quad

    ls = 0.3
    f = lambda r: spectral_density_numpy(cov, np.array([[r, 0.0]]), ls)[0] * 2 * np.pi * r / (2 * np.pi) ** 2
    total = quad(f, 0, np.inf, limit=500)[0]
    assert abs(total - 1.0) < 1e-6


def test_basis_matches_pymc():
    from pymc.gp.hsgp_approx import calc_eigenvalues, calc_eigenvectors

    X = np.random.default_rng(8).uniform(-1, 1, (30, 2))
    L, m = np.array([1.6, 1.3]), (5, 4)
    want = calc_eigenvectors(X, L, calc_eigenvalues(L, m), m).eval()
    np.testing.assert_allclose(hsgp_basis(X, L, m), want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(hsgp_frequencies(L, m) ** 2, calc_eigenvalues(L, m), rtol=1e-12)


def test_gaussian_logp_gradient():
    """The exact GP's density op: value equals scipy, gradient equals finite differences of
    log N(y; 0, s² K(l) + e² I) in (l, s, e) (central differences, rtol 1e-5)."""
    import pytensor
    import pytensor.tensor as pt

    from bayeslmm.backend.gp import GaussianLogp

    rng = np.random.default_rng(9)
    X = rng.uniform(0, 1, (25, 2))
    D = cdist(X, X)
    y = rng.standard_normal(25)
    theta = pt.dvector("theta")
    r = pt.as_tensor_variable(D) / theta[0]
    V = theta[1] ** 2 * (1 + np.sqrt(3) * r) * pt.exp(-np.sqrt(3) * r) + theta[2] ** 2 * pt.eye(25)
    logp = GaussianLogp()(V, pt.as_tensor_variable(y))[0]
    f = pytensor.function([theta], [logp, pytensor.grad(logp, theta)])
    point = np.array([0.3, 1.2, 0.5])
    value, grad = f(point)
    K = kernel_matrix("matern32", D, 0.3) * 1.44 + 0.25 * np.eye(25)
    assert np.isclose(value, multivariate_normal(np.zeros(25), K).logpdf(y), rtol=1e-10)
    eps = 1e-6
    numeric = [(f(point + eps * e)[0] - f(point - eps * e)[0]) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5)
