"""Bad input raises a BayesLMMError subclass whose message names the offending value;
missing values are dropped, counted and reported, never silently."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.errors import BayesLMMError, DataError, FormulaError, PriorError, SamplingError, SpecError

FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return bl.datasets.sleepstudy_like(seed=1)


def _raises(exc: type[BayesLMMError], fragments: list[str], *args, **kwargs) -> None:
    with pytest.raises(exc) as err:
        bl.Model(*args, **kwargs)
    assert isinstance(err.value, BayesLMMError)
    for fragment in fragments:
        assert fragment in str(err.value), (fragment, str(err.value))


@pytest.mark.parametrize(
    ("formula", "name"),
    [
        ("Reaction ~ Dayz + (1 | Subject)", "'Dayz'"),  # fixed part
        ("Reaction ~ Days + (1 + Dayz | Subject)", "'Dayz'"),  # random slope
        ("Reaction ~ Days + (1 | Subj)", "'Subj'"),  # grouping factor
        ("Reactio ~ Days + (1 | Subject)", "'Reactio'"),  # response
        ("np.log(Reactio) ~ Days + (1 | Subject)", "'Reactio'"),  # response expression
    ],
)
def test_unknown_column(df: pd.DataFrame, formula: str, name: str) -> None:
    _raises(FormulaError, ["unknown column", name], formula, df)


def test_unknown_column_suggests_case_fix(df: pd.DataFrame) -> None:
    _raises(FormulaError, ["'days'", "did you mean 'Days'"], "Reaction ~ days + (1 | Subject)", df)


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("Reaction ~ Days + (1 | Subject", "unbalanced '('"),
        ("Reaction ~ Days ++ (1 | Subject)", "dangling '+'"),
        ("Reaction ~ Days + * (1 | Subject)", "'Days + * (1 | Subject)'"),
        ("Reaction ~ Days * (1 | Subject)", "'Days * (1 | Subject)'"),
    ],
)
def test_formula_syntax_error(df: pd.DataFrame, formula: str, fragment: str) -> None:
    _raises(FormulaError, [fragment], formula, df)


def test_non_numeric_response(df: pd.DataFrame) -> None:
    bad = df.assign(Reaction=df["Reaction"].round(1).astype(str))
    _raises(DataError, ["response 'Reaction' must be numeric", repr(bad["Reaction"].iloc[0])], FORMULA, bad)


def test_grouping_factor_with_one_level(df: pd.DataFrame) -> None:
    _raises(DataError, ["'Subject'", "single level ('s1')"], FORMULA, df.assign(Subject="s1"))


def test_one_level_after_dropping_rows(df: pd.DataFrame) -> None:
    # every subject but s000 loses its response: one level is left in the rows used
    bad = df.assign(Reaction=np.where(df["Subject"] == "s000", df["Reaction"], np.nan))
    with pytest.warns(bl.DroppedRowsWarning):
        _raises(DataError, ["'Subject'", "single level ('s000')"], FORMULA, bad)


def test_empty_after_dropping_rows(df: pd.DataFrame) -> None:
    _raises(DataError, ["no rows left", "Reaction 180"], FORMULA, df.assign(Reaction=np.nan))


def test_no_rows(df: pd.DataFrame) -> None:
    _raises(DataError, ["no rows"], FORMULA, df.iloc[:0])


def test_data_not_a_frame(df: pd.DataFrame) -> None:
    _raises(DataError, ["got dict"], FORMULA, df.to_dict())


def test_prior_on_unknown_term(df: pd.DataFrame) -> None:
    prior = {"Dayz": bl.Prior("Normal", mu=0, sigma=1)}
    _raises(PriorError, ["unknown term 'Dayz'", "'Days'", "'tau'"], FORMULA, df, priors=prior)


def test_prior_wrong_kind(df: pd.DataFrame) -> None:
    _raises(PriorError, ["'proportions'", "Dirichlet"], FORMULA, df,
            priors={"proportions": bl.Prior("Normal", mu=0, sigma=1)})
    _raises(PriorError, ["'tau'", "bayeslmm.Prior"], FORMULA, df, priors={"tau": 3.0})
    _raises(PriorError, ["unknown components ['1|Subjct']"], FORMULA, df,
            priors={"proportions": {"1|Subjct": 2.0}})


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"dist": "Normall", "mu": 0, "sigma": 1}, "'Normall'"),
        ({"dist": "Normal", "mu": 0, "sigma": -1}, "sigma=-1"),
        ({"dist": "Normal", "mu": 0, "sigma": np.inf}, "sigma=inf"),
        ({"dist": "HalfNormal", "scale": 1}, "['scale']"),
    ],
)
def test_invalid_prior_value(kwargs: dict, fragment: str) -> None:
    dist = kwargs.pop("dist")
    with pytest.raises(PriorError) as err:
        bl.Prior(dist, **kwargs)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("column", "formula", "where"),
    [
        ("Reaction", FORMULA, "column 'Reaction'"),
        ("Days", FORMULA, "fixed-effects design of 'Days'"),
        ("Days", "Reaction ~ 1 + (Days | Subject)", "random-effect design of (Days | Subject)"),
    ],
)
def test_non_finite_values(df: pd.DataFrame, column: str, formula: str, where: str) -> None:
    bad = df.copy()
    bad.loc[3, column] = np.inf
    _raises(DataError, [where, "1 non-finite", "inf at row 3"], formula, bad)


def test_unknown_family_and_strategy(df: pd.DataFrame) -> None:
    _raises(SpecError, ["unknown family 'gamma'"], FORMULA, df, family="gamma")
    _raises(SpecError, ["unknown strategy 'fast'"], FORMULA, df, strategy="fast")


def test_kernel_not_given(df: pd.DataFrame) -> None:
    _raises(bl.KernelError, ["kernel 'K'"], "Reaction ~ Days + (1 | gr(Subject, cov=K))", df)


def test_unknown_sampler_and_bad_draws(df: pd.DataFrame) -> None:
    model = bl.Model("Reaction ~ 1 + (1 | Subject)", df)
    with pytest.raises(SamplingError, match="unknown sampler 'stan'"):
        model.fit(sampler="stan")
    with pytest.raises(SamplingError, match="draws must be a positive integer, got 0"):
        model.fit(draws=0)
    with pytest.raises(SamplingError, match="target_accept must be between 0 and 1, got 1.5"):
        model.fit(target_accept=1.5)


def test_missing_rows_dropped_counted_and_warned(df: pd.DataFrame) -> None:
    bad = df.copy()
    bad.loc[[3, 7], "Reaction"] = np.nan
    bad.loc[10, "Days"] = np.nan
    bad.loc[20, "Subject"] = None
    bad.loc[7, "Days"] = np.nan  # a row can be missing in two columns; it is dropped once
    with pytest.warns(bl.DroppedRowsWarning, match=r"4 of 180 rows dropped .*Reaction 2, Days 2, Subject 1"):
        model = bl.Model(FORMULA, bad)
    report = model.dropped_rows
    assert (report.n_input, report.n_used, report.n_dropped) == (180, 176, 4)
    assert report.dropped_index == (3, 7, 10, 20)
    assert report.by_column == {"Reaction": 2, "Days": 2, "Subject": 1}
    assert model.spec.n == 176 and len(model.spec.data) == 176
    assert "176 rows" in repr(model)


def test_unused_missing_columns_do_not_drop_rows(df: pd.DataFrame) -> None:
    extra = df.assign(unused=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.DroppedRowsWarning)
        model = bl.Model(FORMULA, extra)
    assert model.dropped_rows.n_dropped == 0
