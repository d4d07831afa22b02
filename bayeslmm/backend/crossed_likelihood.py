"""Crossed random intercepts integrated out jointly: the kernel, its C entry point and the Op.

For :math:`y = Xb + Zu + e` with intercept-only terms, :math:`u = \\Lambda v`,
:math:`v \\sim N(0, I)`, :math:`\\Lambda = \\operatorname{diag}(\\lambda)` (each effect's
term sd) and :math:`e \\sim N(0, \\sigma^2 I)`, the marginal log-likelihood is

.. math::
    \\ell = -\\tfrac12\\big(n\\log 2\\pi + n\\log\\sigma^2 + \\log|M|
            + (r'r - w'M^{-1}w/\\sigma^2)/\\sigma^2\\big),

with :math:`r = y - Xb`, :math:`c = Z'r`, :math:`w = \\Lambda c` and
:math:`M = I + \\Lambda C\\Lambda/\\sigma^2`, :math:`C = Z'Z` (determinant lemma and Woodbury
written with :math:`\\Lambda`, so a variance at zero is harmless). Ordering the effects
with the term of most levels first, its block :math:`C_{11}` is diagonal (each row has one
level of it), so :math:`M` is reduced to the Schur complement :math:`S = M_{22} -
M_{21}M_{11}^{-1}M_{12}` of the other :math:`m` effects: :math:`O(J_1m^2 + m^3)` per
evaluation, from the sufficient statistics :math:`C`, :math:`Z'y`, :math:`Z'X`,
:math:`y'y`, :math:`X'y`, :math:`X'X` (no :math:`O(n)` work).
"""

from __future__ import annotations

import numba
import numpy as np
import pytensor.tensor as pt
from numba import types
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

from ..errors import BayesLMMError
from .collapsed_kernels import (
    F64P,
    I64P,
    INT,
    LOG_2PI,
    c_entry,
    cholesky_in_place,
    inverse_from_cholesky,
    strided_matrix,
    strided_vector,
)

__all__ = ["CrossedGaussian", "crossed_value_and_grad", "schur_pieces"]


@numba.njit(cache=True)
def schur_pieces(lam, sigma2, D1, B, C22):
    """:math:`M_{11}` (diagonal, J1), :math:`M_{12}` (J1, m), :math:`E = M_{11}^{-1}M_{12}` and the
    lower Cholesky factor of :math:`S` (m, m), with :math:`\\log|M|` (-inf if not positive definite)."""
    J1, m = D1.shape[0], C22.shape[0]
    M11 = np.empty(J1)
    M12 = np.empty((J1, m))
    E = np.empty((J1, m))
    logdet = 0.0
    for i in range(J1):
        M11[i] = 1.0 + lam[i] * lam[i] * D1[i] / sigma2
        logdet += np.log(M11[i])
        for k in range(m):
            M12[i, k] = lam[i] * lam[J1 + k] * B[i, k] / sigma2
            E[i, k] = M12[i, k] / M11[i]
    S = np.empty((m, m))
    for k in range(m):
        for l in range(m):
            acc = lam[J1 + k] * lam[J1 + l] * C22[k, l] / sigma2
            if k == l:
                acc += 1.0
            for i in range(J1):
                acc -= M12[i, k] * E[i, l]
            S[k, l] = acc
    LS = np.zeros((m, m))
    logdet += cholesky_in_place(S, LS)
    return M11, M12, E, LS, logdet


