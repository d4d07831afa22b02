"""Numba kernels of the collapsed Gaussian log-likelihood and its gradient, and their C entry points.

The kernels (:func:`level_marginal_value_and_grad`, :func:`collapsed_from_statistics`,
:func:`collapsed_from_residuals`) take numpy arrays and are compiled once per machine
(``cache=True``). :func:`external_kernel` wraps each in a C function (a numba ``cfunc``, also
cached) and registers its address with LLVM under a fixed symbol name, so that compiled log
densities call it by name instead of linking, re-optimising and re-emitting its code in every
model (see :mod:`.collapsed_likelihood`).
"""

from __future__ import annotations

import llvmlite.binding as llvm
import numba
import numpy as np
from numba import types

__all__ = [
    "LOG_2PI",
    "level_marginal_value_and_grad",
    "collapsed_from_statistics",
    "collapsed_from_residuals",
    "external_kernel",
    "c_entry",
    "cholesky_in_place",
    "inverse_from_cholesky",
    "strided_vector",
    "strided_matrix",
    "F64P",
    "I64P",
    "INT",
]

LOG_2PI = float(np.log(2.0 * np.pi))


@numba.njit(cache=True)
def cholesky_in_place(A: np.ndarray, L: np.ndarray) -> float:
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
def inverse_from_cholesky(L: np.ndarray, Ainv: np.ndarray, Linv: np.ndarray) -> None:
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
        logdet = cholesky_in_place(A, L)
        if logdet == -np.inf:
            return -np.inf, dF, 0.0, ds
        inverse_from_cholesky(L, Ainv, Linv)
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


# --- C entry points (see c_entry) ---------------------------------------------------------------------------
# Every array crosses as a pointer plus its strides in elements (the differentiable inputs are
# often strided views in a compiled graph); outputs are contiguous buffers owned by the caller.

F64P = types.CPointer(types.float64)
"""C argument types of the entry points: a float64 pointer, an int64 pointer, an int64."""
I64P = types.CPointer(types.int64)
INT = types.int64


@numba.njit(cache=True)
def strided_vector(p, n, s):
    """The strided vector at ``p`` (``n`` entries, stride ``s``) as a contiguous array (no copy when ``s == 1``)."""
    if s == 1:
        return numba.carray(p, (n,))
    out = np.empty_like(numba.carray(p, (n,)))
    for i in range(n):
        out[i] = p[i * s]
    return out


@numba.njit(cache=True)
def strided_matrix(p, n0, n1, s0, s1):
    """The strided (n0, n1) array at ``p`` as a contiguous array (no copy when already C-ordered)."""
    if s1 == 1 and s0 == n1:
        return numba.carray(p, (n0, n1))
    out = np.empty_like(numba.carray(p, (n0, n1)))
    for i in range(n0):
        for j in range(n1):
            out[i, j] = p[i * s0 + j * s1]
    return out


@numba.njit(cache=True)
def strided_array3(p, n0, n1, n2, s0, s1, s2):
    """The strided (n0, n1, n2) array at ``p`` as a contiguous array (no copy when already C-ordered)."""
    if s2 == 1 and s1 == n2 and s0 == n1 * n2:
        return numba.carray(p, (n0, n1, n2))
    out = np.empty_like(numba.carray(p, (n0, n1, n2)))
    for i in range(n0):
        for j in range(n1):
            for k in range(n2):
                out[i, j, k] = p[i * s0 + j * s1 + k * s2]
    return out


@numba.njit(cache=True)
def _write_outputs(value, dsd, dL, dx, value_p, dsd_p, dL_p, dx_p):
    """Copy a kernel's results into the caller's buffers."""
    value_p[0] = value
    for i in range(dsd.shape[0]):
        dsd_p[i] = dsd[i]
    q = dL.shape[0]
    for a in range(q):
        for b in range(q):
            dL_p[a * q + b] = dL[a, b]
    for i in range(dx.shape[0]):
        dx_p[i] = dx[i]


STATISTICS_SIGNATURE = types.void(
    F64P, INT, INT,                      # sd: pointer, length, stride
    F64P, INT, INT, INT,                  # L: pointer, q, strides
    F64P, INT, INT,                      # x: pointer, p, stride
    I64P, INT,                          # scale_index: pointer, stride
    F64P, INT, INT, INT, INT,              # gram (J, q, q): pointer, J, strides
    F64P, INT, INT,                      # zy (J, q): pointer, strides
    F64P, INT, INT, INT,                  # zx (J, q, p): pointer, strides
    types.float64,                      # yy
    F64P, INT,                          # Xty: pointer, stride
    F64P, INT, INT,                      # XtX: pointer, strides
    INT, INT,                             # start, n
    F64P, F64P, F64P, F64P,         # outputs: value, dsd, dL (q*q), dx
)


