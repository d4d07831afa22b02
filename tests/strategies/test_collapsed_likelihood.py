"""The compiled collapsed log-likelihood (``CollapsedGaussian`` and its per-level kernel) and the ALR Dirichlet: values against
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
from bayeslmm.backend.collapsed_likelihood import (
    CollapsedGaussian,
    collapsed_from_residuals,
    collapsed_from_statistics,
    level_marginal_value_and_grad,
)
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


def _collapsed_problem(q: int, p: int = 2, J: int = 6, seed: int = 5):
    """Rows in J levels with random-slope design Z (n, q), fixed design X (n, p), and parameters."""
    rng = np.random.default_rng(seed)
    index = np.repeat(np.arange(J), rng.integers(1, 6, J))
    n = len(index)
    Z = np.column_stack([np.ones(n)] + [rng.standard_normal(n) for _ in range(q - 1)])
    X = np.column_stack([np.ones(n)] + [rng.standard_normal(n) for _ in range(p - 1)])[:, :p]
    y = rng.standard_normal(n) * 2.0
    sd = rng.uniform(0.3, 1.5, q + 2)  # one sd before the term's, the term's q, the residual's
    M = rng.standard_normal((q, q))
    K = M @ M.T + q * np.eye(q)
    L = np.linalg.cholesky(K / np.sqrt(np.outer(np.diag(K), np.diag(K))))  # a correlation matrix's factor
    scale_index = np.full(p, -1)
    scale_index[-1] = 0  # the last coefficient is a standardised effect scaled by sd[0]
    return dict(index=index, Z=Z, X=X, y=y, sd=sd, L=L, b=rng.standard_normal(p), start=1, J=J,
                scale_index=scale_index)


def _effective_b(x, sd, scale_index):
    return x * np.where(scale_index >= 0, sd[np.maximum(scale_index, 0)], 1.0)


def _dense_collapsed(sd, L, x, pr, scaled=True):
    """log N(y - Xb; 0, sigma² I + Z_blocks F F' Z_blocks') by scipy, b = x scaled by ``scale_index``."""
    b = _effective_b(x, sd, pr["scale_index"]) if scaled else x
    from scipy.stats import multivariate_normal

    q = L.shape[0]
    F = sd[pr["start"]:pr["start"] + q, None] * L
    n = len(pr["y"])
    V = sd[-1] ** 2 * np.eye(n)
    same = pr["index"][:, None] == pr["index"][None, :]
    V = V + same * (pr["Z"] @ F @ F.T @ pr["Z"].T)
    return multivariate_normal(np.zeros(n), V).logpdf(pr["y"] - pr["X"] @ b)


def _statistics_args(pr, scaled=True):
    J, q = pr["J"], pr["Z"].shape[1]
    one_hot = np.eye(J)[pr["index"]]
    gram = np.einsum("ij,ia,ib->jab", one_hot, pr["Z"], pr["Z"])
    zy = np.einsum("ij,ia,i->ja", one_hot, pr["Z"], pr["y"])
    zx = np.einsum("ij,ia,ik->jak", one_hot, pr["Z"], pr["X"])
    scale_index = pr["scale_index"] if scaled else np.full(len(pr["b"]), -1)
    return scale_index, gram, zy, zx, float(pr["y"] @ pr["y"]), pr["X"].T @ pr["y"], pr["X"].T @ pr["X"]


@pytest.mark.parametrize("q", [1, 2, 3])
def test_statistics_and_residual_kernels_against_the_dense_density(q):
    """Both kernels give the dense value; their gradients in (sd, L, b) match central differences."""
    pr = _collapsed_problem(q)
    scale_index, gram, *stats = _statistics_args(pr)
    sd, L, b = pr["sd"], pr["L"], pr["b"]
    n = len(pr["y"])
    value, dsd, dL, db = collapsed_from_statistics(sd, L, b, scale_index, gram, *stats, pr["start"], n)
    assert np.isclose(value, _dense_collapsed(sd, L, b, pr), rtol=1e-10)
    assert np.allclose(dsd, _central_difference(lambda v: _dense_collapsed(v, L, b, pr), sd), rtol=1e-5, atol=1e-7)
    assert np.allclose(dL, _central_difference(lambda v: _dense_collapsed(sd, v, b, pr), L), rtol=1e-5, atol=1e-7)
    assert np.allclose(db, _central_difference(lambda v: _dense_collapsed(sd, L, v, pr), b), rtol=1e-5, atol=1e-7)
    # unscaled coefficients: the statistics and the residual kernels agree, value and gradient
    unscaled, gram, *stats = _statistics_args(pr, scaled=False)
    value, dsd, dL, db = collapsed_from_statistics(sd, L, b, unscaled, gram, *stats, pr["start"], n)
    assert np.isclose(value, _dense_collapsed(sd, L, b, pr, scaled=False), rtol=1e-10)
    r = pr["y"] - pr["X"] @ b
    value_r, dsd_r, dL_r, dr = collapsed_from_residuals(sd, L, r, gram, pr["index"], pr["Z"], pr["start"])
    assert np.isclose(value_r, value, rtol=1e-10)
    assert np.allclose(dsd_r, dsd, rtol=1e-10) and np.allclose(dL_r, dL, rtol=1e-10)
    assert np.allclose(-dr @ pr["X"], db, rtol=1e-8)  # r = y - Xb, so d/db = -X'(d/dr)


@pytest.mark.parametrize("mode", MODES)
def test_op_gradient_through_pytensor(mode):
    """d/d(sd, L, b) of a scalar that uses the Op, compiled in each backend, against differences."""
    pr = _collapsed_problem(2, seed=4)
    stats = _statistics_args(pr)
    sd, L, b = pt.dvector("sd"), pt.dmatrix("L"), pt.dvector("b")
    op = CollapsedGaussian("statistics", pr["start"], len(pr["y"]))
    out = 1.5 * op(sd, L, b, *stats)[0] + pt.sum(sd**2)
    fn = pytensor.function([sd, L, b], [out, *pytensor.grad(out, [sd, L, b])], mode=mode)
    value, gsd, gL, gb = fn(pr["sd"], pr["L"], pr["b"])

    def total(sd_, L_, b_):
        return 1.5 * _dense_collapsed(sd_, L_, b_, pr) + np.sum(sd_**2)

    x0 = (pr["sd"], pr["L"], pr["b"])
    assert np.isclose(value, total(*x0), rtol=1e-10)
    assert np.allclose(gsd, _central_difference(lambda v: total(v, x0[1], x0[2]), x0[0]), rtol=1e-5)
    assert np.allclose(gL, _central_difference(lambda v: total(x0[0], v, x0[2]), x0[1]), rtol=1e-5, atol=1e-7)
    assert np.allclose(gb, _central_difference(lambda v: total(x0[0], x0[1], v), x0[2]), rtol=1e-5)


@pytest.mark.parametrize("mode", MODES)
def test_op_blocks_and_strided_inputs_match_the_single_vector(mode):
    """Coefficients given as three blocks (one a strided view, then as a strided (2, 1) matrix,
    read column by column) and L as a transposed view: the same value, and the same gradient
    cut into the same blocks, as one contiguous vector.

    Exercises the C entry point's strides (NUMBA) and the copy of the blocks end to end."""
    pr = _collapsed_problem(2, p=4, seed=5)
    stats = _statistics_args(pr)
    b0 = pr["b"]
    sd, Lt = pt.dvector("sd"), pt.dmatrix("Lt")
    whole = pt.dvector("whole")
    padded = pt.dvector("padded")  # holds b[1:3] at every other entry
    grid = pt.dmatrix("grid")  # holds b[1:3] in its first column
    first, last = whole[:1], whole[3:]

    def op(blocks, *x):
        return CollapsedGaussian("statistics", pr["start"], len(pr["y"]), blocks)(sd, Lt.T, *x, *stats)[0]

    one, vec, mat = op((1,), whole), op((1, 1, 1), first, padded[::2], last), op((1, 2, 1), first, grid[:, ::2], last)
    fn = pytensor.function([sd, Lt, whole, padded, grid],
                           [one, vec, mat, *pytensor.grad(one, [sd, whole]), *pytensor.grad(vec, [sd, whole, padded]),
                            *pytensor.grad(mat, [sd, whole, grid])], mode=mode)
    pad, cells = np.zeros(4), np.zeros((2, 2))
    pad[::2] = cells[:, 0] = b0[1:3]
    v1, v3, vm, gsd1, gw1, gsd3, gw3, gpad, gsdm, gwm, ggrid = fn(pr["sd"], np.ascontiguousarray(pr["L"].T), b0, pad,
                                                                  cells)
    assert np.isclose(v1, _dense_collapsed(pr["sd"], pr["L"], b0, pr), rtol=1e-10)
    assert np.isclose(v3, v1, rtol=1e-12) and np.isclose(vm, v1, rtol=1e-12)
    assert np.allclose(gsd3, gsd1, rtol=1e-12) and np.allclose(gsdm, gsd1, rtol=1e-12)
    for gw in (gw3, gwm):
        assert np.allclose(gw[[0, 3]], gw1[[0, 3]], rtol=1e-12) and np.all(gw[1:3] == 0)
    assert np.allclose(gpad[::2], gw1[1:3], rtol=1e-12) and np.all(gpad[1::2] == 0)
    assert np.allclose(ggrid[:, 0], gw1[1:3], rtol=1e-12) and np.all(ggrid[:, 1] == 0)


