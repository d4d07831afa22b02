"""The collapsed strategy's log-likelihood as one PyTensor Op with its own gradient.

Written symbolically, the per-level Woodbury algebra of :mod:`.collapsed`, the sufficient
statistics and their reverse-mode gradient come to about sixty graph nodes, and nutpie's numba
backend compiles each into the model's log-density function: on the lme4 reference data that
compile took longer than sampling. Here the value and the gradient with respect to the sds,
the correlation factor and the fixed effects (or the residuals) are one loop over the levels
(:mod:`.collapsed_kernels`), compiled once by numba and cached on disk. A compiled log density
calls that loop through a C entry point by symbol name, so its code is not linked into, and
re-optimised with, every model's log density.
"""

from __future__ import annotations

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.cache import compile_numba_function_src
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

from ..errors import BayesLMMError
from .collapsed_kernels import (
    ENTRY_VERSION,
    LOG_2PI,
    collapsed_from_residuals,
    collapsed_from_statistics,
    external_kernel,
    level_marginal_value_and_grad,
)

__all__ = [
    "CollapsedGaussian",
    "collapsed_from_statistics",
    "collapsed_from_residuals",
    "level_marginal_value_and_grad",
    "register_jax",
]

MODES = ("statistics", "residuals")


class CollapsedGaussian(Op):
    r"""``value, dsd, dL, *dx = CollapsedGaussian(mode, start, n_obs, blocks)(sd, L, *x, *data)``.

    The collapsed strategy's log-likelihood of one iid term (:mod:`.collapsed`) and its partial
    derivatives, which :meth:`grad` returns, so a gradient evaluation reuses the value's loop.

    Parameters
    ----------
    mode
        ``"statistics"``: the blocks ``x`` are, end to end, the fixed effects and the other
        terms' effects, and ``data`` are ``scale_index, gram, zy, zx, yy, Xty,
        XtX`` (:func:`~.collapsed_kernels.collapsed_from_statistics`); ``"residuals"``: one
        block, the residual vector, and ``data`` are ``gram, index, Z``
        (:func:`~.collapsed_kernels.collapsed_from_residuals`).
    start
        Position of the term's first sd in ``sd``; the residual sd is the last entry.
    n_obs
        Number of observations.
    blocks
        Number of dimensions of each coefficient block (statistics mode), 1 (a vector) or 2
        (a (J, q) matrix of a term's effects, entered column by column). Taking the fixed
        effects and each other term's effects as separate inputs, each with its gradient
        output, keeps a concatenation and reshapes (and their gradients: a split, a reshape
        and a shape check) out of the model's graph.

    Notes
    -----
    ``sd`` is the model's vector of sds, ``L`` the term's correlation Cholesky factor (the
    identity for an uncorrelated term): :math:`F = \text{diag}(sd_{start:start+q})L`,
    :math:`\sigma^2 = sd_{-1}^2`. No gradient flows to ``data``; only ``value`` may be
    differentiated.
    """

    __props__ = ("mode", "start", "n_obs", "blocks")

    def __init__(self, mode: str, start: int, n_obs: int, blocks: tuple[int, ...] = (1,)):
        if mode not in MODES:
            raise BayesLMMError(f"CollapsedGaussian mode must be one of {MODES}; got {mode!r}")
        blocks = tuple(int(b) for b in blocks)
        if any(b not in (1, 2) for b in blocks) or (mode == "residuals" and blocks != (1,)):
            wanted = "one vector block, (1,)" if mode == "residuals" else "blocks of 1 or 2 dimensions"
            raise BayesLMMError(f"CollapsedGaussian({mode!r}) takes {wanted}; got blocks={blocks}")
        self.mode, self.start, self.n_obs, self.blocks = mode, int(start), int(n_obs), blocks

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)

    def make_node(self, sd, L, *rest) -> Apply:
        data_ndims = (1, 3, 2, 3, 0, 1, 2) if self.mode == "statistics" else (3, 1, 2)
        ndims = (1, 2) + self.blocks + data_ndims
        inputs = [pt.as_tensor_variable(v) for v in (sd, L, *rest)]
        if tuple(v.ndim for v in inputs) != ndims:
            raise BayesLMMError(f"CollapsedGaussian({self.mode!r}, blocks={self.blocks}) expects inputs of "
                                f"dimensions {ndims}; got {tuple(v.ndim for v in inputs)}")
        inputs = [v if v.dtype.startswith("int") else pt.cast(v, "float64") for v in inputs]
        outputs = [pt.dscalar(), pt.dvector(), pt.dmatrix()] + [pt.dmatrix() if b == 2 else pt.dvector()
                                                                 for b in self.blocks]
        return Apply(self, inputs, outputs)

    def perform(self, node, inputs, output_storage) -> None:
        inputs = [np.ascontiguousarray(v) if np.ndim(v) else v for v in inputs]
        k = 2 + self.n_blocks
        sd, L, blocks, data = inputs[0], inputs[1], inputs[2:k], inputs[k:]
        x = np.concatenate([b.T.ravel() for b in blocks]) if blocks else np.zeros(0)
        if self.mode == "statistics":
            scale_index, gram, zy, zx, yy, Xty, XtX = data
            value, dsd, dL, dx = collapsed_from_statistics(sd, L, x, scale_index, gram, zy, zx, float(yy), Xty, XtX,
                                                           self.start, self.n_obs)
        else:
            gram, index, Z = data
            value, dsd, dL, dx = collapsed_from_residuals(sd, L, x, gram, index, Z, self.start)
        output_storage[0][0] = np.asarray(value)
        output_storage[1][0] = dsd
        output_storage[2][0] = dL
        ends = np.cumsum([b.size for b in blocks])
        for storage, block, part in zip(output_storage[3:], blocks, np.split(dx, ends[:-1]) if blocks else []):
            storage[0] = part.reshape(block.shape[::-1]).T.copy()

    def infer_shape(self, fgraph, node, shapes):
        return [(), shapes[0], shapes[1]] + list(shapes[2:2 + self.n_blocks])

    def connection_pattern(self, node):
        k = 2 + self.n_blocks
        n_out = 3 + self.n_blocks
        return [[True] * n_out] * k + [[False] * n_out] * (len(node.inputs) - k)

    def grad(self, inputs, output_grads):
        if any(not isinstance(g.type, DisconnectedType) for g in output_grads[1:]):
            raise BayesLMMError("only the value output of CollapsedGaussian can be differentiated")
        g = output_grads[0]
        k = 2 + self.n_blocks
        partials = self(*inputs)[1:]
        return [g * d for d in partials] + [DisconnectedType()() for _ in inputs[k:]]


