"""Fixtures of the command-line, report and plot tests.

One small fit (simulated sleep-study data, 2 chains x 200 draws) serves every report and plot
test: these check structure, not statistics, so short chains are enough.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "models"


@pytest.fixture(scope="session")
def small_fit():
    import bayeslmm as bl

    df = bl.datasets.sleepstudy_like(n_subjects=12, n_days=8, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bl.Model("Reaction ~ Days + (Days | Subject)", df).fit(
            draws=200, tune=200, chains=2, seed=3, progress=False)


@pytest.fixture(scope="session")
def small_report(small_fit, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = small_fit.report(out, title="Sleep study (simulated)", description="A test report.",
                                truth={"Days": 10.5})
    return path
