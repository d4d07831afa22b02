"""Pick the likelihood strategy for a model and say why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pymc as pm

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from . import dense, latent

__all__ = ["Strategy", "choose", "STRATEGIES", "build"]

STRATEGIES: dict[str, Callable[[ModelSpec], pm.Model]] = {
    "dense": dense.build,
    "latent": latent.build,
}


@dataclass(frozen=True)
class Strategy:
    """The chosen strategy and the reason, shown in summaries and stored on the fit."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def choose(spec: ModelSpec, override: str | None = None) -> Strategy:
    """Choose a strategy for ``spec``; ``override`` forces one (checked for applicability)."""
    if override is not None:
        if override not in STRATEGIES:
            raise SpecError(f"unknown strategy {override!r}; available: {sorted(STRATEGIES)}")
        return Strategy(override, "requested by the user")
    if not spec.terms:
        return Strategy("latent", "no random effects: fixed effects and residual only")
    if not spec.family.marginalisable:
        return Strategy("latent", f"{spec.family.name} family: random effects cannot be integrated out")
    return Strategy("latent", "iid random effects: non-centred latent effects, O(n q) per gradient")


def build(spec: ModelSpec, strategy: Strategy) -> pm.Model:
    """Build the PyMC model of ``spec`` with ``strategy``."""
    return STRATEGIES[strategy.name](spec)