@numba.njit(cache=True)
def crossed_value_and_grad(sd, b, sd_index, D1, B, C22, zy, zx, yy, Xty, XtX, n):
    r"""Value of :math:`\ell` (module docstring) and its gradient in ``sd`` and ``b``.

    Parameters
    ----------
    sd : (K,) array
        The model's sds; the residual sd last.
    b : (p,) array
        Fixed effects.
    sd_index : (q,) int array
        Per effect (the first term's J1 levels, then the m others), the position of its sd.
    D1 : (J1,) array
        Rows per level of the first term (the diagonal of :math:`C_{11}`).
    B, C22 : (J1, m), (m, m) arrays
        :math:`C_{12}` and :math:`C_{22}`.
    zy, zx : (q,), (q, p) arrays
        :math:`Z'y`, :math:`Z'X`.
    yy, Xty, XtX : float, (p,), (p, p)
        :math:`y'y`, :math:`X'y`, :math:`X'X`.
    n : int
        Number of observations.

    Notes
    -----
    With :math:`\alpha = M^{-1}w` and :math:`Q = w'\alpha`:
    :math:`\partial\ell/\partial\lambda_i = -(C\Lambda M^{-1})_{ii}/\sigma^2
    + (c_i - (C\Lambda\alpha)_i/\sigma^2)\,\alpha_i/\sigma^4`;
    :math:`\partial\ell/\partial\sigma^2 = -n/(2\sigma^2) + (q - \operatorname{tr}M^{-1})/(2\sigma^2)
    + r'r/(2\sigma^4) - (Q + \alpha'\alpha)/(2\sigma^6)`;
    :math:`\partial\ell/\partial b = (X'y - X'Xb)/\sigma^2 - (Z'X)'\Lambda\alpha/\sigma^4`.
    The blocks of :math:`M^{-1}` needed come from :math:`S^{-1}`:
    :math:`(M^{-1})_{12} = -ES^{-1}`, :math:`\operatorname{diag}(M^{-1})_{11} = 1/M_{11} +
    \operatorname{diag}(ES^{-1}E')`.
    """
    J1, m, p = D1.shape[0], C22.shape[0], b.shape[0]
    q = J1 + m
    K = sd.shape[0]
    sigma2 = sd[K - 1] ** 2
    lam = np.empty(q)
    for i in range(q):
        lam[i] = sd[sd_index[i]]
    c = np.empty(q)
    for i in range(q):
        acc = zy[i]
        for k in range(p):
            acc -= zx[i, k] * b[k]
        c[i] = acc
    Xb = np.zeros(p)
    rr = yy
    for k in range(p):
        for l in range(p):
            Xb[k] += XtX[k, l] * b[l]
        rr += b[k] * Xb[k] - 2.0 * b[k] * Xty[k]
    dsd = np.zeros(K)
    db = np.zeros(p)
    M11, M12, E, LS, logdet = schur_pieces(lam, sigma2, D1, B, C22)
    if logdet == -np.inf:
        return -np.inf, dsd, db
    Sinv = np.empty((m, m))
    inverse_from_cholesky(LS, Sinv, np.zeros((m, m)))
    w = lam * c
    alpha = np.empty(q)
    rhs = np.empty(m)
    for k in range(m):
        acc = w[J1 + k]
        for i in range(J1):
            acc -= M12[i, k] * w[i] / M11[i]
        rhs[k] = acc
    for k in range(m):
        acc = 0.0
        for l in range(m):
            acc += Sinv[k, l] * rhs[l]
        alpha[J1 + k] = acc
    for i in range(J1):
        acc = w[i]
        for k in range(m):
            acc -= M12[i, k] * alpha[J1 + k]
        alpha[i] = acc / M11[i]
    Q = 0.0
    aa = 0.0
    for i in range(q):
        Q += w[i] * alpha[i]
        aa += alpha[i] * alpha[i]
    ES = np.zeros((J1, m))
    for i in range(J1):
        for l in range(m):
            acc = 0.0
            for k in range(m):
                acc += E[i, k] * Sinv[k, l]
            ES[i, l] = acc
    trace = 0.0
    diag_cm = np.empty(q)  # diag(C Lambda M^{-1})
    c_lam_alpha = np.empty(q)  # C Lambda alpha
    for i in range(J1):
        inv11 = 1.0 / M11[i]
        acc_d = 0.0
        acc_a = D1[i] * lam[i] * alpha[i]
        for k in range(m):
            inv11 += ES[i, k] * E[i, k]
            acc_d -= B[i, k] * lam[J1 + k] * ES[i, k]
            acc_a += B[i, k] * lam[J1 + k] * alpha[J1 + k]
        trace += inv11
        diag_cm[i] = D1[i] * lam[i] * inv11 + acc_d
        c_lam_alpha[i] = acc_a
    for k in range(m):
        trace += Sinv[k, k]
        acc_d = 0.0
        acc_a = 0.0
        for i in range(J1):
            acc_d -= B[i, k] * lam[i] * ES[i, k]
            acc_a += B[i, k] * lam[i] * alpha[i]
        for l in range(m):
            acc_d += C22[k, l] * lam[J1 + l] * Sinv[l, k]
            acc_a += C22[k, l] * lam[J1 + l] * alpha[J1 + l]
        diag_cm[J1 + k] = acc_d
        c_lam_alpha[J1 + k] = acc_a
    s4 = sigma2 * sigma2
    value = -0.5 * (n * LOG_2PI + n * np.log(sigma2) + logdet + (rr - Q / sigma2) / sigma2)
    for i in range(q):
        dsd[sd_index[i]] += -diag_cm[i] / sigma2 + (c[i] - c_lam_alpha[i] / sigma2) * alpha[i] / s4
    dsigma2 = (-n + q - trace) / (2.0 * sigma2) + rr / (2.0 * s4) - (Q + aa) / (2.0 * s4 * sigma2)
    dsd[K - 1] += 2.0 * sd[K - 1] * dsigma2
    for k in range(p):
        acc = (Xty[k] - Xb[k]) / sigma2
        for i in range(q):
            acc -= zx[i, k] * lam[i] * alpha[i] / s4
        db[k] = acc
    return value, dsd, db