def test_op_rejects_bad_modes_dimensions_and_gradients_of_its_derivative_outputs():
    pr = _collapsed_problem(2)
    stats = _statistics_args(pr)
    with pytest.raises(BayesLMMError, match="mode must be one of"):
        CollapsedGaussian("dense", 0, 5)
    with pytest.raises(BayesLMMError, match=r"takes one vector block.*blocks=\(1, 1\)"):
        CollapsedGaussian("residuals", 0, 5, (1, 1))
    with pytest.raises(BayesLMMError, match=r"blocks of 1 or 2 dimensions.*blocks=\(3,\)"):
        CollapsedGaussian("statistics", 0, 5, (3,))
    op = CollapsedGaussian("statistics", pr["start"], len(pr["y"]))
    with pytest.raises(BayesLMMError, match="expects inputs of dimensions"):
        op(pt.dmatrix(), pr["L"], pr["b"], *stats)
    _, dsd, _, _ = op(pt.dvector("sd"), pr["L"], pr["b"], *stats)
    with pytest.raises(BayesLMMError, match="only the value output"):
        pytensor.grad(pt.sum(dsd), dsd.owner.inputs[0])


@pytest.mark.parametrize("op_mode", ["statistics", "residuals"])
def test_op_in_jax(op_mode):
    pytest.importorskip("jax")
    from bayeslmm.backend.collapsed_likelihood import register_jax

    register_jax()
    pr = _collapsed_problem(3, seed=2)
    scale_index, gram, *stats = _statistics_args(pr)
    sd, L, x = pt.dvector("sd"), pt.dmatrix("L"), pt.dvector("x")
    if op_mode == "statistics":
        data, x0 = (scale_index, gram, *stats), pr["b"]
        ref = collapsed_from_statistics(pr["sd"], pr["L"], x0, scale_index, gram, *stats, pr["start"], len(pr["y"]))
    else:
        data, x0 = (gram, pr["index"], pr["Z"]), pr["y"] - pr["X"] @ pr["b"]
        ref = collapsed_from_residuals(pr["sd"], pr["L"], x0, gram, pr["index"], pr["Z"], pr["start"])
    out = CollapsedGaussian(op_mode, pr["start"], len(pr["y"]))(sd, L, x, *data)[0]
    fn = pytensor.function([sd, L, x], [out, *pytensor.grad(out, [sd, L, x])], mode="JAX")
    got = fn(pr["sd"], pr["L"], x0)
    assert np.isclose(got[0], ref[0], rtol=1e-10)
    for a, b in zip(got[1:], ref[1:]):
        assert np.allclose(a, b, rtol=1e-8, atol=1e-10)


