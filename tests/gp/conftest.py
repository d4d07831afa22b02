"""Fixtures of the gp() tests: small simulated fields (no sampling) and, for the slow tests,
session-scoped fits shared by several checks."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers_gp under --import-mode=importlib

import bayeslmm as bl


@pytest.fixture(scope="session")
def small_field() -> pd.DataFrame:
    """n = 60 locations on [0, 10] x [0, 4], a covariate, a 3-level factor, a Gaussian response."""
    rng = np.random.default_rng(11)
    n = 60
    df = pd.DataFrame({"x": rng.uniform(0, 10, n), "v": rng.uniform(0, 4, n), "env": rng.standard_normal(n),
                       "site": rng.integers(0, 3, n).astype(str), "w": rng.uniform(0.5, 2.0, n)})
    df["y"] = 1.0 + 0.5 * df.env + np.sin(df.x) + 0.3 * rng.standard_normal(n)
    df["count"] = rng.poisson(np.exp(0.3 + 0.4 * np.sin(df.x)))
    return df


def _fit(formula, data, *, family="gaussian", draws=400, tune=400, seed=1, **model_kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bl.Model(formula, data, family=family, **model_kwargs).fit(
            draws=draws, tune=tune, chains=2, seed=seed, progress=False)


@pytest.fixture(scope="session")
def field_1000():
    """The recovery data: a Matérn 3/2 field, lengthscale 0.15, sd 1, on the unit square, n = 1,000,
    noise sd 0.5, environment effect 0.5; fitted with the default (HSGP) approximation."""
    df = bl.datasets.spatial_field(1000, lengthscale=0.15, sd_field=1.0, sigma=0.5, env_effect=0.5, seed=3)
    return df, _fit("response ~ env + gp(x, y)", df, draws=500, tune=500)


@pytest.fixture(scope="session")
def exact_and_hsgp():
    """n = 150 (exact GP costs O(n³) per gradient): the same data fitted exactly and with HSGP."""
    df = bl.datasets.spatial_field(150, lengthscale=0.25, sd_field=1.0, sigma=0.4, env_effect=0.5, seed=4)
    exact = _fit('response ~ env + gp(x, y, approx="exact")', df, draws=400, tune=300)
    hsgp = _fit('response ~ env + gp(x, y, approx="hsgp")', df, draws=400, tune=300)
    return df, exact, hsgp


@pytest.fixture(scope="session")
def species_counts():
    """Poisson counts of a species: log mean 0.5 + 0.8 env + field (sd 0.7, lengthscale 0.2), n = 600."""
    df = bl.datasets.spatial_field(600, lengthscale=0.2, sd_field=0.7, intercept=0.5, env_effect=0.8,
                                   family="poisson", seed=5)
    return df, _fit("count ~ env + gp(x, y)", df, family="poisson", draws=400, tune=400)
