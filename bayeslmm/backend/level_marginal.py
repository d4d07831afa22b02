"""The per-level marginal of the collapsed strategy as one PyTensor Op with its own gradient.

Written symbolically, the per-level Woodbury algebra of :mod:`.collapsed` and its reverse-mode
gradient come to about sixty graph nodes, and nutpie's numba backend compiles each into the
model's log-density function: on the lme4 reference data that compile took longer than
sampling. Here the value and the gradient are one loop over the levels, compiled once by numba
and cached on disk, so a model's compile only links it.
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

__all__ = ["LevelMarginal", "level_marginal", "level_marginal_value_and_grad", "register_jax"]


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


class LevelMarginal(Op):
    r"""``value, dF, dsigma2, ds = LevelMarginal()(F, sigma2, s, gram)``.

    ``value`` is :math:`\sum_j (-\tfrac12\log|A_j| + t_j'A_j^{-1}t_j/(2\sigma^2))` (see
    :func:`level_marginal_value_and_grad`); the other outputs are its partial derivatives, which
    :meth:`grad` returns, so a gradient evaluation reuses the value's loop. ``gram`` is data: no
    gradient flows to it, and only ``value`` may be differentiated.
    """

    __props__ = ()

    def make_node(self, F, sigma2, s, gram) -> Apply:
        F = pt.as_tensor_variable(F, dtype="float64")
        sigma2 = pt.as_tensor_variable(sigma2, dtype="float64")
        s = pt.as_tensor_variable(s, dtype="float64")
        gram = pt.as_tensor_variable(gram, dtype="float64")
        if (F.ndim, sigma2.ndim, s.ndim, gram.ndim) != (2, 0, 2, 3):
            raise BayesLMMError(
                "LevelMarginal expects F (q, q), sigma2 (), s (J, q) and gram (J, q, q); got dimensions "
                f"{(F.ndim, sigma2.ndim, s.ndim, gram.ndim)}"
            )
        outputs = [pt.dscalar(), pt.dmatrix(), pt.dscalar(), pt.dmatrix()]
        return Apply(self, [F, sigma2, s, gram], outputs)

    def perform(self, node, inputs, output_storage) -> None:
        F, sigma2, s, gram = inputs
        value, dF, dsigma2, ds = level_marginal_value_and_grad(
            np.ascontiguousarray(F), float(sigma2), np.ascontiguousarray(s), np.ascontiguousarray(gram))
        output_storage[0][0] = np.asarray(value)
        output_storage[1][0] = dF
        output_storage[2][0] = np.asarray(dsigma2)
        output_storage[3][0] = ds

    def infer_shape(self, fgraph, node, shapes):
        F_shape, _, s_shape, _ = shapes
        return [(), F_shape, (), s_shape]

    def connection_pattern(self, node):
        return [[True] * 4, [True] * 4, [True] * 4, [False] * 4]

    def grad(self, inputs, output_grads):
        if any(not isinstance(g.type, DisconnectedType) for g in output_grads[1:]):
            raise BayesLMMError("only the value output of LevelMarginal can be differentiated")
        g = output_grads[0]
        _, dF, dsigma2, ds = self(*inputs)
        return [g * dF, g * dsigma2, g * ds, DisconnectedType()()]


def level_marginal(F, sigma2, s, gram) -> pt.TensorVariable:
    """The value output of :class:`LevelMarginal` (its gradient comes with it)."""
    return LevelMarginal()(F, sigma2, s, gram)[0]


@register_funcify_default_op_cache_key(LevelMarginal)
def _numba_level_marginal(op, node=None, **kwargs):
    kernel = level_marginal_value_and_grad

    @numba.njit
    def level_marginal_op(F, sigma2, s, gram):
        value, dF, dsigma2, ds = kernel(np.ascontiguousarray(F), sigma2[()], np.ascontiguousarray(s),
                                        np.ascontiguousarray(gram))
        return np.asarray(value), dF, np.asarray(dsigma2), ds

    return level_marginal_op


def _jax_value(F, sigma2, s, gram):
    import jax.numpy as jnp

    q = F.shape[0]
    A = jnp.einsum("ca,jcd,db->jab", F, gram, F) + sigma2 * jnp.eye(q)
    t = s @ F
    L = jnp.linalg.cholesky(A)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(L, axis1=-2, axis2=-1)))
    w = jnp.linalg.solve(A, t[..., None])[..., 0]
    return -0.5 * logdet + 0.5 * jnp.sum(t * w) / sigma2


_JAX_REGISTERED = False


def register_jax() -> None:
    """Teach PyTensor's JAX backend :class:`LevelMarginal` (value and gradient by ``jax.value_and_grad``).

    Called by the numpyro sampler path only, so that importing bayeslmm does not import JAX.
    """
    global _JAX_REGISTERED
    if _JAX_REGISTERED:
        return
    import jax
    from pytensor.link.jax.dispatch import jax_funcify

    value_and_grad = jax.value_and_grad(_jax_value, argnums=(0, 1, 2))

    @jax_funcify.register(LevelMarginal)
    def _jax_level_marginal(op, **kwargs):
        def level_marginal_op(F, sigma2, s, gram):
            value, (dF, dsigma2, ds) = value_and_grad(F, sigma2, s, gram)
            return value, dF, dsigma2, ds

        return level_marginal_op

    _JAX_REGISTERED = True
