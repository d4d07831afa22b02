"""Every fast strategy's log-likelihood equals the dense reference at random parameters.

Tolerance rtol 1e-8: the strategies are exact rewrites of the same Gaussian density, so only
floating-point rounding separates them (the eigendecompositions are accurate to ~1e-13).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

import bayeslmm as bl
from bayeslmm.backend.dense import row_covariance
from bayeslmm.backend.hybrid import term_design

RTOL = 1e-8


def _point(model, values: dict) -> dict:
    """Transformed-space point from untransformed values of the free variables."""
    point = {}
    for rv in model.free_RVs:
        value = np.asarray(values[rv.name], dtype=float)
        transform = model.rvs_to_transforms.get(rv)
        vv = model.rvs_to_values[rv]
        if transform is not None:
            value = transform.forward(value, *rv.owner.inputs).eval()
        point[vv.name] = value
    return point


def _likelihood(model, values: dict) -> float:
    terms = list(model.observed_RVs) + list(model.potentials)
    fn = model.compile_logp(vars=terms, jacobian=False)
    return float(fn(_point(model, values)))


def _random_values(spec, rng, model):
    values = {"tau": rng.uniform(0.5, 2.0)}
    a = rng.uniform(0.5, 2.0, len(spec.components))
    values["proportions"] = a / a.sum()
    free = {rv.name: rv for rv in model.free_RVs}
    for name, rv in free.items():
        if name in values:
            continue
        shape = tuple(rv.shape.eval())
        values[name] = rng.standard_normal(shape)
    return values


def _dense_covariance(spec, values):
    sd = np.sqrt(values["proportions"]) * values["tau"]
    V = sd[-1] ** 2 * np.eye(spec.n)
    for t in spec.terms:
        k = spec.components.index(t.components[0])
        V += sd[k] ** 2 * row_covariance(spec, t)
    return V, sd


def _offset(spec, term, values, sd):
    k = spec.components.index(term.components[0])
    B = term_design(spec, term)[0]
    z = values[f"z_{term.key}"][:, 0]
    return np.asarray(B @ z).ravel() * sd[k]


def _reference(spec, values, marginal_terms, absorbed: bool) -> float:
    """Dense log N(y; Xb + offsets, V_marginal), integrated over a flat intercept if absorbed."""
    sd = np.sqrt(values["proportions"]) * values["tau"]
    V = sd[-1] ** 2 * np.eye(spec.n)
    mean = np.zeros(spec.n)
    for t in spec.terms:
        k = spec.components.index(t.components[0])
        if t in marginal_terms:
            V += sd[k] ** 2 * row_covariance(spec, t)
        else:
            mean += _offset(spec, t, values, sd)
    cols = list(spec.fixed_columns)
    if absorbed:
        rest = [j for j, c in enumerate(cols) if c != "Intercept"]
        b_rest = values["b_free"] if rest else np.zeros(0)
        r = spec.y - mean - spec.X[:, rest] @ b_rest
        Vi1 = np.linalg.solve(V, np.ones(spec.n))
        b0 = Vi1 @ r / Vi1.sum()
        dens = multivariate_normal(np.full(spec.n, b0), V).logpdf(r)
        return dens + 0.5 * np.log(2 * np.pi) - 0.5 * np.log(Vi1.sum())
    b = values.get("b", np.zeros(0))
    return multivariate_normal(mean + spec.X @ b if cols else mean, V).logpdf(spec.y)


CASES = [
    # formula, strategy, marginal term positions, expect absorbed intercept
    ("y ~ x + (1 | gr(id, cov=P))", "spectral", [0], False),
    ("y ~ 0 + (1 | gr(id, cov=P))", "spectral", [0], False),
    ("y ~ x + (1 | gr(id, cov=G))", "spectral", [0], True),
    ("y ~ 1 + (1 | gr(id, cov=G))", "spectral", [0], True),
    ("y ~ x + (1 | gr(id, cov=S))", "lowrank", [0], True),
    ("y ~ x + (1 | gr(id, cov=P)) + (1 | mother)", "hybrid", [0], False),
    ("y ~ x + (1 | gr(id, cov=G)) + (1 | gr(id, cov=S))", "hybrid", [0], True),
    ("y ~ x + (1 | gr(id, cov=S)) + (1 | gr(id, cov=P)) + (1 | mother)", "hybrid", [0], True),
    ("y ~ x + (1 | gr(id, cov=P)) + (1 | gr(id, cov=S))", "woodbury", [0, 1], False),
    ("y ~ x + (1 | gr(id, cov=G)) + (1 | gr(id, cov=S)) + (1 | mother)", "woodbury", [0, 1, 2], False),
]


@pytest.mark.parametrize("formula,strategy,marginal,absorbed", CASES)
def test_strategy_matches_dense(kernel_data, formula, strategy, marginal, absorbed):
    df, kernels = kernel_data
    model = bl.Model(formula, df, kernels=kernels, strategy=strategy)
    pm_model = model.build()
    spec = model.spec
    rng = np.random.default_rng(abs(hash(formula)) % 2**32)
    for _ in range(3):
        values = _random_values(spec, rng, pm_model)
        got = _likelihood(pm_model, values)
        terms = [spec.terms[i] for i in marginal]
        want = _reference(spec, values, terms, absorbed)
        assert np.isclose(got, want, rtol=RTOL, atol=0), (got, want)


def test_dense_strategy_matches_scipy(kernel_data):
    df, kernels = kernel_data
    model = bl.Model("y ~ x + (1 | gr(id, cov=G)) + (1 | mother)", df, kernels=kernels, strategy="dense")
    pm_model = model.build()
    rng = np.random.default_rng(3)
    values = _random_values(model.spec, rng, pm_model)
    got = _likelihood(pm_model, values)
    want = _reference(model.spec, values, list(model.spec.terms), False)
    assert np.isclose(got, want, rtol=RTOL)


def test_repeated_records_woodbury_matches_dense(kernel_data):
    """Two records per id: no spectral rotation; the kernel enters Woodbury as a factor."""
    df, kernels = kernel_data
    twice = pd.concat([df, df.assign(y=df.y + np.random.default_rng(0).standard_normal(len(df)))], ignore_index=True)
    model = bl.Model("y ~ x + (1 | gr(id, cov=S)) + (1 | mother)", twice, kernels=kernels, strategy="woodbury")
    assert bl.Model("y ~ x + (1 | gr(id, cov=S))", twice, kernels=kernels).strategy.name == "latent"
    pm_model = model.build()
    rng = np.random.default_rng(5)
    values = _random_values(model.spec, rng, pm_model)
    got = _likelihood(pm_model, values)
    want = _reference(model.spec, values, list(model.spec.terms), False)
    assert np.isclose(got, want, rtol=RTOL)


@pytest.mark.parametrize("formula,expected", [
    ("y ~ x + (1 | gr(id, cov=P))", "spectral"),
    ("y ~ x + (1 | gr(id, cov=S))", "lowrank"),
    ("y ~ x + (1 | gr(id, cov=G)) + (1 | mother)", "hybrid"),
    ("y ~ x + (1 + x | gr(id, cov=G))", "latent"),
    ("y ~ x + (1 | mother)", "collapsed"),
])
def test_choose_picks_and_explains(kernel_data, formula, expected):
    df, kernels = kernel_data
    model = bl.Model(formula, df, kernels=kernels)
    assert model.strategy.name == expected
    assert model.strategy.reason
