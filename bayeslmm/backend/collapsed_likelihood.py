"""The collapsed strategy's log-likelihood as one PyTensor Op with its own gradient.

Written symbolically, the per-level Woodbury algebra of :mod:`.collapsed`, the sufficient
statistics and their reverse-mode gradient come to about sixty graph nodes, and nutpie's numba
backend compiles each into the model's log-density function: on the lme4 reference data that
compile took longer than sampling. Here the value and the gradient with respect to the sds,
the correlation factor and the fixed effects (or the residuals) are one loop over the levels,
compiled once by numba and cached on disk.
"""

from __future__ import annotations

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

from ..errors import BayesLMMError

__all__ = [
    "CollapsedGaussian",
    "collapsed_from_statistics",
    "collapsed_from_residuals",
    "level_marginal_value_and_grad",
    "register_jax",
]

LOG_2PI = float(np.log(2.0 * np.pi))


@numba.njit(cache=True)
def _cholesky_in_place(A: np.ndarray, L: np.ndarray) -> float:
    """Lower Cholesky factor of the small SPD matrix ``A`` into ``L``; returns log|A| (-inf if not SPD)."""
    q = A.shape[0]
    logdet = 0.0
    for a in range(q):
        for b in range(a + 1):
            acc = A[a, b]
            for c in range(b):
                acc -= L[a, c] * L[b, c]
            if a == b:
                if not acc > 0.0:
                    return -np.inf
                L[a, a] = np.sqrt(acc)
                logdet += 2.0 * np.log(L[a, a])
            else:
                L[a, b] = acc / L[b, b]
    return logdet


@numba.njit(cache=True)
def _inverse_from_cholesky(L: np.ndarray, Ainv: np.ndarray, Linv: np.ndarray) -> None:
    """:math:`A^{-1} = L^{-T}L^{-1}` for the lower factor ``L``, written into ``Ainv``."""
    q = L.shape[0]
    for b in range(q):
        for a in range(q):
            if a < b:
                Linv[a, b] = 0.0
                continue
            acc = 1.0 if a == b else 0.0
            for c in range(b, a):
                acc -= L[a, c] * Linv[c, b]
            Linv[a, b] = acc / L[a, a]
    for a in range(q):
        for b in range(q):
            acc = 0.0
            for c in range(max(a, b), q):
                acc += Linv[c, a] * Linv[c, b]
            Ainv[a, b] = acc


@numba.njit(cache=True)
def level_marginal_value_and_grad(F, sigma2, s, gram):
    r"""Value and gradient of :math:`\ell = \sum_j \big(-\tfrac12\log|A_j| + \tfrac{1}{2\sigma^2} t_j'A_j^{-1}t_j\big)`.

    Parameters
    ----------
    F : (q, q) array
        Factor of the term's covariance, :math:`\Sigma = FF'`.
    sigma2 : float
        Residual variance.
    s : (J, q) array
        :math:`s_j = Z_j'r_j` per level.
    gram : (J, q, q) array
        :math:`G_j = Z_j'Z_j` per level.

    Returns
    -------
    value, dF (q, q), dsigma2, ds (J, q)

    Notes
    -----
    With :math:`A_j = \sigma^2 I + F'G_jF`, :math:`t_j = F's_j` and :math:`w_j = A_j^{-1}t_j`:
    :math:`\partial\ell/\partial t_j = w_j/\sigma^2`, so :math:`\partial\ell/\partial s_j = Fw_j/\sigma^2`;
    :math:`\partial\ell/\partial A_j = M_j = -\tfrac12(A_j^{-1} + w_jw_j'/\sigma^2)`, so
    :math:`\partial\ell/\partial F = \sum_j (2G_jFM_j + s_jw_j'/\sigma^2)` and
    :math:`\partial\ell/\partial\sigma^2 = \sum_j (\operatorname{tr}M_j - t_j'w_j/(2\sigma^4))`.
    Each level costs :math:`O(q^3)`. A non-positive-definite :math:`A_j` (only for
    :math:`\sigma^2 \le 0`) gives :math:`-\infty`.
    """
    J, q = s.shape
    value = 0.0
    dsigma2 = 0.0
    dF = np.zeros((q, q))
    ds = np.empty((J, q))
    GF = np.empty((q, q))
    A = np.empty((q, q))
    L = np.zeros((q, q))
    Linv = np.zeros((q, q))
    Ainv = np.empty((q, q))
    t = np.empty(q)
    w = np.empty(q)
    for j in range(J):
        for a in range(q):
            for b in range(q):
                acc = 0.0
                for c in range(q):
                    acc += gram[j, a, c] * F[c, b]
                GF[a, b] = acc
        for a in range(q):
            acc = 0.0
            for c in range(q):
                acc += F[c, a] * s[j, c]
            t[a] = acc
            for b in range(q):
                acc = sigma2 if a == b else 0.0
                for c in range(q):
                    acc += F[c, a] * GF[c, b]
                A[a, b] = acc
        logdet = _cholesky_in_place(A, L)
        if logdet == -np.inf:
            return -np.inf, dF, 0.0, ds
        _inverse_from_cholesky(L, Ainv, Linv)
        tw = 0.0
        ww = 0.0
        for a in range(q):
            acc = 0.0
            for b in range(q):
                acc += Ainv[a, b] * t[b]
            w[a] = acc
        for a in range(q):
            tw += t[a] * w[a]
            ww += w[a] * w[a]
        value += -0.5 * logdet + 0.5 * tw / sigma2
        trace_m = 0.0
        for a in range(q):
            trace_m += -0.5 * (Ainv[a, a] + w[a] * w[a] / sigma2)
            acc = 0.0
            for b in range(q):
                acc += F[a, b] * w[b]
            ds[j, a] = acc / sigma2
        dsigma2 += trace_m - 0.5 * tw / (sigma2 * sigma2)
        for a in range(q):
            for b in range(q):
                acc = 0.0
                for c in range(q):
                    acc += GF[a, c] * (-0.5 * (Ainv[c, b] + w[c] * w[b] / sigma2))
                dF[a, b] += 2.0 * acc + s[j, a] * w[b] / sigma2
    return value, dF, dsigma2, ds


