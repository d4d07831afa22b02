"""Woodbury strategy: the exact Gaussian marginal with every random term as a low-rank
factor, rotated by the main kernel when it is full rank on the data.

:math:`V = D + \\sum_t \\sigma_t^2 B_t B_t'` with :math:`B_t` a root of term :math:`t`'s
covariance mapped to rows (incidence for iid terms, :math:`L_t[j(i)]` for kernels) and
:math:`D = \\sigma_g^2 \\Lambda + \\sigma_e^2 I` in the main kernel's eigenbasis (or
:math:`\\sigma_e^2 I` without one). With :math:`A = [\\sigma_t B_t]` (n x Q) and
:math:`C = I_Q + A'D^{-1}A`:

.. math::
    \\log|V| = \\sum_i \\log D_i + \\log|C|, \\qquad
    r'V^{-1}r = r'D^{-1}r - w'C^{-1}w,\\; w = A'D^{-1}r.

:math:`O(nQ^2 + Q^3)` per gradient: exact but slower per effective draw than the hybrid
strategy, which it serves to check. Intercept-only terms.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..errors import SpecError
from ..linalg.rotation import observed_eigh
from ..spec.model_spec import ModelSpec
from .common import coords_of, fixed_effects, variance_parameters
from .hybrid import _rotate_design, term_design
from .rotated import is_marginalisable_kernel_term

__all__ = ["build", "applies"]


def applies(spec: ModelSpec) -> bool:
    """Gaussian with intercept-only random terms."""
    return spec.family.marginalisable and bool(spec.terms) and all(t.is_intercept_only for t in spec.terms)


def _main_rotation(spec: ModelSpec):
    """The first kernel term whose kernel is full rank on the data rows (complete eigh), if any."""
    for term in spec.terms:
        if is_marginalisable_kernel_term(term):
            eig = observed_eigh(spec.kernels[term.kernel], term.index)
            if eig.complete:
                return term, eig
    return None, None


def build(spec: ModelSpec) -> pm.Model:
    """PyMC model with the exact Woodbury marginal likelihood (a Potential)."""
    if not applies(spec):
        raise SpecError("the woodbury strategy needs a gaussian model whose random terms are intercepts only")
    main, eig = _main_rotation(spec)
    U = eig.vectors if main is not None else None
    others = [t for t in spec.terms if t is not main]
    blocks = []
    for t in others:
        B = term_design(spec, t)[0]
        blocks.append(_rotate_design(U, B) if U is not None else (B.toarray() if hasattr(B, "toarray") else B))
    y = U.T @ spec.y if U is not None else spec.y
    with pm.Model(coords=coords_of(spec)) as model:
        var = variance_parameters(spec)
        mean = fixed_effects(spec)  # X b
        if U is not None:
            mean = pt.dot(pt.as_tensor_variable(U.T), mean)
        r = y - mean
        resid = var.residual_sd(spec) ** 2
        if main is not None:
            k = spec.components.index(main.components[0])
            D = var.sd[k] ** 2 * eig.values + resid
        else:
            D = resid * pt.ones(spec.n)
        scaled = [pt.as_tensor_variable(B) * var.sd[spec.components.index(t.components[0])] for t, B in zip(others, blocks)]
        A = pt.concatenate(scaled, axis=1) if scaled else pt.zeros((spec.n, 0))
        AD = A / D[:, None]
        C = pt.eye(A.shape[1]) + pt.dot(A.T, AD)
        L = pt.linalg.cholesky(C)
        w = pt.dot(AD.T, r)
        v = pt.linalg.solve_triangular(L, w, lower=True)
        quad = pt.sum(r**2 / D) - pt.sum(v**2)
        logdet = pt.sum(pt.log(D)) + 2.0 * pt.sum(pt.log(pt.diag(L)))
        pm.Potential("marginal", -0.5 * (spec.n * np.log(2 * np.pi) + logdet + quad))
    return model
