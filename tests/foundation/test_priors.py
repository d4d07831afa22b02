"""Priors: the data-scaled defaults shown by ``model.priors`` and overrides by name that
change the PyMC model. Log-densities are compared with scipy, so no sampling is needed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy import stats

import bayeslmm as bl

FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return bl.datasets.sleepstudy_like(seed=1)


def _logp(model: pm.Model, name: str, value) -> float:
    """Log-density of one variable at a value (PyMC hard-codes some constants in single
    precision, so comparisons with scipy use rtol 1e-6)."""
    rv = model[name]
    return float(pm.logp(rv, np.asarray(value, dtype=float)).sum().eval())


def test_priors_table_lists_every_prior_with_a_reason(df: pd.DataFrame) -> None:
    table = bl.Model(FORMULA, df).priors.table()
    assert list(table.index) == ["Intercept", "Days", "tau", "proportions", "cor(Subject)"]
    assert list(table.columns) == ["prior", "source"]
    assert table.loc["proportions", "prior"] == "Dirichlet(a=[1, 1, 1])"
    assert table.loc["cor(Subject)", "prior"] == "LKJ(eta=2)"
    assert (table["source"].str.len() > 10).all()  # every default says why
    assert "HalfStudentT" in repr(bl.Model(FORMULA, df).priors)


def test_defaults_scale_with_the_data(df: pd.DataFrame) -> None:
    # rescaling y by 10 rescales every location/scale default by 10 (rstanarm-style autoscaling)
    a = bl.Model(FORMULA, df).priors
    b = bl.Model(FORMULA, df.assign(Reaction=10 * df["Reaction"])).priors
    np.testing.assert_allclose(b["tau"].params["sigma"], 10 * a["tau"].params["sigma"], rtol=1e-12)
    np.testing.assert_allclose(b["Intercept"].params["mu"], 10 * a["Intercept"].params["mu"], rtol=1e-12)
    np.testing.assert_allclose(b["Days"].params["sigma"], 10 * a["Days"].params["sigma"], rtol=1e-12)
    sy, sx = float(np.std(df["Reaction"])), float(np.std(df["Days"]))
    np.testing.assert_allclose(a["tau"].params["sigma"], sy, rtol=1e-12)
    np.testing.assert_allclose(a["Days"].params["sigma"], 2.5 * sy / sx, rtol=1e-12)


def test_override_tau(df: pd.DataFrame) -> None:
    model = bl.Model(FORMULA, df, priors={"tau": bl.Prior("HalfNormal", sigma=7.0)})
    assert model.priors["tau"].describe() == "HalfNormal(sigma=7)"
    assert model.priors.table().loc["tau", "source"] == "user"
    pm_model = model.build()
    np.testing.assert_allclose(_logp(pm_model, "tau", 3.0), stats.halfnorm(scale=7.0).logpdf(3.0), rtol=1e-6)


def test_override_fixed_effect(df: pd.DataFrame) -> None:
    model = bl.Model(FORMULA, df, priors={"Days": bl.Prior("Normal", mu=1.0, sigma=2.0)})
    pm_model = model.build()
    intercept = model.priors["Intercept"].params
    value = np.array([250.0, 4.0])
    expected = stats.norm(intercept["mu"], intercept["sigma"]).logpdf(250.0) + stats.norm(1.0, 2.0).logpdf(4.0)
    np.testing.assert_allclose(_logp(pm_model, "b", value), expected, rtol=1e-6)


def test_non_normal_fixed_prior_gets_its_own_variable(df: pd.DataFrame) -> None:
    model = bl.Model(FORMULA, df, priors={"Days": bl.Prior("StudentT", nu=3.0, mu=0.0, sigma=5.0)})
    pm_model = model.build()
    assert "b[Days]" in pm_model.named_vars and "b" in pm_model.named_vars
    np.testing.assert_allclose(_logp(pm_model, "b[Days]", 2.0), stats.t(3.0, 0.0, 5.0).logpdf(2.0), rtol=1e-6)


def test_override_proportions_by_component(df: pd.DataFrame) -> None:
    model = bl.Model(FORMULA, df, priors={"proportions": {"Days|Subject": 0.5, "Residual": 3.0}})
    np.testing.assert_allclose(model.priors["proportions"].params["a"], [1.0, 0.5, 3.0])
    value = np.array([0.2, 0.3, 0.5])
    expected = stats.dirichlet([1.0, 0.5, 3.0]).logpdf(value)
    # PyMC's Dirichlet logp is on the simplex values themselves (the transform adds a Jacobian elsewhere)
    np.testing.assert_allclose(_logp(model.build(), "proportions", value), expected, rtol=1e-6)


def test_override_correlation_eta(df: pd.DataFrame) -> None:
    # for q = 2 the C-vine partial correlation w = (r + 1) / 2 ~ Beta(eta, eta)
    model = bl.Model(FORMULA, df, priors={"cor(Subject)": bl.Prior("LKJ", eta=4.0)})
    np.testing.assert_allclose(_logp(model.build(), "cpc_Subject", [0.3]), stats.beta(4.0, 4.0).logpdf(0.3), rtol=1e-6)
    default = bl.Model(FORMULA, df)
    np.testing.assert_allclose(_logp(default.build(), "cpc_Subject", [0.3]), stats.beta(2.0, 2.0).logpdf(0.3), rtol=1e-6)


def test_overrides_do_not_touch_other_priors(df: pd.DataFrame) -> None:
    base = bl.Model(FORMULA, df).priors
    changed = bl.Model(FORMULA, df, priors={"tau": bl.Prior("HalfNormal", sigma=7.0)}).priors
    for key in base.keys():
        if key != "tau":
            assert changed[key].describe() == base[key].describe()
