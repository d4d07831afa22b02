"""Shared test helpers: evaluate a PyMC model's likelihood and deterministics at chosen values
of its free variables (untransformed), for comparing strategies with dense references."""

from __future__ import annotations

import numpy as np


def point(model, values: dict) -> dict:
    """Transformed-space point from untransformed values of the free variables."""
    out = {}
    for rv in model.free_RVs:
        value = np.asarray(values[rv.name], dtype=float)
        transform = model.rvs_to_transforms.get(rv)
        if transform is not None:
            value = transform.forward(value, *rv.owner.inputs).eval()
        out[model.rvs_to_values[rv].name] = value
    return out


def likelihood(model, values: dict) -> float:
    """Observed log densities plus potentials (no priors, no Jacobians)."""
    fn = model.compile_logp(vars=list(model.observed_RVs) + list(model.potentials), jacobian=False)
    return float(fn(point(model, values)))


def deterministic(model, name: str, values: dict) -> np.ndarray:
    """A deterministic's value at ``values``."""
    out = model.replace_rvs_by_values([model[name]])[0]
    fn = model.compile_fn(out, inputs=model.value_vars, on_unused_input="ignore")
    return np.asarray(fn(point(model, values)))


def random_values(model, rng) -> dict:
    """Random untransformed values of the free variables: tau, proportions on the simplex,
    correlation parameters in (0.1, 0.9), everything else standard normal."""
    values = {}
    for rv in model.free_RVs:
        shape = tuple(rv.shape.eval())
        if rv.name == "tau":
            values[rv.name] = rng.uniform(0.5, 3.0)
        elif rv.name == "proportions":
            a = rng.uniform(0.2, 2.0, shape)
            values[rv.name] = a / a.sum()
        elif rv.name.startswith("cpc_"):
            values[rv.name] = rng.uniform(0.1, 0.9, shape)
        else:
            values[rv.name] = rng.standard_normal(shape)
    return values
