"""Bad input for non-normal families and sigma formulas: each a clear error naming the value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.errors import DataError, FormulaError, PriorError, SpecError


@pytest.fixture()
def df():
    rng = np.random.default_rng(3)
    n = 12
    return pd.DataFrame({
        "x": rng.standard_normal(n),
        "g": np.repeat(["a", "b", "c"], 4),
        "grp": np.tile(["u", "v"], 6),
        "y01": np.tile([0, 1], 6),
        "count": np.arange(n),
        "trials": np.full(n, 5),
        "yg": rng.standard_normal(n),
    })


def test_bernoulli_response_outside_0_1(df):
    df.loc[3, "y01"] = 2
    with pytest.raises(DataError, match=r"bernoulli response 'y01' must be 0 or 1; found \[2\.0\]"):
        bl.Model("y01 ~ x + (1 | g)", df, family="bernoulli")


def test_bernoulli_response_as_strings(df):
    df["yes"] = np.where(df["y01"] == 1, "yes", "no")
    with pytest.raises(DataError, match=r"response 'yes' must be numeric, got dtype"):
        bl.Model("yes ~ x + (1 | g)", df, family="bernoulli")


@pytest.mark.parametrize("family", ["poisson", "negativebinomial"])
def test_negative_counts(df, family):
    df.loc[0, "count"] = -1
    with pytest.raises(DataError, match=rf"{family} response 'count' must be non-negative integers; found \[-1\.0\]"):
        bl.Model("count ~ x + (1 | g)", df, family=family)


@pytest.mark.parametrize("family", ["poisson", "negativebinomial"])
def test_non_integer_counts(df, family):
    df["count"] = df["count"].astype(float)
    df.loc[5, "count"] = 2.5
    with pytest.raises(DataError, match=rf"{family} response 'count' must be non-negative integers; found \[2\.5\]"):
        bl.Model("count ~ x + (1 | g)", df, family=family)


def test_successes_greater_than_trials(df):
    df["count"] = np.minimum(df["count"], 5)
    df.loc[7, "count"] = 9
    with pytest.raises(DataError, match=r"binomial successes exceed trials in 1 rows \(first: 9 > 5 at row 7\)"):
        bl.Model("p(count, trials) ~ x + (1 | g)", df, family="binomial")


def test_binomial_trials_not_positive_integers(df):
    df["count"] = 0
    df.loc[2, "trials"] = 0
    with pytest.raises(DataError, match=r"binomial trials must be positive integers; found \[0\.0\]"):
        bl.Model("p(count, trials) ~ x + (1 | g)", df, family="binomial")


def test_binomial_needs_proportion_response(df):
    with pytest.raises(SpecError, match=r"binomial response must be written p\(successes, trials\), got 'count'"):
        bl.Model("count ~ x + (1 | g)", df, family="binomial")


def test_proportion_response_needs_binomial(df):
    with pytest.raises(SpecError, match=r"is a proportion p\(successes, trials\): use family='binomial'"):
        bl.Model("p(count, trials) ~ x + (1 | g)", df, family="poisson")


@pytest.mark.parametrize("family", ["bernoulli", "binomial", "poisson", "negativebinomial"])
def test_sigma_formula_on_family_without_sigma(df, family):
    response = "p(y01, trials)" if family == "binomial" else "y01"
    with pytest.raises(SpecError, match=rf"family '{family}' has no residual sd, so the sigma formula 'sigma ~ grp'"):
        bl.Model([f"{response} ~ x + (1 | g)", "sigma ~ grp"], df, family=family)


def test_glmm_without_random_effects(df):
    with pytest.raises(SpecError, match=r"family 'poisson' without random effects .* 'count ~ x' has no"):
        bl.Model("count ~ x", df, family="poisson")


@pytest.mark.parametrize("formulas, message", [
    (["yg ~ x", "tau ~ grp"], r"second formula must model the residual sd as 'sigma ~ predictors'; got 'tau ~ grp'"),
    (["yg ~ x", "sigma ~ grp", "sigma ~ x"], r"at most one extra formula"),
    (["yg ~ x", "sigma ~ 0 + grp"], r"sigma formula 'sigma ~ 0 \+ grp' must keep its intercept"),
    (["yg ~ x", "sigma ~ (1 | g)"], r"random effects in the sigma formula 'sigma ~ \(1 \| g\)'"),
    (["yg ~ x", "sigma ~ 1"], r"sigma formula 'sigma ~ 1' has no predictor"),
    (["yg ~ x", "sigma ~ grpp"], r"unknown column 'grpp'"),
    ([], r"formula must be a string or a list"),
])
def test_malformed_sigma_formulas(df, formulas, message):
    with pytest.raises(FormulaError, match=message):
        bl.Model(formulas, df)


def test_constant_sigma_column(df):
    df["one"] = 1.0
    with pytest.raises(DataError, match=r"column 'one' is constant"):
        bl.Model(["yg ~ x + (1 | g)", "sigma ~ one"], df)


def test_marginal_strategy_refused_with_sigma_formula(df):
    with pytest.raises(SpecError, match=r"strategy 'dense' assumes one residual sd; the sigma formula 'sigma ~ grp' needs"):
        bl.Model(["yg ~ x + (1 | g)", "sigma ~ grp"], df, strategy="dense")


def test_sigma_prior_names(df):
    model = bl.Model(["yg ~ x + (1 | g)", "sigma ~ grp"], df, priors={"sigma:grp[v]": bl.Prior("Normal", mu=0, sigma=0.5)})
    assert model.priors["sigma:grp[v]"].params["sigma"] == 0.5
    with pytest.raises(PriorError, match=r"unknown term 'sigma:grp\[w\]'"):
        bl.Model(["yg ~ x + (1 | g)", "sigma ~ grp"], df, priors={"sigma:grp[w]": bl.Prior("Normal", mu=0, sigma=1)})


def test_link_not_allowed(df):
    with pytest.raises(SpecError, match=r"family 'poisson' does not take link 'probit'"):
        bl.Model("count ~ x + (1 | g)", df, family="poisson", link="probit")


def test_transform_inputs():
    with pytest.raises(DataError, match=r"prevalence must be strictly between 0 and 1, got 1\.5"):
        bl.transforms.liability_h2(0.2, prevalence=1.5)
    with pytest.raises(DataError, match=r"sample_prevalence must be strictly between 0 and 1, got 0"):
        bl.transforms.liability_h2(0.2, prevalence=0.1, sample_prevalence=0)
    with pytest.raises(DataError, match=r"1-D array, got shape \(2, 2\)"):
        bl.transforms.rank_inverse_normal(np.ones((2, 2)))