def _statistics_source(blocks: tuple[int, ...]) -> str:
    """Source of the numba function for statistics mode with coefficient blocks of ``blocks`` dimensions:
    copy them end to end (a matrix column by column), call the C entry point, return the
    gradient in the same blocks."""
    names = [f"x{i}" for i in range(len(blocks))]
    sizes = [f"{x}.shape[0]" if nd == 1 else f"{x}.shape[0] * {x}.shape[1]" for x, nd in zip(names, blocks)]
    lines = [f"def collapsed_statistics_op(sd, L, {''.join(x + ', ' for x in names)}scale_index, gram, zy, zx, yy, "
             "Xty, XtX):",
             "    q = L.shape[0]",
             f"    p = {' + '.join(sizes) or '0'}",
             "    x = np.empty(p)",
             "    k = 0"]
    for x, nd in zip(names, blocks):
        if nd == 1:
            lines += [f"    for i in range({x}.shape[0]):", f"        x[k] = {x}[i]", "        k += 1"]
        else:
            lines += [f"    for c in range({x}.shape[1]):", f"        for j in range({x}.shape[0]):",
                      f"            x[k] = {x}[j, c]", "            k += 1"]
    lines += [
        "    value, dsd, dL, dx = np.empty(1), np.empty(sd.shape[0]), np.empty((q, q)), np.empty(p)",
        "    kernel(sd.ctypes, sd.shape[0], sd.strides[0] // 8, L.ctypes, q, L.strides[0] // 8, L.strides[1] // 8,",
        "           x.ctypes, p, 1, scale_index.ctypes, scale_index.strides[0] // 8,",
        "           gram.ctypes, gram.shape[0], gram.strides[0] // 8, gram.strides[1] // 8, gram.strides[2] // 8,",
        "           zy.ctypes, zy.strides[0] // 8, zy.strides[1] // 8,",
        "           zx.ctypes, zx.strides[0] // 8, zx.strides[1] // 8, zx.strides[2] // 8, yy[()],",
        "           Xty.ctypes, Xty.strides[0] // 8, XtX.ctypes, XtX.strides[0] // 8, XtX.strides[1] // 8,",
        "           start, n, value.ctypes, dsd.ctypes, dL.ctypes, dx.ctypes)",
        "    k = 0",
    ]
    for i, (x, nd) in enumerate(zip(names, blocks)):
        if nd == 1:
            lines += [f"    d{i} = dx[k:k + {x}.shape[0]]", f"    k += {x}.shape[0]"]
        else:
            lines += [f"    d{i} = np.empty(({x}.shape[0], {x}.shape[1]))", f"    for c in range({x}.shape[1]):",
                      f"        for j in range({x}.shape[0]):", f"            d{i}[j, c] = dx[k]", "            k += 1"]
    lines.append(f"    return np.asarray(value[0]), dsd, dL{''.join(f', d{i}' for i in range(len(blocks)))}")
    return "\n".join(lines) + "\n"


