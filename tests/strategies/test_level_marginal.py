"""The compiled per-level marginal (``LevelMarginal``) and the ALR Dirichlet: values against
dense numpy algebra, gradients against central finite differences, in PyTensor's default
(C / Python) mode, in the numba mode nutpie compiles with and, when JAX is installed, in JAX.

Tolerances: values rtol 1e-10 (the same algebra, rounding only); gradients rtol 1e-5 against
central differences with step 1e-6 (truncation error O(h²) ~ 1e-12 relative, rounding
~ 1e-16 / 1e-6 = 1e-10 relative, so 1e-5 leaves wide room without hiding a wrong term, whose
error would be O(1)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest

import bayeslmm as bl
from bayeslmm.backend.level_marginal import LevelMarginal, level_marginal, level_marginal_value_and_grad
from bayeslmm.backend.simplex import AdditiveLogRatio, dirichlet_proportions
from bayeslmm.errors import BayesLMMError

MODES = ["FAST_RUN", "NUMBA"]


def _problem(q: int, J: int = 7, seed: int = 0):
    rng = np.random.default_rng(seed)
    F = np.tril(rng.standard_normal((q, q))) + 2.0 * np.eye(q)
    Z = [rng.standard_normal((int(rng.integers(1, 6)), q)) for _ in range(J)]
    gram = np.stack([z.T @ z for z in Z])
    s = rng.standard_normal((J, q)) * 3.0
    return F, 0.7, s, gram


def _dense_value(F, sigma2, s, gram):
    """Sum over levels of -0.5 log|A_j| + t_j'A_j^{-1}t_j / (2 sigma²), by numpy.linalg."""
    total = 0.0
    for G, sj in zip(gram, s):
        A = sigma2 * np.eye(len(F)) + F.T @ G @ F
        t = F.T @ sj
        total += -0.5 * np.linalg.slogdet(A)[1] + 0.5 * t @ np.linalg.solve(A, t) / sigma2
    return total


