"""Hybrid strategy: the main kernel integrated out spectrally, every other term latent
and non-centred in the rotated space.

DESIGN.md section 6 measured this as the fastest exact treatment of two kernels (GRM
spectral + 300 microbiome factors latent): 0.2 ms per gradient against 34 ms for the
Woodbury marginal, with the same posterior.

Each other term adds :math:`o = \\sum_c B_c (W F')_{\\cdot c}` to the mean, with
:math:`B_c[i, \\cdot] = Z_{ic} L[j(i), \\cdot]` (:math:`L` a root of the term's kernel, the
identity for iid terms), and :math:`U'o = \\sum_c (U'B_c)(W F')_{\\cdot c}` in the rotated
likelihood; :math:`U'B_c` is computed once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import scipy.sparse as sp

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm
from .common import coords_of, term_covariance_factor, variance_parameters
from .latent import kernel_root
from .rotated import (
    complete_intercept,
    fixed_effects_rotated,
    is_marginalisable_kernel_term,
    main_kernel_term,
    rotated_likelihood,
    rotation_of,
)

__all__ = ["build", "complete", "applies", "term_design"]


def applies(spec: ModelSpec) -> bool:
    """Gaussian, a marginalisable kernel term and at least one other term (``gp()`` fields: HSGP)."""
    return (spec.family.marginalisable and len(spec.terms) + len(spec.gp_terms) > 1
            and any(is_marginalisable_kernel_term(t) for t in spec.terms)
            and all(g.method == "hsgp" for g in spec.gp_terms))


def term_design(spec: ModelSpec, term: GroupTerm) -> list[Any]:
    """:math:`B_c` per coefficient: a sparse one-hot map (iid) or ``Z_c * L[index]`` (kernel)."""
    n = spec.n
    if term.kernel is None:
        return [sp.csr_matrix((term.Z[:, c], (np.arange(n), term.index)), shape=(n, term.n_levels))
                for c in range(len(term.columns))]
    root = kernel_root(spec.kernels[term.kernel])[term.index]
    return [term.Z[:, [c]] * root for c in range(len(term.columns))]


def _rotate_design(U: np.ndarray, B: Any) -> np.ndarray:
    if sp.issparse(B):
        return np.asarray((B.T @ U).T)
    return U.T @ B


def build(spec: ModelSpec) -> pm.Model:
    """PyMC model: main kernel spectral, other terms latent."""
    if not applies(spec):
        raise SpecError("the hybrid strategy needs a gaussian model with a (1 | gr(id, cov=K)) term "
                        "(one record per id) and other random terms")
    main = main_kernel_term(spec)
    rot = rotation_of(spec, main)
    coords = coords_of(spec)
    coords["coef_free"] = [spec.fixed_columns[j] for j in rot.model_columns]
    need_original = rot.complement > 0 or rot.absorbed
    with pm.Model(coords=coords) as model:
        var = variance_parameters(spec)
        b = fixed_effects_rotated(spec, rot)
        offset_rot, offset = 0.0, 0.0
        for term in spec.terms:
            if term is main:
                continue
            factor = term_covariance_factor(spec, term, var)
            designs = term_design(spec, term)
            width = designs[0].shape[1]
            z = pm.Normal(f"z_{term.key}", 0.0, 1.0, shape=(width, len(term.columns)))
            coef = pt.dot(z, factor.T)  # (width, q)
            if term.kernel is None:
                pm.Deterministic(f"u_{term.key}", coef, dims=(f"{term.key}_level", f"{term.key}_coef"))
            for c, B in enumerate(designs):
                offset_rot = offset_rot + pt.dot(pt.as_tensor_variable(_rotate_design(rot.vectors, B)), coef[:, c])
                if need_original:
                    if term.kernel is None:
                        offset = offset + term.Z[:, c] * coef[term.index, c]
                    else:
                        offset = offset + pt.dot(pt.as_tensor_variable(B), coef[:, c])
        for field in spec.gp_terms:  # HSGP weights latent, basis rotated once (bayeslmm.backend.gp)
            from .gp import rotated_field

            field_rot, field_rows = rotated_field(spec, field, var, rot.vectors, need_original)
            offset_rot = offset_rot + field_rot
            if need_original:
                offset = offset + field_rows
        k = spec.components.index(main.components[0])
        rotated_likelihood(spec, rot, b, var.sd[k] ** 2, var.residual_sd(spec) ** 2,
                           offset=offset if need_original else None, offset_rot=offset_rot)
    return model


def latent_offsets(spec: ModelSpec, idata: Any, effects) -> np.ndarray:
    """Per draw ``(chains, draws, n)``: the other terms' contribution, from their effect draws."""
    post = idata.posterior
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    main = main_kernel_term(spec)
    total = np.zeros((chains * draws, spec.n))
    for term in spec.terms:
        if term is main:
            continue
        u = effects(term)  # (S, J, q)
        total += np.einsum("snq,nq->sn", u[:, term.index], term.Z)
    for field in spec.gp_terms:
        from .gp import field_on_rows

        total += field_on_rows(spec, field, idata)
    return total.reshape(chains, draws, spec.n)


def complete(spec: ModelSpec, idata: Any, seed: int) -> None:
    """Draw an absorbed intercept given the latent terms (see :func:`rotated.complete_intercept`)."""
    from ..results.effects import random_effect_draws

    main = main_kernel_term(spec)
    rot = rotation_of(spec, main)
    if not rot.absorbed:
        return
    offsets = latent_offsets(spec, idata, lambda t: random_effect_draws(spec, idata, "latent", t))
    complete_intercept(spec, rot, idata, offsets, seed)
