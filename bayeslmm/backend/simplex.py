"""The Dirichlet prior on the variance proportions, in additive log-ratio coordinates.

PyMC's ``Dirichlet`` pairs its density (with support checks) with a centred simplex
transform whose inverse and Jacobian each take their own stabilised softmax. Every model
here samples the proportions, so that graph is compiled into every gradient: on the small
data sets of the lme4 references it is a large share of nutpie's numba compile time. This
module gives the same prior with one log-sum-exp per gradient.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.logprob.transforms import Transform
from scipy.special import gammaln

__all__ = ["AdditiveLogRatio", "dirichlet_proportions"]


def _log_normaliser(z: pt.TensorVariable) -> pt.TensorVariable:
    """:math:`\\log(1 + \\sum_k e^{z_k})` over the last axis, shifted by the largest term."""
    top = pt.maximum(pt.max(z, axis=-1, keepdims=True), 0.0)
    return top + pt.log(pt.exp(-top) + pt.sum(pt.exp(z - top), axis=-1, keepdims=True))


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
        c = _log_normaliser(value)
        return pt.concatenate([pt.exp(value - c), pt.exp(-c)], axis=-1)

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