# --- C entry point (see collapsed_kernels.c_entry for why) ------------------------------

ENTRY_SIGNATURE = types.void(
    F64P, INT, INT,            # sd: pointer, K, stride
    F64P, INT, INT,            # b: pointer, p, stride
    I64P, INT,                # sd_index: pointer, stride
    F64P, INT, INT,            # D1: pointer, J1, stride
    F64P, INT, INT,            # B (J1, m): pointer, strides
    F64P, INT, INT, INT,        # C22: pointer, m, strides
    F64P, INT,                # zy: pointer, stride
    F64P, INT, INT,            # zx (q, p): pointer, strides
    types.float64,            # yy
    F64P, INT,                # Xty: pointer, stride
    F64P, INT, INT,            # XtX: pointer, strides
    INT,                       # n
    F64P, F64P, F64P,      # outputs: value, dsd, db
)


def _entry(sd_p, K, sd_s, b_p, p, b_s, si_p, si_s, D1_p, J1, D1_s, B_p, B_s0, B_s1, C_p, m, C_s0, C_s1, zy_p, zy_s,
           zx_p, zx_s0, zx_s1, yy, Xty_p, Xty_s, XtX_p, XtX_s0, XtX_s1, n, value_p, dsd_p, db_p):
    q = J1 + m
    value, dsd, db = crossed_value_and_grad(
        strided_vector(sd_p, K, sd_s), strided_vector(b_p, p, b_s), strided_vector(si_p, q, si_s),
        strided_vector(D1_p, J1, D1_s), strided_matrix(B_p, J1, m, B_s0, B_s1), strided_matrix(C_p, m, m, C_s0, C_s1),
        strided_vector(zy_p, q, zy_s), strided_matrix(zx_p, q, p, zx_s0, zx_s1), yy, strided_vector(Xty_p, p, Xty_s),
        strided_matrix(XtX_p, p, p, XtX_s0, XtX_s1), n)
    value_p[0] = value
    for i in range(K):
        dsd_p[i] = dsd[i]
    for i in range(p):
        db_p[i] = db[i]


ENTRY_VERSION = 1


def external_kernel() -> types.ExternalFunction:
    """The C entry point, registered as ``bayeslmm_crossed_v<ENTRY_VERSION>`` (:func:`~.collapsed_kernels.c_entry`)."""
    return c_entry(f"bayeslmm_crossed_v{ENTRY_VERSION}", _entry, ENTRY_SIGNATURE)