@register_funcify_default_op_cache_key(CollapsedGaussian)
def _numba_collapsed_gaussian(op, node=None, **kwargs):
    """Numba implementation: a call of the mode's C entry point (:func:`~.collapsed_kernels.external_kernel`).

    Strides are passed in elements (all inputs are 8-byte). The returned integer salts PyTensor's
    cache key with the entry points' version.
    """
    start, n = op.start, op.n_obs
    kernel = external_kernel(op.mode)
    if op.mode == "statistics":
        source = _statistics_source(op.blocks)
        function = compile_numba_function_src(source, "collapsed_statistics_op",
                                              {"np": np, "kernel": kernel, "start": start, "n": n})
        return numba.njit(function), ENTRY_VERSION

    @numba.njit
    def collapsed_residuals_op(sd, L, r, gram, index, Z):
        q, m = L.shape[0], r.shape[0]
        value, dsd, dL, dr = np.empty(1), np.empty(sd.shape[0]), np.empty((q, q)), np.empty(m)
        kernel(sd.ctypes, sd.shape[0], sd.strides[0] // 8, L.ctypes, q, L.strides[0] // 8, L.strides[1] // 8,
               r.ctypes, m, r.strides[0] // 8,
               gram.ctypes, gram.shape[0], gram.strides[0] // 8, gram.strides[1] // 8, gram.strides[2] // 8,
               index.ctypes, index.strides[0] // 8, Z.ctypes, Z.strides[0] // 8, Z.strides[1] // 8,
               start, value.ctypes, dsd.ctypes, dL.ctypes, dr.ctypes)
        return np.asarray(value[0]), dsd, dL, dr

    return collapsed_residuals_op, ENTRY_VERSION


def _jax_per_level(F, sigma2, s, gram):
    import jax.numpy as jnp

    q = F.shape[0]
    A = jnp.einsum("ca,jcd,db->jab", F, gram, F) + sigma2 * jnp.eye(q)
    t = s @ F
    L = jnp.linalg.cholesky(A)
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(L, axis1=-2, axis2=-1)))
    w = jnp.linalg.solve(A, t[..., None])[..., 0]
    return -0.5 * logdet + 0.5 * jnp.sum(t * w) / sigma2


def _jax_value(op, sd, L, blocks, data):
    import jax.numpy as jnp

    x = jnp.concatenate([b.T.ravel() for b in blocks]) if blocks else jnp.zeros(0)
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
        k = 2 + op.n_blocks
        value_and_grad = jax.value_and_grad(lambda sd, L, blocks, data: _jax_value(op, sd, L, blocks, data),
                                            argnums=(0, 1, 2))

        def collapsed_gaussian_op(sd, L, *rest):
            value, (dsd, dL, dblocks) = value_and_grad(sd, L, tuple(rest[:k - 2]), tuple(rest[k - 2:]))
            return (value, dsd, dL, *dblocks)

        return collapsed_gaussian_op

    _JAX_REGISTERED = True
