"""The crossed strategy (all iid intercepts integrated out jointly through a Schur complement):
its kernel against scipy's dense multivariate normal and central differences, the model's
log density and gradient against the dense strategy in each backend, its effect draws
against the exact joint conditional, and when it is chosen.

Tolerances: densities rtol 1e-8 (an exact rewrite: determinant lemma, Woodbury and a Schur
complement; only rounding separates it from the dense density); gradients rtol 1e-5 against
central differences with step 1e-6 (truncation O(h²), rounding ~1e-10 relative), 1e-7
against the dense strategy's symbolic gradient.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy.stats import multivariate_normal, norm

import bayeslmm as bl
from bayeslmm.backend import crossed
from bayeslmm.backend.crossed import complete, ordered_terms
from bayeslmm.backend.crossed_likelihood import CrossedGaussian, crossed_value_and_grad
from bayeslmm.errors import BayesLMMError
from bayeslmm.results import arviz_bridge as azb
from model_values import deterministic, likelihood, random_values

RTOL = 1e-8


def _kernel_problem(p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n, sizes = 50, (7, 3, 2)
    Z = np.zeros((n, sum(sizes)))
    offset = 0
    for J in sizes:
        Z[np.arange(n), offset + rng.integers(0, J, n)] = 1.0
        offset += J
    X = np.column_stack([np.ones(n), rng.standard_normal(n)])[:, :p]
    y = rng.standard_normal(n) * 2 + 1
    sd_index = np.repeat(np.arange(3), sizes)
    C = Z.T @ Z
    J1 = sizes[0]
    data = (sd_index, np.diag(C)[:J1].copy(), C[:J1, J1:].copy(), C[J1:, J1:].copy(), Z.T @ y, Z.T @ X,
            float(y @ y), X.T @ y, X.T @ X, n)

    def dense(sd, b):
        V = sd[-1] ** 2 * np.eye(n) + Z @ np.diag(sd[sd_index] ** 2) @ Z.T
        return multivariate_normal(X @ b, V).logpdf(y)

    return data, dense, rng.standard_normal(p)


def _differences(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(len(x))])


@pytest.mark.parametrize("p", [0, 2])
def test_kernel_matches_dense_density_and_differences(p):
    data, dense, b = _kernel_problem(p)
    for sd in (np.array([0.7, 1.3, 0.4, 0.9]), np.array([0.7, 0.0, 0.4, 0.9])):  # a variance at zero too
        value, dsd, db = crossed_value_and_grad(sd, b, *data)
        assert np.isclose(value, dense(sd, b), rtol=1e-10)
        assert np.allclose(dsd, _differences(lambda v: dense(v, b), sd), rtol=1e-5, atol=1e-7)
        assert np.allclose(db, _differences(lambda v: dense(sd, v), b), rtol=1e-5, atol=1e-7)


def _dense_reference(spec, model, values):
    """log N(y; X b, sigma² I + sum_t sd_t² Z_t Z_t')."""
    sd = deterministic(model, "sd", values)
    mean = spec.X @ values["b"] if spec.fixed_columns else np.zeros(spec.n)
    V = sd[-1] ** 2 * np.eye(spec.n)
    for t in spec.terms:
        same = t.index[:, None] == t.index[None, :]
        V = V + sd[spec.components.index(t.components[0])] ** 2 * same
    return multivariate_normal(mean, V).logpdf(spec.y)


FORMULAS = ["y ~ x + (1 | g) + (1 | h)", "y ~ 1 + (1 | g/p)", "y ~ 0 + (1 | h) + (1 | g)",
            "y ~ x + (1 | g) + (1 | h) + (1 | p)"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_crossed_matches_dense(grouped, formula):
    model = bl.Model(formula, grouped)
    assert model.strategy.name == "crossed"
    pm_model, spec = model.build(), model.spec
    rng = np.random.default_rng(3)
    for _ in range(3):
        values = random_values(pm_model, rng)
        assert np.isclose(likelihood(pm_model, values), _dense_reference(spec, pm_model, values), rtol=RTOL, atol=0)


@pytest.mark.parametrize("mode", ["FAST_RUN", "NUMBA"])
@pytest.mark.parametrize("formula", FORMULAS[:2])
def test_log_density_and_gradient_match_the_dense_strategy(grouped, formula, mode):
    """Whole model (priors, Jacobians, Op) against strategy="dense", with the same free variables."""
    ours = bl.Model(formula, grouped).build()
    ref = bl.Model(formula, grouped, strategy="dense").build()
    for seed in (1, 2):
        point = ours.initial_point(random_seed=seed)
        assert np.isclose(ours.compile_logp(mode=mode)(point), ref.compile_logp()(point), rtol=RTOL)
        assert np.allclose(ours.compile_dlogp(mode=mode)(point), ref.compile_dlogp()(point), rtol=1e-7, atol=1e-9)


def test_op_in_jax():
    pytest.importorskip("jax")
    from bayeslmm.backend.crossed_likelihood import register_jax

    register_jax()
    data, _, b0 = _kernel_problem(2, seed=4)
    *arrays, n = data
    sd, b = pt.dvector("sd"), pt.dvector("b")
    out = CrossedGaussian(n)(sd, b, *arrays)[0]
    fn = pytensor.function([sd, b], [out, *pytensor.grad(out, [sd, b])], mode="JAX")
    sd0 = np.array([0.7, 1.3, 0.4, 0.9])
    got, ref = fn(sd0, b0), crossed_value_and_grad(sd0, b0, *data)
    assert np.isclose(got[0], ref[0], rtol=1e-10)
    assert np.allclose(got[1], ref[1], rtol=1e-8) and np.allclose(got[2], ref[2], rtol=1e-8)


def test_op_rejects_bad_dimensions_and_gradients_of_its_derivative_outputs():
    data, _, b0 = _kernel_problem(2)
    *arrays, n = data
    op = CrossedGaussian(n)
    with pytest.raises(BayesLMMError, match="expects inputs of dimensions"):
        op(pt.dmatrix(), b0, *arrays)
    _, dsd, _ = op(pt.dvector("sd"), b0, *arrays)
    with pytest.raises(BayesLMMError, match="only the value output"):
        pytensor.grad(pt.sum(dsd), dsd.owner.inputs[0])


def test_effect_draws_follow_the_exact_conditional(grouped):
    """At fixed parameters, drawn effects of both terms have the joint mean and covariance of
    p(u | y, theta); the stored pointwise log-likelihood is the one given the drawn effects."""
    import arviz as az

    model = bl.Model("y ~ x + (1 | g) + (1 | h)", grouped)
    pm_model, spec = model.build(), model.spec
    values = random_values(pm_model, np.random.default_rng(4))
    S = 20000
    sd = deterministic(pm_model, "sd", values)
    idata = az.from_dict(posterior={"b": np.broadcast_to(values["b"], (1, S, len(values["b"]))).copy(),
                                    "sd": np.broadcast_to(sd, (1, S, len(sd))).copy()})
    complete(spec, idata, seed=5)
    terms = ordered_terms(spec)
    draws = np.concatenate([azb.draws(idata, f"u_{t.key}")[:, :, 0] for t in terms], axis=1)  # (S, q)
    M = np.column_stack([(t.index[:, None] == np.arange(t.n_levels)).astype(float) for t in terms])
    prior = np.concatenate([np.full(t.n_levels, sd[spec.components.index(t.components[0])] ** 2) for t in terms])
    V = M @ np.diag(prior) @ M.T + sd[-1] ** 2 * np.eye(spec.n)
    r = spec.y - spec.X @ values["b"]
    mean = prior * (M.T @ np.linalg.solve(V, r))
    cov = np.diag(prior) - (prior[:, None] * M.T) @ np.linalg.solve(V, M * prior[None, :])
    se = np.sqrt(np.diag(cov))
    # Monte Carlo: means within 5 standard errors of 20,000 draws, sds within 5%, and the
    # cross-covariance of the two terms within 0.05 in correlation
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 5 * se / np.sqrt(S))
    np.testing.assert_allclose(draws.std(axis=0), se, rtol=0.05)
    corr = cov / np.outer(se, se)
    np.testing.assert_allclose(np.corrcoef(draws.T), corr, atol=0.05)
    fitted = spec.X @ values["b"] + M @ draws[7]
    np.testing.assert_allclose(idata.log_likelihood["y"].values[0, 7], norm(fitted, sd[-1]).logpdf(spec.y),
                               rtol=1e-10)


def test_when_the_crossed_strategy_is_chosen(grouped, monkeypatch):
    choose = lambda f, **kw: bl.Model(f, grouped, **kw).strategy.name  # noqa: E731
    assert choose("y ~ x + (1 | h) + (1 | g)") == "crossed"
    assert ordered_terms(bl.Model("y ~ x + (1 | h) + (1 | g)", grouped).spec)[0].group == "g"  # most levels
    assert choose("y ~ x + (1 | g)") == "collapsed"  # one term: level by level
    assert choose("y ~ x + (x | g) + (1 | h)") == "collapsed"  # a slope
    counts = grouped.assign(y=np.round(np.abs(grouped.y)))
    assert bl.Model("y ~ x + (1 | g) + (1 | h)", counts, family="poisson").strategy.name == "latent"
    monkeypatch.setattr(crossed, "MAX_SCHUR", 3)  # the 4 blocks no longer fit
    assert choose("y ~ x + (1 | g) + (1 | h)") == "collapsed"
    with pytest.raises(bl.BayesLMMError, match="strategy .crossed. does not apply to this model"):
        bl.Model("y ~ x + (1 | g) + (1 | h)", grouped, strategy="crossed").build()
