"""Spectral strategy: one kernel plus residual, one record per id, integrated out in the
kernel's eigenbasis. O(k p) per gradient after one eigendecomposition (cached per kernel).

:math:`y^* = U'y \\sim N(U'Xb, \\text{diag}(\\sigma_g^2 \\lambda + \\sigma_e^2))`.
"""

from __future__ import annotations

from typing import Any

import pymc as pm

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from .common import coords_of, variance_parameters
from .rotated import complete_intercept, fixed_effects_rotated, main_kernel_term, rotated_likelihood, rotation_of

__all__ = ["build", "complete", "applies"]


def applies(spec: ModelSpec) -> bool:
    """Gaussian, a single term which is ``(1 | gr(id, cov=K))`` with one record per id."""
    from .rotated import is_marginalisable_kernel_term

    return spec.family.marginalisable and len(spec.terms) == 1 and is_marginalisable_kernel_term(spec.terms[0])


def build(spec: ModelSpec) -> pm.Model:
    """PyMC model with the kernel effect integrated out spectrally."""
    if not applies(spec):
        raise SpecError("the spectral strategy needs a gaussian model with exactly one term (1 | gr(id, cov=K)) "
                        "and one record per id; use 'hybrid', 'woodbury', 'latent' or 'dense'")
    term = main_kernel_term(spec)
    rot = rotation_of(spec, term)
    coords = coords_of(spec)
    coords["coef_free"] = [spec.fixed_columns[j] for j in rot.model_columns]
    with pm.Model(coords=coords) as model:
        var = variance_parameters(spec)
        b = fixed_effects_rotated(spec, rot)
        k = spec.components.index(term.components[0])
        rotated_likelihood(spec, rot, b, var.sd[k] ** 2, var.residual_sd(spec) ** 2)
    return model


def complete(spec: ModelSpec, idata: Any, seed: int) -> None:
    """Draw an absorbed intercept after sampling (see :func:`rotated.complete_intercept`)."""
    term = main_kernel_term(spec)
    complete_intercept(spec, rotation_of(spec, term), idata, None, seed)


def describe(spec: ModelSpec) -> str:
    """What the rotation did, for the strategy reason."""
    term = main_kernel_term(spec)
    rot = rotation_of(spec, term)
    text = f"rank {rot.k} of {rot.n}"
    if rot.absorbed:
        text += "; intercept integrated out with a flat prior (the kernel's null space holds the 1-vector)"
    return text
