"""Low-rank strategy: a kernel from m < n markers (K = W W'), integrated out through the
thin SVD of W. O(n m²) once, O(m p + n p) per gradient, no O(n³) step.

The n - m directions orthogonal to W carry the residual variance only
(:mod:`bayeslmm.linalg.rotation`); the likelihood is exact, not an approximation.
"""

from __future__ import annotations

from typing import Any

import pymc as pm

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from . import spectral

__all__ = ["build", "complete", "applies"]


def applies(spec: ModelSpec) -> bool:
    """As :func:`spectral.applies`, and the kernel carries a factor with fewer columns than rows."""
    if not spectral.applies(spec):
        return False
    kernel = spec.kernels[spec.terms[0].kernel]
    return kernel.factor is not None and kernel.factor.shape[1] < len(spec.terms[0].index)


def build(spec: ModelSpec) -> pm.Model:
    """PyMC model with the low-rank kernel integrated out (thin SVD of its factor)."""
    if not applies(spec):
        raise SpecError("the lowrank strategy needs one (1 | gr(id, cov=K)) term whose kernel has a factor W "
                        "(K = W W', e.g. bl.kernels.grm with fewer markers than individuals)")
    return spectral.build(spec)


def complete(spec: ModelSpec, idata: Any, seed: int) -> None:
    spectral.complete(spec, idata, seed)
