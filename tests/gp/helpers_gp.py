"""Shared helpers of the gp() tests: evaluate a PyMC model's likelihood at chosen values."""

from __future__ import annotations

import numpy as np
from model_values import deterministic, likelihood, point  # noqa: F401  (re-exported)


def random_values(model, spec, rng: np.random.Generator) -> dict:
    """Random values of every free variable: positive lengthscales within the data's extent."""
    values = {"tau": rng.uniform(0.5, 2.0)}
    a = rng.uniform(0.5, 2.0, len(spec.components))
    values["proportions"] = a / a.sum()
    for g in spec.gp_terms:
        values[f"ls_{g.key}"] = rng.uniform(0.1, 0.5) * g.extent
    for rv in model.free_RVs:
        if rv.name not in values:
            values[rv.name] = rng.standard_normal(tuple(rv.shape.eval()))
    return values
