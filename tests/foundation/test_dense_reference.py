"""The dense strategy's log-density equals scipy's multivariate normal with the covariance
assembled here independently; the latent strategy's likelihood equals the conditional normal
given its effects. Random parameter values, rtol 1e-8: both sides compute the same
Gaussian density in float64, so only rounding separates them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeslmm as bl

RTOL = 1e-8


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 36
    df = pd.DataFrame({
        "t": rng.uniform(0, 4, n),
        "s": rng.standard_normal(n),
        "a": rng.choice([f"a{i}" for i in range(5)], n),
        "b": rng.choice(["b1", "b2", "b3"], n),
        "id": np.tile([f"i{i}" for i in range(6)], n // 6),
    })
    df["y"] = 3 + df["t"] + rng.standard_normal(n) * 2
    return df


@pytest.fixture(scope="module")
def kernel() -> bl.Kernel:
    rng = np.random.default_rng(12)
    A = rng.standard_normal((6, 6))
    return bl.Kernel(A @ A.T / 6 + 0.2 * np.eye(6), [f"i{i}" for i in range(6)])


FORMULAS = [
    "y ~ t + (1 | a)",
    "y ~ t + (1 + t | a)",
    "y ~ t + (1 + t || a) + (1 | b)",
    "y ~ t + (1 + t + s | a)",
    "y ~ 1 + (1 | a/b)",
    "y ~ t + (1 | a) + (1 | gr(id, cov=K))",
]


def _random_point(pm_model, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random values of every free variable, in the sampler's (transformed) space."""
    point = pm_model.initial_point()
    return {k: v + rng.normal(0.0, 0.7, size=np.shape(v)) for k, v in point.items()}


def _values(pm_model, point: dict, names: list[str]) -> dict[str, np.ndarray]:
    names = [n for n in names if n in pm_model.named_vars]
    outs = pm_model.replace_rvs_by_values([pm_model[n] for n in names])
    fn = pm_model.compile_fn(outs, inputs=pm_model.value_vars, mode="FAST_COMPILE", on_unused_input="ignore")
    return dict(zip(names, fn(point)))


def _term_blocks(spec, term, values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Incidence-times-predictor matrix M (n, q J), level covariance and coefficient covariance."""
    J, q = term.n_levels, len(term.columns)
    E = np.zeros((spec.n, J))
    E[np.arange(spec.n), term.index] = 1.0
    M = np.hstack([E * term.Z[:, [c]] for c in range(q)])  # coefficient-major columns
    k = spec.components.index(term.components[0])
    sd = values["sd"][k : k + q]
    corr = values.get(f"corr_{term.key}", np.eye(q))
    Sigma = corr * np.outer(sd, sd)
    # a kernel term's levels are the kernel's ids in the kernel's own order
    K = np.eye(J) if term.kernel is None else np.asarray(spec.kernels[term.kernel].matrix)
    return M, K, Sigma


def _scipy_marginal(spec, values) -> float:
    V = values["sd"][-1] ** 2 * np.eye(spec.n)
    for term in spec.terms:
        M, K, Sigma = _term_blocks(spec, term, values)
        V += M @ np.kron(Sigma, K) @ M.T
    mean = spec.X @ values["b"]
    return float(stats.multivariate_normal(mean, V).logpdf(spec.y))


@pytest.mark.parametrize("formula", FORMULAS)
def test_dense_equals_scipy_multivariate_normal(formula: str, frame, kernel) -> None:
    model = bl.Model(formula, frame, kernels={"K": kernel}, strategy="dense")
    pm_model = model.build()
    loglik = pm_model.compile_logp(vars=pm_model.observed_RVs, jacobian=False, mode="FAST_COMPILE")
    names = ["b", "sd"] + [f"corr_{t.key}" for t in model.spec.terms]
    rng = np.random.default_rng(5)
    for _ in range(3):
        point = _random_point(pm_model, rng)
        values = _values(pm_model, point, names)
        np.testing.assert_allclose(loglik(point), _scipy_marginal(model.spec, values), rtol=RTOL)


@pytest.mark.parametrize("formula", FORMULAS[:4])
def test_latent_likelihood_is_conditional_normal(formula: str, frame) -> None:
    model = bl.Model(formula, frame, strategy="latent")
    pm_model = model.build()
    loglik = pm_model.compile_logp(vars=pm_model.observed_RVs, jacobian=False, mode="FAST_COMPILE")
    names = ["b", "sd"] + [f"u_{t.key}" for t in model.spec.terms]
    point = _random_point(pm_model, np.random.default_rng(6))
    values = _values(pm_model, point, names)
    eta = model.spec.X @ values["b"]
    for term in model.spec.terms:
        u = values[f"u_{term.key}"]  # (J, q)
        eta = eta + np.sum(u[term.index] * term.Z, axis=1)
    expected = stats.norm(eta, values["sd"][-1]).logpdf(model.spec.y).sum()
    np.testing.assert_allclose(loglik(point), expected, rtol=RTOL)
