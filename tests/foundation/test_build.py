"""``model.build()`` gives a PyMC model with a finite log-density and gradient at its initial
point for every kind of formula (no sampling). Functions are compiled in FAST_COMPILE
mode: one evaluation does not repay a C compile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

import bayeslmm as bl


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 72
    df = pd.DataFrame({
        "t": np.tile(np.arange(6.0), n // 6),
        "s": rng.standard_normal(n),
        "x": rng.standard_normal(n),
        "cat": np.tile(["u", "v", "w"], n // 3),
        "a": np.repeat([f"a{i}" for i in range(6)], n // 6),
        "b": np.tile(np.repeat(["b1", "b2"], 3), n // 6),
        "id": np.tile([f"i{i}" for i in range(9)], n // 9),
    })
    df["y"] = 5 + df["x"] + 0.5 * df["t"] + rng.standard_normal(n)
    return df


@pytest.fixture(scope="module")
def kernel() -> bl.Kernel:
    rng = np.random.default_rng(4)
    A = rng.standard_normal((9, 9))
    return bl.Kernel(A @ A.T / 9 + 0.1 * np.eye(9), [f"i{i}" for i in range(9)])


CASES = {
    "intercept": ("y ~ x + (1 | a)", ["z_a", "u_a"]),
    "correlated slope": ("y ~ t + (1 + t | a)", ["z_a", "u_a", "cpc_a", "corr_a"]),
    "uncorrelated slope": ("y ~ t + (1 + t || a)", ["z_a", "u_a"]),
    "crossed": ("y ~ x + (1 | a) + (1 | id)", ["z_a", "z_id"]),
    "nested a/b": ("y ~ x + (1 | a/b)", ["z_a", "z_a_b"]),
    "interaction a:b": ("y ~ x + (1 | a:b)", ["z_a_b"]),
    "several slopes": ("y ~ t + s + (1 + t + s | a)", ["z_a", "cpc_a", "corr_a"]),
    "categorical and interaction": ("y ~ x * cat + (1 | a)", ["b"]),
    "kernel": ("y ~ x + (1 | gr(id, cov=K))", ["tau", "proportions"]),
    "no random effects": ("y ~ x + t", ["b", "sd"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_build_has_finite_logp_and_gradient(case: str, frame: pd.DataFrame, kernel: bl.Kernel) -> None:
    """The latent (non-centred) build of every kind of term; the kernel case keeps its default."""
    formula, names = CASES[case]
    model = bl.Model(formula, frame, kernels={"K": kernel}, strategy=None if case == "kernel" else "latent")
    pm_model = model.build()
    assert isinstance(pm_model, pm.Model)
    assert model.build() is pm_model  # built once, cached
    for name in ["y", "b", "tau", "sd", *names]:
        assert name in pm_model.named_vars, (case, name, sorted(pm_model.named_vars))
    _finite_logp_and_gradient(case, pm_model)


@pytest.mark.parametrize("case", [c for c in CASES if c not in ("kernel", "no random effects")])
def test_default_build_of_iid_gaussian_models_is_marginal(case: str, frame: pd.DataFrame) -> None:
    """Gaussian models with iid terms only integrate every intercept term out jointly when all
    terms are intercepts (backend/crossed.py), else one term level by level (backend/collapsed.py)."""
    formula, _ = CASES[case]
    model = bl.Model(formula, frame)
    expected = "crossed" if case in ("crossed", "nested a/b") else "collapsed"
    assert model.strategy.name == expected, model.strategy
    pm_model = model.build()
    assert [p.name for p in pm_model.potentials] == [f"{expected}_loglik"]
    assert "y" not in pm_model.named_vars
    _finite_logp_and_gradient(case, pm_model)


def _finite_logp_and_gradient(case: str, pm_model: pm.Model) -> None:
    point = pm_model.initial_point()
    logp = pm_model.compile_logp(mode="FAST_COMPILE")(point)
    grad = pm_model.compile_dlogp(mode="FAST_COMPILE")(point)
    assert np.isfinite(logp), (case, logp)
    assert grad.shape == (sum(np.size(v) for v in point.values()),)
    assert np.all(np.isfinite(grad)), case
    assert np.any(grad != 0), case


def test_dims_name_levels_and_coefficients(frame: pd.DataFrame) -> None:
    model = bl.Model("y ~ t + (1 + t | a)", frame, strategy="latent")
    pm_model = model.build()
    assert list(pm_model.coords["coef"]) == ["Intercept", "t"]
    assert list(pm_model.coords["component"]) == ["1|a", "t|a", "Residual"]
    assert list(pm_model.coords["a_level"]) == [f"a{i}" for i in range(6)]
    assert pm_model.named_vars_to_dims["u_a"] == ("a_level", "a_coef")


def test_dense_strategy_builds_for_gaussian(frame: pd.DataFrame) -> None:
    model = bl.Model("y ~ t + (1 + t | a) + (1 | b)", frame, strategy="dense")
    assert model.strategy.name == "dense" and "user" in model.strategy.reason
    pm_model = model.build()
    assert "z_a" not in pm_model.named_vars  # the effects are integrated out
    logp = pm_model.compile_logp(mode="FAST_COMPILE")(pm_model.initial_point())
    assert np.isfinite(logp)
