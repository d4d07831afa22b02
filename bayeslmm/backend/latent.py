"""Latent strategy: random effects as non-centred parameters, any family.

Each term contributes :math:`\\sum_c Z_{ic} u_{j[i]c}` with
:math:`U = L_K\\, W\\, F'`, :math:`W_{jc} \\sim N(0, 1)`, :math:`F F' = \\Sigma` and
:math:`L_K L_K' = K` (identity for iid terms), so that
:math:`\\text{vec}(U) \\sim N(0, \\Sigma \\otimes K)`.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm
from .common import VarianceParameters, coords_of, fixed_effects, term_covariance_factor, variance_parameters
from .families import observe

__all__ = ["build", "kernel_root"]


def kernel_root(kernel) -> np.ndarray:
    """A root :math:`L_K` with :math:`L_K L_K' = K` and as few columns as possible.

    The kernel's factor :math:`W` when it has fewer columns than rows (markers, taxa,
    probes), else :math:`U_r S_r^{1/2}` over the positive eigenvalues.
    """
    if kernel.factor is not None and kernel.factor.shape[1] < kernel.n:
        return np.asarray(kernel.factor)
    eig = kernel.eigh
    keep = eig.values > 0
    if eig.rank < keep.sum():
        keep = np.arange(len(eig.values)) < eig.rank
    return eig.vectors[:, keep] * np.sqrt(eig.values[keep])


def latent_effects(spec: ModelSpec, term: GroupTerm,
                   var: VarianceParameters) -> tuple[pt.TensorVariable, pt.TensorVariable]:
    r"""Standardised effects :math:`W` and non-centred effects :math:`U` (levels x coefficients) of an iid ``term``.

    :math:`U = W F'` with :math:`W \sim N(0, I)` (``z_<key>``), recorded as ``u_<key>``; an
    uncorrelated term scales the columns of :math:`W` by the sds instead of building the
    diagonal factor.
    """
    z = pm.Normal(f"z_{term.key}", 0.0, 1.0, dims=(f"{term.key}_level", f"{term.key}_coef"))
    if term.correlated:
        u = pt.dot(z, term_covariance_factor(spec, term, var).T)
    else:
        u = z * var.term_sd(spec, term)[None, :]
    pm.Deterministic(f"u_{term.key}", u, dims=(f"{term.key}_level", f"{term.key}_coef"))
    return z, u


def latent_term(spec: ModelSpec, term: GroupTerm, var: VarianceParameters) -> pt.TensorVariable:
    r"""Contribution of ``term`` to the linear predictor (length n).

    Notes
    -----
    Uncorrelated iid terms scale :math:`W` column by column (:math:`U = W\,\text{diag}(\sigma)`
    without building the diagonal matrix, whose gradient is a non-inlined graph under numba),
    and each coefficient's column of :math:`U` is gathered to the rows on its own; an
    all-ones intercept column is not multiplied. Measured with nutpie on sleepstudy
    ``(Days || Subject)``: 7.7 instead of 13.8 microseconds of CPU per leapfrog step.
    """
    q = len(term.columns)
    if term.kernel is None:
        _, u = latent_effects(spec, term, var)
    else:
        factor = term_covariance_factor(spec, term, var)
        root = kernel_root(spec.kernels[term.kernel])
        z = pm.Normal(f"z_{term.key}", 0.0, 1.0, shape=(root.shape[1], q))
        u = pt.dot(pt.as_tensor_variable(root), pt.dot(z, factor.T))
    eta = None
    for c in range(q):
        column = u[:, c][term.index]
        if not np.all(term.Z[:, c] == 1.0):
            column = column * term.Z[:, c]
        eta = column if eta is None else eta + column
    return eta


def linear_predictor(spec: ModelSpec, var: VarianceParameters) -> pt.TensorVariable:
    """Fixed effects plus every random term and ``gp()`` field, all latent."""
    from .gp import latent_field

    eta = fixed_effects(spec)
    for term in spec.terms:
        eta = eta + latent_term(spec, term, var)
    for field in spec.gp_terms:
        eta = eta + latent_field(spec, field, var)
    return eta


def build(spec: ModelSpec) -> pm.Model:
    """PyMC model with every random effect latent and non-centred."""
    with pm.Model(coords=coords_of(spec)) as model:
        var = variance_parameters(spec)
        eta = linear_predictor(spec, var)
        observe(spec, eta, var)
    return model