def _central_difference(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    grad = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        grad[idx] = (f(up) - f(down)) / (2 * h)
    return grad


@pytest.mark.parametrize("q", [1, 2, 3, 4])
def test_kernel_value_and_gradient(q):
    F, sigma2, s, gram = _problem(q)
    value, dF, dsigma2, ds = level_marginal_value_and_grad(F, sigma2, s, gram)
    assert np.isclose(value, _dense_value(F, sigma2, s, gram), rtol=1e-10)
    assert np.allclose(dF, _central_difference(lambda v: _dense_value(v, sigma2, s, gram), F), rtol=1e-5, atol=1e-7)
    assert np.isclose(dsigma2, _central_difference(lambda v: _dense_value(F, float(v), s, gram), sigma2), rtol=1e-5)
    assert np.allclose(ds, _central_difference(lambda v: _dense_value(F, sigma2, v, gram), s), rtol=1e-5, atol=1e-7)


def test_kernel_handles_a_zero_variance_and_rejects_a_negative_residual_variance():
    F, sigma2, s, gram = _problem(2)
    F[1] = 0.0  # the second coefficient's variance at its boundary
    value, *_ = level_marginal_value_and_grad(F, sigma2, s, gram)
    assert np.isclose(value, _dense_value(F, sigma2, s, gram), rtol=1e-10)
    assert level_marginal_value_and_grad(F, -1.0, s, gram)[0] == -np.inf


@pytest.mark.parametrize("mode", MODES)
def test_op_gradient_through_pytensor(mode):
    """d/d(F, sigma², s) of a scalar that uses the Op, compiled in each backend, against differences."""
    F0, sigma20, s0, gram = _problem(2, seed=4)
    F, sigma2, s = pt.dmatrix("F"), pt.dscalar("sigma2"), pt.dmatrix("s")
    out = 1.5 * level_marginal(F, sigma2, s, gram) + pt.sum(F**2)
    fn = pytensor.function([F, sigma2, s], [out, *pytensor.grad(out, [F, sigma2, s])], mode=mode)
    value, gF, gsigma2, gs = fn(F0, sigma20, s0)

    def total(F_, sigma2_, s_):
        return 1.5 * _dense_value(F_, sigma2_, s_, gram) + np.sum(F_**2)

    assert np.isclose(value, total(F0, sigma20, s0), rtol=1e-10)
    assert np.allclose(gF, _central_difference(lambda v: total(v, sigma20, s0), F0), rtol=1e-5)
    assert np.isclose(gsigma2, _central_difference(lambda v: total(F0, float(v), s0), sigma20), rtol=1e-5)
    assert np.allclose(gs, _central_difference(lambda v: total(F0, sigma20, v), s0), rtol=1e-5, atol=1e-7)


def test_op_rejects_wrong_dimensions_and_gradients_of_its_derivative_outputs():
    F0, sigma20, s0, gram = _problem(2)
    with pytest.raises(BayesLMMError, match="expects F"):
        LevelMarginal()(pt.dvector(), sigma20, s0, gram)
    _, dF, _, _ = LevelMarginal()(pt.dmatrix("F"), sigma20, s0, gram)
    with pytest.raises(BayesLMMError, match="only the value output"):
        pytensor.grad(pt.sum(dF), dF.owner.inputs[0])


def test_op_in_jax():
    pytest.importorskip("jax")
    from bayeslmm.backend.level_marginal import register_jax

    register_jax()
    F0, sigma20, s0, gram = _problem(3, seed=2)
    F, sigma2, s = pt.dmatrix("F"), pt.dscalar("sigma2"), pt.dmatrix("s")
    out = level_marginal(F, sigma2, s, gram)
    fn = pytensor.function([F, sigma2, s], [out, *pytensor.grad(out, [F, sigma2, s])], mode="JAX")
    value, gF, gsigma2, gs = fn(F0, sigma20, s0)
    ref = level_marginal_value_and_grad(F0, sigma20, s0, gram)
    assert np.isclose(value, ref[0], rtol=1e-10)
    assert np.allclose(gF, ref[1], rtol=1e-8)
    assert np.isclose(gsigma2, ref[2], rtol=1e-8)
    assert np.allclose(gs, ref[3], rtol=1e-8)


@pytest.fixture(scope="module")
def crossed():
    rng = np.random.default_rng(8)
    n = 48
    return pd.DataFrame({"y": rng.standard_normal(n) * 2 + 5, "x": rng.standard_normal(n),
                         "g": [f"g{k}" for k in rng.integers(0, 8, n)], "h": [f"h{k}" for k in rng.integers(0, 3, n)]})


@pytest.mark.parametrize("formula", ["y ~ x + (x | g)", "y ~ x + (x || g)", "y ~ x + (1 | g) + (1 | h)"])
@pytest.mark.parametrize("mode", MODES)
def test_model_gradient_matches_differences(crossed, formula, mode):
    """The whole collapsed model's log density (priors, ALR Jacobian, Op) and its gradient in each backend."""
    model = bl.Model(formula, crossed)
    assert model.strategy.name == "collapsed"
    pm_model = model.build()
    logp = pm_model.logp()
    inputs = pm_model.value_vars
    fn = pytensor.function(inputs, [logp, *pytensor.grad(logp, inputs)], mode=mode)
    rng = np.random.default_rng(1)
    start = pm_model.initial_point()
    point = [rng.normal(0.0, 0.5, size=np.shape(start[v.name])) for v in inputs]
    shapes = [np.shape(p) for p in point]
    flat = np.concatenate([np.ravel(p) for p in point])

    def unflatten(x):
        out, k = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            out.append(x[k:k + size].reshape(shape))
            k += size
        return out

    value, *grads = fn(*point)
    numeric = _central_difference(lambda x: float(fn(*unflatten(x))[0]), flat)
    assert np.isfinite(value)
    assert np.allclose(np.concatenate([np.ravel(g) for g in grads]), numeric, rtol=1e-5, atol=1e-6)


def test_alr_dirichlet_density_and_draws():
    """Unconstrained log density = Dirichlet density + ALR Jacobian; prior draws lie on the simplex."""
    from scipy.stats import dirichlet

    a = np.array([0.5, 2.0, 1.5, 1.0])
    with pm.Model() as model:
        dirichlet_proportions("p", a)
    y = np.array([0.3, -1.2, 0.8])
    logp = model.compile_logp()({"p_alr__": y})
    p = AdditiveLogRatio().backward(pt.as_tensor(y)).eval()
    jacobian = np.sum(np.log(p))  # det(diag(p) - pp') over the first K-1 = prod of all K proportions
    assert np.isclose(p.sum(), 1.0) and np.allclose(np.log(p[:-1] / p[-1]), y)
    assert np.isclose(logp, dirichlet.logpdf(p, a) + jacobian, rtol=1e-10)
    draws = pm.draw(model["p"], draws=2000, random_seed=3)
    assert np.allclose(draws.sum(axis=1), 1.0) and np.allclose(draws.mean(axis=0), a / a.sum(), atol=0.02)