@numba.njit(cache=True)
def _residual_part(core, dsigma2, rr, sigma2, n, Jq):
    """Add :math:`-\\tfrac12(n\\log 2\\pi + (n - Jq)\\log\\sigma^2 + r'r/\\sigma^2)`; returns value, d/dsigma2, d/drr."""
    value = core - 0.5 * (n * LOG_2PI + (n - Jq) * np.log(sigma2) + rr / sigma2)
    dsigma2 = dsigma2 - 0.5 * ((n - Jq) / sigma2 - rr / (sigma2 * sigma2))
    return value, dsigma2, -0.5 / sigma2


@numba.njit(cache=True)
def _factor(sd, L, start):
    q = L.shape[0]
    F = np.empty((q, q))
    for a in range(q):
        for b in range(q):
            F[a, b] = sd[start + a] * L[a, b]
    return F


@numba.njit(cache=True)
def _to_sd_and_correlation(dF, dsigma2, sd, L, start):
    """Chain rule from (F, sigma²) to (sd, L) for :math:`F = \\text{diag}(sd_{term}) L`, :math:`\\sigma^2 = sd_{-1}^2`."""
    q = L.shape[0]
    dsd = np.zeros(sd.shape[0])
    dL = np.empty((q, q))
    for a in range(q):
        for b in range(q):
            dsd[start + a] += dF[a, b] * L[a, b]
            dL[a, b] = dF[a, b] * sd[start + a]
    dsd[sd.shape[0] - 1] += 2.0 * sd[sd.shape[0] - 1] * dsigma2
    return dsd, dL


@numba.njit(cache=True)
def collapsed_from_statistics(sd, L, x, scale_index, gram, zy, zx, yy, Xty, XtX, start, n):
    r"""Collapsed log-likelihood and its gradient in ``(sd, L, x)`` from sufficient statistics.

    The coefficients are :math:`b_k = x_k\,sd_{i_k}` where ``scale_index`` :math:`i_k \ge 0`
    (standardised effects of another, latent, term) and :math:`b_k = x_k` where it is -1
    (fixed effects). :math:`s_j = Z_j'y_j - Z_j'X_jb` (``zy`` (J, q), ``zx`` (J, q, p)) and
    :math:`r'r = y'y - 2b'X'y + b'X'Xb`: no :math:`O(n)` work per evaluation. See
    :func:`level_marginal_value_and_grad` for the per-level part.
    """
    J, q = zy.shape
    p = x.shape[0]
    sigma2 = sd[sd.shape[0] - 1] ** 2
    F = _factor(sd, L, start)
    b = np.empty(p)
    for k in range(p):
        b[k] = x[k] * sd[scale_index[k]] if scale_index[k] >= 0 else x[k]
    s = np.empty((J, q))
    for j in range(J):
        for c in range(q):
            acc = zy[j, c]
            for k in range(p):
                acc -= zx[j, c, k] * b[k]
            s[j, c] = acc
    Xb = np.zeros(p)
    rr = yy
    for k in range(p):
        rr -= 2.0 * b[k] * Xty[k]
        for m in range(p):
            Xb[k] += XtX[k, m] * b[m]
        rr += b[k] * Xb[k]
    core, dF, dsigma2, ds = level_marginal_value_and_grad(F, sigma2, s, gram)
    value, dsigma2, drr = _residual_part(core, dsigma2, rr, sigma2, n, J * q)
    dsd, dL = _to_sd_and_correlation(dF, dsigma2, sd, L, start)
    dx = np.empty(p)
    for k in range(p):
        db = drr * (2.0 * Xb[k] - 2.0 * Xty[k])
        for j in range(J):
            for c in range(q):
                db -= zx[j, c, k] * ds[j, c]
        if scale_index[k] >= 0:
            dx[k] = db * sd[scale_index[k]]
            dsd[scale_index[k]] += db * x[k]
        else:
            dx[k] = db
    return value, dsd, dL, dx


