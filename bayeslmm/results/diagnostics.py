"""Sampling diagnostics with plain-language advice.

Each check reads one sampler statistic of ``idata.sample_stats``; the samplers name them
differently:

==================  ==============  =========================  ===========================
check               nutpie          PyMC NUTS                  numpyro (through PyMC)
==================  ==============  =========================  ===========================
divergences         ``diverging``   ``diverging``              ``diverging``
tree depth          ``maxdepth_reached`` (flag)  ``reached_max_treedepth`` (flag)  ``tree_depth`` >= 10
E-BFMI              ``energy``      ``energy``                 ``energy``
==================  ==============  =========================  ===========================

A statistic the sampler did not record is listed in :attr:`Diagnostics.unchecked` rather
than silently counted as zero.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Diagnostics", "diagnose", "warn_problems", "SamplingWarning"]

RHAT_MAX = 1.01
ESS_MIN_PER_CHAIN = 100
BFMI_MIN = 0.3
MAX_TREE_DEPTH = 10
"""Default maximum tree depth of nutpie, PyMC and numpyro (used when only depths are recorded)."""
BOUNDARY = 0.01
"""A proportion whose interval reaches below this is at its boundary (variance near 0)."""

_DIVERGING = ("diverging",)
_DEPTH_FLAGS = ("maxdepth_reached", "reached_max_treedepth")
_DEPTHS = ("tree_depth", "depth")


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
    n_draws
        Draws after tuning, all chains.
    problems
        One sentence per failed check, each with advice.
    unchecked
        Checks that could not run because the sampler did not record their statistic.
    """

    table: pd.DataFrame
    divergences: int
    tree_depth_hits: int
    bfmi: np.ndarray
    n_draws: int
    problems: tuple[str, ...] = field(default_factory=tuple)
    unchecked: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __repr__(self) -> str:
        bfmi = f"min E-BFMI {self.bfmi.min():.2f}" if self.bfmi.size else "E-BFMI not recorded"
        head = (f"Diagnostics: {'all checks pass' if self.ok else f'{len(self.problems)} problem(s)'}; "
                f"divergences {self.divergences}, max-tree-depth hits {self.tree_depth_hits}, {bfmi}, "
                f"max r_hat {self.table['r_hat'].max():.3f}, min bulk ESS {self.table['ess_bulk'].min():.0f}")
        lines = [head] + [f"  - {p}" for p in self.problems]
        if self.unchecked:
            lines.append(f"  not checked (statistic not recorded by the sampler): {', '.join(self.unchecked)}")
        return "\n".join(lines)


def _stat(idata: Any, *names: str) -> np.ndarray | None:
    """The first of ``names`` present in ``sample_stats``, else ``None``."""
    stats = idata.get("sample_stats") if hasattr(idata, "get") else getattr(idata, "sample_stats", None)
    if stats is None:
        return None
    for n in names:
        if n in stats:
            return np.asarray(stats[n].values)
    return None


def tree_depth_hits(idata: Any, max_depth: int = MAX_TREE_DEPTH) -> int | None:
    """Draws whose trajectory stopped at the maximum tree depth (``None``: not recorded).

    Reads the sampler's flag (nutpie ``maxdepth_reached``, PyMC ``reached_max_treedepth``);
    without one, counts depths of at least ``max_depth`` (numpyro's ``tree_depth``).
    """
    flag = _stat(idata, *_DEPTH_FLAGS)
    if flag is not None:
        return int(np.sum(flag))
    depth = _stat(idata, *_DEPTHS)
    if depth is not None:
        return int(np.sum(depth >= max_depth))
    return None


def _energy_bfmi(idata: Any) -> np.ndarray | None:
    from . import arviz_bridge as azb

    if _stat(idata, "energy") is None:
        return None
    return azb.bfmi(idata)


def _boundary_proportions(summary: pd.DataFrame) -> list[str]:
    """Variance proportions whose interval reaches down to ~0 (the residual excluded)."""
    if "lower" not in summary.columns:
        return []
    rows = [r for r in summary.index if str(r).startswith("proportion(") and r != "proportion(Residual)"]
    return [r for r in rows if summary.loc[r, "lower"] < BOUNDARY]


