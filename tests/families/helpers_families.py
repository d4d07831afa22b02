"""Helpers of the family tests: simulated data and cheap stand-in fits.

``prior_fit`` wraps prior draws of a model as if they were a posterior: the tables,
latent-scale proportions, residual sds and predictions can then be checked against hand
computations on the same draws without running NUTS (the Bambi conftest trick).
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

import bayeslmm as bl
from bayeslmm.results.fit import Fit


def simulate(n: int = 60, seed: int = 0) -> tuple[pd.DataFrame, bl.Kernel]:
    """One row per id; every family's response from the same linear predictor."""
    rng = np.random.default_rng(seed)
    G = bl.kernels.grm(bl.datasets.genotypes(n, 40, seed=seed + 1))
    g = rng.integers(0, 6, n)
    x = rng.standard_normal(n)
    eta = 0.2 + 0.5 * x + rng.normal(0, 0.4, 6)[g]
    p = 1 / (1 + np.exp(-eta))
    df = pd.DataFrame({"id": G.ids, "x": x, "g": [f"g{i}" for i in g],
                       "grp": np.where(np.arange(n) % 3 == 0, "b", "a")})
    df["yb"] = (rng.random(n) < p).astype(int)
    df["trials"] = rng.integers(1, 6, n)
    df["yk"] = rng.binomial(df["trials"], p)
    df["yc"] = rng.poisson(np.exp(eta))
    df["yt"] = eta + 0.5 * rng.standard_t(4, n)
    df["yg"] = eta + np.where(df["grp"] == "a", 0.3, 0.9) * rng.standard_normal(n)
    return df, G


# family, link, response expression: every family the library has
FAMILIES = [
    ("gaussian", None, "yg"),
    ("student_t", None, "yt"),
    ("bernoulli", "logit", "yb"),
    ("bernoulli", "probit", "yb"),
    ("binomial", "logit", "p(yk, trials)"),
    ("binomial", "probit", "p(yk, trials)"),
    ("poisson", None, "yc"),
    ("negativebinomial", None, "yc"),
]

# tight variance priors keep prior draws in a range where predictions stay finite
TIGHT = {"tau": bl.Prior("HalfNormal", sigma=0.7)}


def prior_fit(model: bl.Model, draws: int = 120, seed: int = 1) -> Fit:
    """A Fit whose 'posterior' is ``2 * draws`` prior draws of ``model``, as 2 chains."""
    with model.build():
        prior = pm.sample_prior_predictive(2 * draws, random_seed=seed, var_names=_names(model)).prior
    variables = {
        name: (("chain", "draw") + v.dims[2:], v.values.reshape((2, draws) + v.shape[2:]))
        for name, v in prior.data_vars.items()
    }
    coords = {c: prior.coords[c].values for c in prior.coords if c not in ("chain", "draw")}
    return Fit(model, az.InferenceData(posterior=xr.Dataset(variables, coords=coords)))


def _names(model: bl.Model) -> list[str]:
    pm_model = model.build()
    return [v.name for v in pm_model.free_RVs + pm_model.deterministics]