class CrossedGaussian(Op):
    r"""``value, dsd, db = CrossedGaussian(n_obs)(sd, b, sd_index, D1, B, C22, zy, zx, yy, Xty, XtX)``.

    The marginal log-likelihood of crossed random intercepts (module docstring) and its partial
    derivatives in ``sd`` and ``b``, which :meth:`grad` returns. No gradient flows to the
    data inputs; only ``value`` may be differentiated.
    """

    __props__ = ("n_obs",)
    _NDIMS = (1, 1, 1, 1, 2, 2, 1, 2, 0, 1, 2)

    def __init__(self, n_obs: int):
        self.n_obs = int(n_obs)

    def make_node(self, *args) -> Apply:
        inputs = [pt.as_tensor_variable(v) for v in args]
        if tuple(v.ndim for v in inputs) != self._NDIMS:
            raise BayesLMMError(f"CrossedGaussian expects inputs of dimensions {self._NDIMS}; got "
                                f"{tuple(v.ndim for v in inputs)}")
        inputs = [v if v.dtype.startswith("int") else pt.cast(v, "float64") for v in inputs]
        return Apply(self, inputs, [pt.dscalar(), pt.dvector(), pt.dvector()])

    def perform(self, node, inputs, output_storage) -> None:
        sd, b, sd_index, D1, B, C22, zy, zx, yy, Xty, XtX = [np.ascontiguousarray(v) if np.ndim(v) else v
                                                              for v in inputs]
        value, dsd, db = crossed_value_and_grad(sd, b, sd_index, D1, B, C22, zy, zx, float(yy), Xty, XtX, self.n_obs)
        output_storage[0][0] = np.asarray(value)
        output_storage[1][0] = dsd
        output_storage[2][0] = db

    def infer_shape(self, fgraph, node, shapes):
        return [(), shapes[0], shapes[1]]

    def connection_pattern(self, node):
        return [[True] * 3] * 2 + [[False] * 3] * (len(node.inputs) - 2)

    def grad(self, inputs, output_grads):
        if any(not isinstance(g.type, DisconnectedType) for g in output_grads[1:]):
            raise BayesLMMError("only the value output of CrossedGaussian can be differentiated")
        g = output_grads[0]
        _, dsd, db = self(*inputs)
        return [g * dsd, g * db] + [DisconnectedType()() for _ in inputs[2:]]


@register_funcify_default_op_cache_key(CrossedGaussian)
def _numba_crossed_gaussian(op, node=None, **kwargs):
    """Numba implementation: a call of the C entry point by symbol name (strides in elements)."""
    n = op.n_obs
    kernel = external_kernel()

    @numba.njit
    def crossed_gaussian_op(sd, b, sd_index, D1, B, C22, zy, zx, yy, Xty, XtX):
        value, dsd, db = np.empty(1), np.empty(sd.shape[0]), np.empty(b.shape[0])
        kernel(sd.ctypes, sd.shape[0], sd.strides[0] // 8, b.ctypes, b.shape[0], b.strides[0] // 8,
               sd_index.ctypes, sd_index.strides[0] // 8, D1.ctypes, D1.shape[0], D1.strides[0] // 8,
               B.ctypes, B.strides[0] // 8, B.strides[1] // 8, C22.ctypes, C22.shape[0], C22.strides[0] // 8,
               C22.strides[1] // 8, zy.ctypes, zy.strides[0] // 8, zx.ctypes, zx.strides[0] // 8, zx.strides[1] // 8,
               yy[()], Xty.ctypes, Xty.strides[0] // 8, XtX.ctypes, XtX.strides[0] // 8, XtX.strides[1] // 8, n,
               value.ctypes, dsd.ctypes, db.ctypes)
        return np.asarray(value[0]), dsd, db

    return crossed_gaussian_op, ENTRY_VERSION


_JAX_REGISTERED = False


def register_jax() -> None:
    """Teach PyTensor's JAX backend :class:`CrossedGaussian` (dense algebra, gradient by
    ``jax.value_and_grad``); called by the numpyro path only."""
    global _JAX_REGISTERED
    if _JAX_REGISTERED:
        return
    import jax
    import jax.numpy as jnp
    from pytensor.link.jax.dispatch import jax_funcify

    def value(sd, b, sd_index, D1, B, C22, zy, zx, yy, Xty, XtX, n):
        lam = sd[sd_index]
        sigma2 = sd[-1] ** 2
        C = jnp.block([[jnp.diag(D1), B], [B.T, C22]])
        c = zy - zx @ b
        rr = yy - 2.0 * b @ Xty + b @ XtX @ b
        w = lam * c
        M = jnp.eye(lam.shape[0]) + lam[:, None] * C * lam[None, :] / sigma2
        L = jnp.linalg.cholesky(M)
        logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(L)))
        Q = w @ jax.scipy.linalg.cho_solve((L, True), w)
        return -0.5 * (n * LOG_2PI + n * jnp.log(sigma2) + logdet + (rr - Q / sigma2) / sigma2)

    @jax_funcify.register(CrossedGaussian)
    def _jax_crossed_gaussian(op, **kwargs):
        value_and_grad = jax.value_and_grad(lambda sd, b, *data: value(sd, b, *data, op.n_obs), argnums=(0, 1))

        def crossed_gaussian_op(sd, b, *data):
            v, (dsd, db) = value_and_grad(sd, b, *data)
            return v, dsd, db

        return crossed_gaussian_op

    _JAX_REGISTERED = True
