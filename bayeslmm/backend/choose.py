"""Pick the likelihood strategy for a model and say why.

============  =====================================================================
strategy      used for
============  =====================================================================
spectral      Gaussian, one ``(1 | gr(id, cov=K))`` term, one record per id
lowrank       the same with a kernel from m < n features (thin SVD, no O(n³) step)
hybrid        Gaussian, such a kernel term plus other terms (latent, non-centred)
woodbury      exact marginal with every term as a factor (reference for hybrid)
hsgp          Gaussian, ``gp()`` fields (HSGP) and iid intercepts integrated out (Gram matrix)
crossed       Gaussian, two or more iid intercept terms: all integrated out jointly (Schur complement)
collapsed     Gaussian, iid terms only: one term integrated out level by level, others latent
latent        everything else: iid terms, slopes on kernels, repeated records, GLMMs
dense         the O(n³) reference, small n only
============  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pymc as pm

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from . import collapsed, crossed, dense, gp, hsgp, hybrid, latent, lowrank, spectral, woodbury
from .rotated import is_marginalisable_kernel_term

__all__ = ["Strategy", "choose", "STRATEGIES", "build", "complete"]

STRATEGIES: dict[str, ModuleType] = {
    "spectral": spectral,
    "lowrank": lowrank,
    "hybrid": hybrid,
    "woodbury": woodbury,
    "hsgp": hsgp,
    "crossed": crossed,
    "collapsed": collapsed,
    "latent": latent,
    "dense": dense,
}


@dataclass(frozen=True)
class Strategy:
    """The chosen strategy and the reason, shown in summaries and stored on the fit."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def _kernel_reason(spec: ModelSpec) -> str:
    try:
        return spectral.describe(spec) if spectral.applies(spec) else ""
    except Exception:  # describe is informative only
        return ""


def choose(spec: ModelSpec, override: str | None = None) -> Strategy:
    """Choose a strategy for ``spec``; ``override`` forces one (checked when building)."""
    if override is not None:
        if override not in STRATEGIES:
            raise SpecError(f"unknown strategy {override!r}; available: {sorted(STRATEGIES)}")
        if spec.gp_terms and override not in gp.GP_STRATEGIES:
            raise SpecError(f"strategy {override!r} does not handle gp() terms; use one of {list(gp.GP_STRATEGIES)}")
        if spec.sigma is not None and override != "latent":
            raise SpecError(f"strategy {override!r} assumes one residual sd; the sigma formula "
                            f"{spec.sigma.formula!r} needs strategy 'latent'")
        applies = getattr(STRATEGIES[override], "applies", None)
        if applies is not None and not applies(spec):
            raise SpecError(f"strategy {override!r} does not apply to this model: {STRATEGIES[override].build.__doc__.splitlines()[0]}")
        return Strategy(override, "requested by the user")
    if spec.gp_terms:
        return Strategy(*gp.choose_strategy(spec))
    if spec.sigma is not None:
        return Strategy("latent", f"residual sd varies by row ({spec.sigma.formula}): marginal strategies "
                                  "assume one residual sd")
    if not spec.terms:
        return Strategy("latent", "no random effects: fixed effects and residual only")
    if not spec.family.marginalisable:
        return Strategy("latent", f"{spec.family.name} family: random effects cannot be integrated out")
    if not spec.has_kernels:
        if crossed.applies(spec):
            terms = crossed.ordered_terms(spec)
            return Strategy("crossed", f"{' + '.join(f'(1 | {t.group})' for t in terms)} integrated out jointly "
                                       f"({terms[0].n_levels} + {sum(t.n_levels for t in terms[1:])} effects, "
                                       "Schur complement on the smaller part)")
        if collapsed.applies(spec):
            main = collapsed.collapsed_term(spec)
            others = [t.group for t in spec.terms if t is not main]
            rest = f"; {', '.join(others)} latent and non-centred" if others else ""
            return Strategy("collapsed", f"({' + '.join(main.columns).replace('Intercept', '1')} | {main.group}) "
                                         f"integrated out level by level ({main.n_levels} levels){rest}")
        return Strategy("latent", "iid random effects: non-centred latent effects, O(n q) per gradient")
    if lowrank.applies(spec):
        k = spec.kernels[spec.terms[0].kernel]
        return Strategy("lowrank", f"one kernel from {k.factor.shape[1]} features < {spec.n} rows: thin SVD, "
                                   f"no O(n³) step; exact ({_kernel_reason(spec)})")
    if spectral.applies(spec):
        return Strategy("spectral", f"one kernel, one record per id: integrated out in its eigenbasis, "
                                    f"O(n p) per gradient ({_kernel_reason(spec)})")
    if hybrid.applies(spec):
        main = next(t for t in spec.terms if is_marginalisable_kernel_term(t))
        others = ", ".join(t.group for t in spec.terms if t is not main)
        return Strategy("hybrid", f"{main.group} integrated out spectrally; {others} latent and non-centred")
    reasons = []
    for t in spec.terms:
        if t.kernel and not t.is_intercept_only:
            reasons.append(f"slopes on {t.group}")
        elif t.kernel and len(set(t.index.tolist())) < len(t.index):
            reasons.append(f"repeated records per id in {t.group}")
    return Strategy("latent", "; ".join(reasons or ["kernel terms"]) + ": non-centred latent effects")


def build(spec: ModelSpec, strategy: Strategy) -> pm.Model:
    """Build the PyMC model of ``spec`` with ``strategy``."""
    return STRATEGIES[strategy.name].build(spec)


def complete(spec: ModelSpec, strategy: Strategy, idata: Any, seed: int) -> None:
    """Strategy-specific additions to the posterior after sampling (e.g. an absorbed intercept)."""
    finish = getattr(STRATEGIES[strategy.name], "complete", None)
    if finish is not None:
        finish(spec, idata, seed)
    if spec.gp_terms:
        gp.record(spec, idata)