@numba.njit(cache=True)
def collapsed_from_residuals(sd, L, r, gram, index, Z, start):
    r"""Collapsed log-likelihood and its gradient in ``(sd, L, r)`` from the residuals ``r`` (n,).

    :math:`s_j = \sum_{i \in j} Z_i r_i` and :math:`r'r` are summed in the loop;
    :math:`\partial/\partial r_i = -r_i/\sigma^2 + Z_i'(\partial/\partial s_{j(i)})`.
    """
    n = r.shape[0]
    J, q = gram.shape[0], gram.shape[1]
    sigma2 = sd[sd.shape[0] - 1] ** 2
    F = _factor(sd, L, start)
    s = np.zeros((J, q))
    rr = 0.0
    for i in range(n):
        rr += r[i] * r[i]
        for c in range(q):
            s[index[i], c] += Z[i, c] * r[i]
    core, dF, dsigma2, ds = level_marginal_value_and_grad(F, sigma2, s, gram)
    value, dsigma2, drr = _residual_part(core, dsigma2, rr, sigma2, n, J * q)
    dr = np.empty(n)
    for i in range(n):
        acc = 2.0 * drr * r[i]
        for c in range(q):
            acc += Z[i, c] * ds[index[i], c]
        dr[i] = acc
    dsd, dL = _to_sd_and_correlation(dF, dsigma2, sd, L, start)
    return value, dsd, dL, dr


MODES = ("statistics", "residuals")


class CollapsedGaussian(Op):
    r"""``value, dsd, dL, dx = CollapsedGaussian(mode, start, n_obs)(sd, L, x, *data)``.

    The collapsed strategy's log-likelihood of one iid term (:mod:`.collapsed`) and its partial
    derivatives, which :meth:`grad` returns, so a gradient evaluation reuses the value's loop.

    Parameters
    ----------
    mode
        ``"statistics"``: ``x`` holds the fixed effects and the other terms' standardised
        effects and ``data`` are ``scale_index, gram, zy, zx, yy, Xty, XtX``
        (:func:`collapsed_from_statistics`); ``"residuals"``:
        ``x`` is the residual vector and ``data`` are ``gram, index, Z``
        (:func:`collapsed_from_residuals`).
    start
        Position of the term's first sd in ``sd``; the residual sd is the last entry.
    n_obs
        Number of observations.

    Notes
    -----
    ``sd`` is the model's vector of sds, ``L`` the term's correlation Cholesky factor (the
    identity for an uncorrelated term): :math:`F = \text{diag}(sd_{start:start+q})L`,
    :math:`\sigma^2 = sd_{-1}^2`. No gradient flows to ``data``; only ``value`` may be
    differentiated.
    """

    __props__ = ("mode", "start", "n_obs")

    def __init__(self, mode: str, start: int, n_obs: int):
        if mode not in MODES:
            raise BayesLMMError(f"CollapsedGaussian mode must be one of {MODES}; got {mode!r}")
        self.mode, self.start, self.n_obs = mode, int(start), int(n_obs)

    def make_node(self, sd, L, x, *data) -> Apply:
        ndims = (1, 2, 1, 1, 3, 2, 3, 0, 1, 2) if self.mode == "statistics" else (1, 2, 1, 3, 1, 2)
        inputs = [pt.as_tensor_variable(v) for v in (sd, L, x, *data)]
        if tuple(v.ndim for v in inputs) != ndims:
            raise BayesLMMError(f"CollapsedGaussian({self.mode!r}) expects inputs of dimensions {ndims}; got "
                                f"{tuple(v.ndim for v in inputs)}")
        inputs = [v if v.dtype.startswith("int") else pt.cast(v, "float64") for v in inputs]
        outputs = [pt.dscalar(), pt.dvector(), pt.dmatrix(), pt.dvector()]
        return Apply(self, inputs, outputs)

    def _kernel_args(self, inputs):
        if self.mode == "statistics":
            sd, L, x, scale_index, gram, zy, zx, yy, Xty, XtX = inputs
            return collapsed_from_statistics, (sd, L, x, scale_index, gram, zy, zx, float(yy), Xty, XtX, self.start,
                                               self.n_obs)
        sd, L, r, gram, index, Z = inputs
        return collapsed_from_residuals, (sd, L, r, gram, index, Z, self.start)

    def perform(self, node, inputs, output_storage) -> None:
        kernel, args = self._kernel_args([np.ascontiguousarray(v) if np.ndim(v) else v for v in inputs])
        value, dsd, dL, dx = kernel(*args)
        output_storage[0][0] = np.asarray(value)
        output_storage[1][0] = dsd
        output_storage[2][0] = dL
        output_storage[3][0] = dx

    def infer_shape(self, fgraph, node, shapes):
        return [(), shapes[0], shapes[1], shapes[2]]

    def connection_pattern(self, node):
        return [[True] * 4] * 3 + [[False] * 4] * (len(node.inputs) - 3)

    def grad(self, inputs, output_grads):
        if any(not isinstance(g.type, DisconnectedType) for g in output_grads[1:]):
            raise BayesLMMError("only the value output of CollapsedGaussian can be differentiated")
        g = output_grads[0]
        _, dsd, dL, dx = self(*inputs)
        return [g * dsd, g * dL, g * dx] + [DisconnectedType()() for _ in inputs[3:]]