@pytest.fixture(scope="module")
def crossed():
    rng = np.random.default_rng(8)
    n = 48
    return pd.DataFrame({"y": rng.standard_normal(n) * 2 + 5, "x": rng.standard_normal(n),
                         "g": [f"g{k}" for k in rng.integers(0, 8, n)], "h": [f"h{k}" for k in rng.integers(0, 3, n)]})


@pytest.mark.parametrize("formula", ["y ~ x + (x | g)", "y ~ x + (x || g)", "y ~ x + (1 | g) + (1 | h)",
                                     "y ~ 0 + (1 | g)"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("work_per_row", [8, 0])  # other terms in the statistics (default) / from residuals
def test_model_gradient_matches_differences(crossed, formula, mode, work_per_row, monkeypatch):
    """The whole collapsed model's log density (priors, ALR Jacobian, Op) and its gradient in each backend."""
    from bayeslmm.backend import collapsed

    monkeypatch.setattr(collapsed, "AUGMENTED_WORK_PER_ROW", work_per_row)
    model = bl.Model(formula, crossed, strategy="collapsed")  # (1 | g) + (1 | h) would default to "crossed"
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


@pytest.mark.parametrize("mode", MODES + ["JAX"])
def test_alr_inverse_and_its_gradient_in_each_backend(mode):
    """The inverse ALR (through ``AppendZero``) and the gradient of a weighted sum of it, compiled
    in each backend, against numpy's softmax of (y, 0) and its analytic Jacobian; a batched
    value takes the concatenation path and gives the same rows."""
    if mode == "JAX":
        pytest.importorskip("jax")
        from bayeslmm.backend import simplex

        simplex.register_jax()
    y = pt.dvector("y")
    w = np.array([0.5, -1.0, 2.0, 0.25])
    pi = AdditiveLogRatio().backward(y)
    fn = pytensor.function([y], [pi, pytensor.grad(pt.sum(w * pi), y)], mode=mode)
    y0 = np.array([0.3, -1.2, 0.8])
    expected = np.exp(np.append(y0, 0.0)) / np.exp(np.append(y0, 0.0)).sum()
    got, grad = fn(y0)
    assert np.allclose(got, expected, rtol=1e-12)
    jac = np.diag(expected) - np.outer(expected, expected)  # d pi / d (y, 0)
    assert np.allclose(grad, (w @ jac)[:-1], rtol=1e-10)
    batch = AdditiveLogRatio().backward(pt.as_tensor(np.stack([y0, -y0]))).eval()
    assert np.allclose(batch[0], expected, rtol=1e-12) and np.isclose(batch[1].sum(), 1.0)


def test_append_zero_rejects_a_matrix():
    from bayeslmm.backend.simplex import append_zero

    with pytest.raises(BayesLMMError, match="takes a vector; got 2 dimensions"):
        append_zero(pt.dmatrix())