def diagnose(summary: pd.DataFrame, idata: Any) -> Diagnostics:
    """Run every check on a fit's summary table and sampler statistics.

    Parameters
    ----------
    summary
        Table with ``r_hat``, ``ess_bulk``, ``ess_tail`` (and ``lower`` for the boundary
        advice) per reported quantity, as ``Fit.summary()``.
    idata
        InferenceData with ``posterior`` and ``sample_stats``.
    """
    post = idata.posterior
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    unchecked = []
    div = _stat(idata, *_DIVERGING)
    if div is None:
        unchecked.append("divergences")
    n_div = int(np.sum(div)) if div is not None else 0
    hits = tree_depth_hits(idata)
    if hits is None:
        unchecked.append("tree depth")
    n_depth = hits or 0
    bfmi = _energy_bfmi(idata)
    if bfmi is None:
        unchecked.append("E-BFMI")
        bfmi = np.array([])
    table = summary[["r_hat", "ess_bulk", "ess_tail"]]
    problems = []
    if n_div:
        boundary = _boundary_proportions(summary)
        where = (f" {boundary[:3]} reach 0 (interval lower bound < {BOUNDARY}): a stronger prior on the "
                 "proportions (priors={'proportions': ...}, e.g. a Dirichlet with larger concentrations) or "
                 "dropping that term usually removes them." if boundary else
                 " If a variance sits at its boundary, put a stronger prior on the proportions "
                 "(priors={'proportions': ...}) or drop the term.")
        problems.append(
            f"{n_div} divergent transitions ({n_div / (chains * draws):.1%} of draws): the posterior has regions "
            "NUTS cannot follow, so it may be biased. Raise target_accept (fit(target_accept=0.95)) and tuning "
            "(fit(tune=2000))." + where
        )
    rhat = table["r_hat"].to_numpy(dtype=float)
    bad_rhat = table.index[rhat > RHAT_MAX].tolist()
    if bad_rhat and chains > 1:
        problems.append(
            f"r_hat above {RHAT_MAX} for {bad_rhat[:5]}{' ...' if len(bad_rhat) > 5 else ''} (max "
            f"{np.nanmax(rhat):.3f}): chains disagree. Run more tuning and draws (fit(tune=2000, draws=2000)); "
            "if it persists the posterior may be multimodal or a term not identified."
        )
    need = ESS_MIN_PER_CHAIN * chains
    low = table.index[(table["ess_bulk"] < need) | (table["ess_tail"] < need)].tolist()
    if low:
        problems.append(
            f"effective sample size below {need} ({ESS_MIN_PER_CHAIN} per chain) for {low[:5]}"
            f"{' ...' if len(low) > 5 else ''} (min bulk {table['ess_bulk'].min():.0f}, tail "
            f"{table['ess_tail'].min():.0f}): intervals are unreliable. Draw more (fit(draws=...)) or "
            "reparameterise."
        )
    if n_depth:
        problems.append(
            f"{n_depth} draws ({n_depth / (chains * draws):.1%}) hit the maximum tree depth "
            f"({MAX_TREE_DEPTH}): the posterior is strongly correlated or badly scaled, so sampling is slow and "
            "may be incomplete. Standardise predictors, or choose another strategy (strategy=...)."
        )
    if bfmi.size and np.any(bfmi < BFMI_MIN):
        problems.append(
            f"low energy: E-BFMI {[round(float(b), 3) for b in bfmi]} below {BFMI_MIN} in "
            f"{int(np.sum(bfmi < BFMI_MIN))} chain(s): the sampler explores the variance parameters poorly "
            "(heavy tails or a funnel). More tuning, a non-centred parameterisation or a stronger prior on "
            "the variances helps."
        )
    return Diagnostics(table, n_div, n_depth, np.asarray(bfmi), chains * draws, tuple(problems), tuple(unchecked))


def warn_problems(diag: Diagnostics) -> None:
    """Issue one :class:`SamplingWarning` per failed check."""
    for p in diag.problems:
        warnings.warn(p, SamplingWarning, stacklevel=3)
