"""Dense strategy: the Gaussian marginal likelihood with the full n x n covariance.

The reference every fast strategy is tested against; O(n³) per gradient, so for small n.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm
from .common import coords_of, fixed_effects, term_covariance_factor, variance_parameters

__all__ = ["build", "row_covariance"]


def row_covariance(spec: ModelSpec, term: GroupTerm) -> np.ndarray:
    """:math:`G = K[j(i), j(i')]`: covariance of a term's levels mapped to rows.

    For an iid term :math:`G_{ii'} = 1` if rows :math:`i, i'` share a level, else 0.
    """
    if term.kernel is None:
        return (term.index[:, None] == term.index[None, :]).astype(float)
    K = np.asarray(spec.kernels[term.kernel].matrix)
    return K[np.ix_(term.index, term.index)]


def marginal_covariance(spec: ModelSpec, factors: list, residual_var) -> pt.TensorVariable:
    """:math:`V = \\sum_t \\sum_{c,c'} \\Sigma^t_{cc'} (z_c z_{c'}') \\circ G_t + \\sigma_e^2 I`."""
    V = residual_var * pt.eye(spec.n)
    for term, factor in zip(spec.terms, factors):
        G = row_covariance(spec, term)
        sigma = pt.dot(factor, factor.T)
        q = len(term.columns)
        for c in range(q):
            for d in range(q):
                block = np.outer(term.Z[:, c], term.Z[:, d]) * G
                V = V + sigma[c, d] * pt.as_tensor_variable(block)
    return V


def build(spec: ModelSpec) -> pm.Model:
    """PyMC model ``y ~ MvNormal(X b, V)`` with the random effects integrated out.

    Notes
    -----
    :math:`y \\sim N(Xb, V)`, :math:`V = \\sum_t Z_t (\\Sigma_t \\otimes K_t) Z_t' + \\sigma_e^2 I`.
    ``gp()`` fields add their covariance to :math:`V` (the exact GP); the density is then the
    ``Potential`` ``marginal`` (:class:`bayeslmm.backend.gp.GaussianLogp`, a cheaper gradient).
    """
    if not spec.family.marginalisable:
        raise SpecError(f"the dense strategy needs a gaussian family, not {spec.family.name!r}")
    with pm.Model(coords=coords_of(spec)) as model:
        var = variance_parameters(spec)
        mu = fixed_effects(spec)
        factors = [term_covariance_factor(spec, t, var) for t in spec.terms]
        V = marginal_covariance(spec, factors, var.residual_sd(spec) ** 2)
        if spec.gp_terms:  # exact GP or HSGP covariance; cheaper gradient (bayeslmm.backend.gp)
            from .gp import dense_covariance, gaussian_marginal

            for field in spec.gp_terms:
                V = V + dense_covariance(spec, field, var)
            gaussian_marginal(spec.y, mu, V)
            return model
        pm.MvNormal("y", mu=mu, cov=V, observed=spec.y)
    return model