@register_funcify_default_op_cache_key(CollapsedGaussian)
def _numba_collapsed_gaussian(op, node=None, **kwargs):
    start, n = op.start, op.n_obs
    if op.mode == "statistics":
        statistics = collapsed_from_statistics

        @numba.njit
        def collapsed_statistics_op(sd, L, x, scale_index, gram, zy, zx, yy, Xty, XtX):
            value, dsd, dL, dx = statistics(sd, L, x, scale_index, gram, zy, zx, yy[()], Xty, XtX, start, n)
            return np.asarray(value), dsd, dL, dx

        return collapsed_statistics_op
    residuals = collapsed_from_residuals

    @numba.njit
    def collapsed_residuals_op(sd, L, r, gram, index, Z):
        value, dsd, dL, dr = residuals(sd, L, r, gram, index, Z, start)
        return np.asarray(value), dsd, dL, dr

    return collapsed_residuals_op


def _jax_per_level(F, sigma2, s, gram):
    import jax.numpy as jnp

    q = F.shape[0]
    A = jnp.einsum("ca,jcd,db->jab", F, gram, F) + sigma2 * jnp.eye(q)
    t = s @ F
    L = jnp.linalg.cholesky(A)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(L, axis1=-2, axis2=-1)))
    w = jnp.linalg.solve(A, t[..., None])[..., 0]
    return -0.5 * logdet + 0.5 * jnp.sum(t * w) / sigma2


def _jax_value(op, sd, L, x, *data):
    import jax.numpy as jnp

    q = L.shape[0]
    F = sd[op.start:op.start + q, None] * L
    sigma2 = sd[-1] ** 2
    if op.mode == "statistics":
        scale_index, gram, zy, zx, yy, Xty, XtX = data
        b = x * jnp.where(scale_index >= 0, sd[jnp.maximum(scale_index, 0)], 1.0)
        s = zy - jnp.einsum("jck,k->jc", zx, b)
        rr = yy - 2.0 * b @ Xty + b @ XtX @ b
    else:
        gram, index, Z = data
        s = jnp.zeros((gram.shape[0], q)).at[index].add(Z * x[:, None])
        rr = jnp.sum(x**2)
    n, Jq = op.n_obs, gram.shape[0] * q
    return _jax_per_level(F, sigma2, s, gram) - 0.5 * (n * LOG_2PI + (n - Jq) * jnp.log(sigma2) + rr / sigma2)


_JAX_REGISTERED = False


def register_jax() -> None:
    """Teach PyTensor's JAX backend :class:`CollapsedGaussian` (value and gradient by ``jax.value_and_grad``).

    Called by the numpyro sampler path only, so that importing bayeslmm does not import JAX.
    """
    global _JAX_REGISTERED
    if _JAX_REGISTERED:
        return
    import jax
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(CollapsedGaussian)
    def _jax_collapsed_gaussian(op, **kwargs):
        value_and_grad = jax.value_and_grad(lambda sd, L, x, *data: _jax_value(op, sd, L, x, *data),
                                            argnums=(0, 1, 2))

        def collapsed_gaussian_op(sd, L, x, *data):
            value, (dsd, dL, dx) = value_and_grad(sd, L, x, *data)
            return value, dsd, dL, dx

        return collapsed_gaussian_op

    _JAX_REGISTERED = True
