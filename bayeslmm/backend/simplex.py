"""The Dirichlet prior on the variance proportions, in additive log-ratio coordinates.

PyMC's ``Dirichlet`` pairs its density (with support checks) with a centred simplex
transform whose inverse and Jacobian each take their own stabilised softmax. Every model
here samples the proportions, so that graph is compiled into every gradient: on the small
data sets of the lme4 references it is a large share of nutpie's numba compile time. This
module gives the same prior with one log-sum-exp per gradient.
"""

from __future__ import annotations

import numba
import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.logprob.transforms import Transform
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key
from scipy.special import gammaln

from ..errors import BayesLMMError

__all__ = ["AdditiveLogRatio", "AppendZero", "append_zero", "dirichlet_proportions", "register_jax"]


def _log_normaliser(z: pt.TensorVariable) -> pt.TensorVariable:
    """:math:`\\log(1 + \\sum_k e^{z_k})` over the last axis, shifted by the largest term."""
    top = pt.maximum(pt.max(z, axis=-1, keepdims=True), 0.0)
    return top + pt.log(pt.exp(-top) + pt.sum(pt.exp(z - top), axis=-1, keepdims=True))


class AppendZero(Op):
    """:math:`(z_1, \\dots, z_{K-1}) \\mapsto (z_1, \\dots, z_{K-1}, 0)` for a vector.

    The inverse ALR transform needs this padding in every model. As a concatenation its
    gradient is a split; as a write into zeros it brings an allocation and a broadcast check:
    both cost nutpie's numba backend more code to compile, in the log density and again in
    the function that maps draws back to the simplex, than this Op, whose gradient is a slice.
    """

    __props__ = ()

    def make_node(self, z) -> Apply:
        z = pt.as_tensor_variable(z)
        if z.ndim != 1:
            raise BayesLMMError(f"AppendZero takes a vector; got {z.ndim} dimensions")
        length = None if z.type.shape[0] is None else z.type.shape[0] + 1
        return Apply(self, [z], [pt.tensor(dtype=z.dtype, shape=(length,))])

    def perform(self, node, inputs, output_storage) -> None:
        output_storage[0][0] = np.append(inputs[0], np.zeros(1, dtype=inputs[0].dtype))

    def infer_shape(self, fgraph, node, shapes):
        return [(shapes[0][0] + 1,)]

    def grad(self, inputs, output_grads):
        return [output_grads[0][:-1]]


append_zero = AppendZero()


@register_funcify_default_op_cache_key(AppendZero)
def _numba_append_zero(op, node=None, **kwargs):
    @numba.njit
    def append_zero_op(z):
        out = np.zeros(z.shape[0] + 1, dtype=z.dtype)
        for i in range(z.shape[0]):
            out[i] = z[i]
        return out

    return append_zero_op


_JAX_REGISTERED = False


def register_jax() -> None:
    """Teach PyTensor's JAX backend :class:`AppendZero` (called by the numpyro path only, so
    that importing bayeslmm does not import JAX)."""
    global _JAX_REGISTERED
    if _JAX_REGISTERED:
        return
    import jax.numpy as jnp
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(AppendZero)
    def _jax_append_zero(op, **kwargs):
        def append_zero_op(z):
            return jnp.concatenate([z, jnp.zeros(1, dtype=z.dtype)])

        return append_zero_op

    _JAX_REGISTERED = True


def _append_zero(z: pt.TensorVariable) -> pt.TensorVariable:
    """:math:`(z, 0)` over the last axis: :class:`AppendZero` for a vector, a concatenation otherwise."""
    if z.ndim == 1:
        return append_zero(z)
    return pt.concatenate([z, pt.zeros_like(z[..., :1])], axis=-1)


class AdditiveLogRatio(Transform):
    r"""Simplex :math:`\pi \in \Delta^{K-1}` to :math:`y \in \mathbb{R}^{K-1}`, :math:`y_k = \log(\pi_k / \pi_K)`.

    Notes
    -----
    Inverse: :math:`\pi_k = e^{y_k - c}` for :math:`k < K` and :math:`\pi_K = e^{-c}`, with
    :math:`c = \log(1 + \sum_{k<K} e^{y_k})`. The Jacobian of :math:`y \mapsto
    (\pi_1, \dots, \pi_{K-1})` is :math:`\text{diag}(p) - pp'` with :math:`p` the first
    :math:`K-1` proportions, whose determinant is :math:`\prod_{k \le K} \pi_k`, so
    :math:`\log|J| = \sum_{k<K} y_k - K c`. With the Dirichlet density the unconstrained
    log-density is :math:`\sum_{k<K} a_k y_k - (\sum_k a_k) c` plus a constant. The last
    component (the residual in a Gaussian model) is the reference.
    """

    name = "alr"
    ndim_supp = 1

    def forward(self, value, *inputs):
        value = pt.as_tensor(value)
        log_value = pt.log(value)
        return log_value[..., :-1] - log_value[..., -1:]

    def backward(self, value, *inputs):
        value = pt.as_tensor(value)
        return pt.exp(_append_zero(value) - _log_normaliser(value))

    def log_jac_det(self, value, *inputs):
        value = pt.as_tensor(value)
        K = value.shape[-1] + 1
        return pt.sum(value, axis=-1) - K.astype(value.dtype) * _log_normaliser(value)[..., 0]


def _dirichlet_random(a, size):
    return pm.Dirichlet.dist(a=a, size=size)


def dirichlet_proportions(name: str, a: np.ndarray, **kwargs) -> pt.TensorVariable:
    r"""A :math:`\text{Dirichlet}(a)` vector sampled through :class:`AdditiveLogRatio`.

    Prior draws (``pm.sample_prior_predictive``) come from PyMC's ``Dirichlet``; the density is
    :math:`\log\Gamma(\sum_k a_k) - \sum_k \log\Gamma(a_k) + \sum_k (a_k - 1)\log\pi_k`
    without support checks, since the transform keeps :math:`\pi` on the simplex.
    """
    a = np.asarray(a, dtype=float)
    log_norm = float(gammaln(a.sum()) - gammaln(a).sum())

    def logp(value, a_param):
        return log_norm + pt.sum((a - 1.0) * pt.log(value), axis=-1)

    return pm.CustomDist(name, a, dist=_dirichlet_random, logp=logp, signature="(k)->(k)",
                         default_transform=AdditiveLogRatio(), **kwargs)
