"""Sampling diagnostics with plain-language advice."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Diagnostics", "diagnose", "SamplingWarning"]

RHAT_MAX = 1.01
ESS_MIN_PER_CHAIN = 100
BFMI_MIN = 0.3


class SamplingWarning(UserWarning):
    """A sampling diagnostic failed; the message says what to do."""


@dataclass(frozen=True)
class Diagnostics:
    """Convergence and sampler-health checks of one fit.

    Attributes
    ----------
    table
        Per reported quantity: ``r_hat``, ``ess_bulk``, ``ess_tail``.
    divergences
        Number of divergent transitions after tuning.
    tree_depth_hits
        Draws that hit the maximum tree depth.
    bfmi
        Energy Bayesian fraction of missing information, per chain.
    problems
        One sentence per failed check, each with advice.
    """

    table: pd.DataFrame
    divergences: int
    tree_depth_hits: int
    bfmi: np.ndarray
    n_draws: int
    problems: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __repr__(self) -> str:
        head = (f"Diagnostics: {'all checks pass' if self.ok else f'{len(self.problems)} problem(s)'}; "
                f"divergences {self.divergences}, max-tree-depth hits {self.tree_depth_hits}, "
                f"max r_hat {self.table['r_hat'].max():.3f}, min bulk ESS {self.table['ess_bulk'].min():.0f}")
        return "\n".join([head] + [f"  - {p}" for p in self.problems])


def _stat(idata: Any, *names: str) -> np.ndarray | None:
    stats = idata.get("sample_stats") if hasattr(idata, "get") else getattr(idata, "sample_stats", None)
    if stats is None:
        return None
    for n in names:
        if n in stats:
            return np.asarray(stats[n].values)
    return None


def diagnose(summary: pd.DataFrame, idata: Any, proportions: list[str] | None = None) -> Diagnostics:
    """Run every check on a fit's summary table and sampler statistics."""
    from . import arviz_bridge as azb

    post = idata.posterior
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    div = _stat(idata, "diverging")
    n_div = int(np.sum(div)) if div is not None else 0
    depth = _stat(idata, "reached_max_treedepth", "maxdepth_reached")
    n_depth = int(np.sum(depth)) if depth is not None else 0
    try:
        bfmi = azb.bfmi(idata)
    except Exception:  # samplers without an energy statistic
        bfmi = np.array([])
    table = summary[["r_hat", "ess_bulk", "ess_tail"]]
    problems = []
    if n_div:
        problems.append(
            f"{n_div} divergent transitions: the posterior has regions NUTS cannot follow. Raise "
            "target_accept (e.g. fit(target_accept=0.95)); if a variance sits at its boundary, put a "
            "stronger prior on its proportion (priors={'proportions': {...}}) or drop the term."
        )
    bad_rhat = table.index[table["r_hat"] > RHAT_MAX].tolist()
    if bad_rhat and chains > 1:
        problems.append(
            f"r_hat above {RHAT_MAX} for {bad_rhat[:5]}: chains disagree. Run more tuning and draws "
            "(fit(tune=2000, draws=2000)) or check the model for non-identified terms."
        )
    need = ESS_MIN_PER_CHAIN * chains
    low = table.index[(table["ess_bulk"] < need) | (table["ess_tail"] < need)].tolist()
    if low:
        problems.append(
            f"effective sample size below {need} ({ESS_MIN_PER_CHAIN} per chain) for {low[:5]}: "
            "intervals are unreliable. Draw more (fit(draws=...)) or reparameterise."
        )
    if n_depth:
        problems.append(
            f"{n_depth} draws hit the maximum tree depth: sampling is slow and may be incomplete. "
            "Rescale predictors or use another strategy (strategy=...)."
        )
    if bfmi.size and np.any(bfmi < BFMI_MIN):
        problems.append(
            f"low energy (E-BFMI {np.round(bfmi, 2).tolist()} < {BFMI_MIN}): the sampler explores the "
            "variance parameters poorly. More tuning or a different parameterisation helps."
        )
    return Diagnostics(table, n_div, n_depth, bfmi, chains * draws, tuple(problems))


def warn_problems(diag: Diagnostics) -> None:
    """Issue one :class:`SamplingWarning` per failed check."""
    for p in diag.problems:
        warnings.warn(p, SamplingWarning, stacklevel=3)