def _statistics_entry(sd_p, ns, sd_s, L_p, q, L_s0, L_s1, x_p, p, x_s, si_p, si_s, gram_p, J, g_s0, g_s1, g_s2,
                      zy_p, zy_s0, zy_s1, zx_p, zx_s0, zx_s1, zx_s2, yy, Xty_p, Xty_s, XtX_p, XtX_s0, XtX_s1,
                      start, n, value_p, dsd_p, dL_p, dx_p):
    value, dsd, dL, dx = collapsed_from_statistics(
        strided_vector(sd_p, ns, sd_s), strided_matrix(L_p, q, q, L_s0, L_s1), strided_vector(x_p, p, x_s),
        strided_vector(si_p, p, si_s), strided_array3(gram_p, J, q, q, g_s0, g_s1, g_s2),
        strided_matrix(zy_p, J, q, zy_s0, zy_s1),
        strided_array3(zx_p, J, q, p, zx_s0, zx_s1, zx_s2), yy, strided_vector(Xty_p, p, Xty_s),
        strided_matrix(XtX_p, p, p, XtX_s0, XtX_s1), start, n)
    _write_outputs(value, dsd, dL, dx, value_p, dsd_p, dL_p, dx_p)


RESIDUALS_SIGNATURE = types.void(
    F64P, INT, INT,                      # sd: pointer, length, stride
    F64P, INT, INT, INT,                  # L: pointer, q, strides
    F64P, INT, INT,                      # r: pointer, n, stride
    F64P, INT, INT, INT, INT,              # gram (J, q, q): pointer, J, strides
    I64P, INT,                          # index (n,): pointer, stride
    F64P, INT, INT,                      # Z (n, q): pointer, strides
    INT,                                 # start
    F64P, F64P, F64P, F64P,         # outputs: value, dsd, dL (q*q), dr
)


def _residuals_entry(sd_p, ns, sd_s, L_p, q, L_s0, L_s1, r_p, n, r_s, gram_p, J, g_s0, g_s1, g_s2, index_p, index_s,
                     Z_p, Z_s0, Z_s1, start, value_p, dsd_p, dL_p, dr_p):
    value, dsd, dL, dr = collapsed_from_residuals(
        strided_vector(sd_p, ns, sd_s), strided_matrix(L_p, q, q, L_s0, L_s1), strided_vector(r_p, n, r_s),
        strided_array3(gram_p, J, q, q, g_s0, g_s1, g_s2), strided_vector(index_p, n, index_s),
        strided_matrix(Z_p, n, q, Z_s0, Z_s1), start)
    _write_outputs(value, dsd, dL, dr, value_p, dsd_p, dL_p, dr_p)


ENTRY_VERSION = 1
"""Bumped whenever an entry point's signature changes: it is part of the symbol name, so code
cached against an older signature fails to link instead of calling the new one wrongly."""

_ENTRIES = {"statistics": (_statistics_entry, STATISTICS_SIGNATURE),
            "residuals": (_residuals_entry, RESIDUALS_SIGNATURE)}
_REGISTERED: dict[str, types.ExternalFunction] = {}


def c_entry(symbol: str, entry, signature) -> types.ExternalFunction:
    """``entry`` as a C function callable from numba code by the name ``symbol``.

    Notes
    -----
    On first use in a process the entry is compiled (or loaded from numba's cache) as a
    ``cfunc`` and its address is registered with LLVM (``llvmlite.binding.add_symbol``) under
    ``symbol``. Numba code that calls the returned ``ExternalFunction`` holds only that name,
    so it may itself be cached: the name is resolved again in each process. ``symbol`` should
    carry a version that changes with ``signature``.
    """
    if symbol not in _REGISTERED:
        compiled = numba.cfunc(signature, cache=True)(entry)
        llvm.add_symbol(symbol, compiled.address)
        _REGISTERED[symbol] = types.ExternalFunction(symbol, signature)
    return _REGISTERED[symbol]


def external_kernel(mode: str) -> types.ExternalFunction:
    """The C entry point of ``mode`` (``"statistics"`` or ``"residuals"``), registered as
    ``bayeslmm_collapsed_<mode>_v<ENTRY_VERSION>`` (:func:`c_entry`)."""
    entry, signature = _ENTRIES[mode]
    return c_entry(f"bayeslmm_collapsed_{mode}_v{ENTRY_VERSION}", entry, signature)
