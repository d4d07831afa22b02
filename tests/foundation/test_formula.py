"""Formula parsing: the random-effect blocks of lme4/brms syntax, and their evaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.errors import FormulaError
from bayeslmm.spec.formula import RandomTermFormula, parse_formula
from bayeslmm.spec.model_spec import build_spec


def _terms(formula: str) -> list[tuple[str, tuple[str, ...], bool, str | None]]:
    return [(t.expr, t.factors, t.correlated, t.kernel) for t in parse_formula(formula).random]


def test_random_intercept() -> None:
    p = parse_formula("y ~ x + (1 | g)")
    assert (p.response, p.fixed) == ("y", "x")
    assert _terms("y ~ x + (1 | g)") == [("1", ("g",), True, None)]
    assert p.random[0].group == "g"


def test_correlated_slope() -> None:
    assert _terms("y ~ t + (1 + t | g)") == [("1 + t", ("g",), True, None)]


def test_uncorrelated_slope_double_bar() -> None:
    assert _terms("y ~ t + (1 + t || g)") == [("1 + t", ("g",), False, None)]


def test_crossed() -> None:
    assert _terms("y ~ 1 + (1 | a) + (1 | b)") == [("1", ("a",), True, None), ("1", ("b",), True, None)]


def test_nested_expands_like_lme4() -> None:
    # (1 | a/b) = (1 | a) + (1 | a:b); three levels nest the same way
    assert _terms("y ~ (1 | a/b)") == [("1", ("a",), True, None), ("1", ("a", "b"), True, None)]
    groups = [t.group for t in parse_formula("y ~ (1 | a/b/c)").random]
    assert groups == ["a", "a:b", "a:b:c"]


def test_interaction_grouping() -> None:
    (term,) = parse_formula("y ~ (1 | a:b)").random
    assert term.factors == ("a", "b") and term.group == "a:b"


def test_several_slopes() -> None:
    assert _terms("y ~ x * z + (1 + t + s | g)") == [("1 + t + s", ("g",), True, None)]
    assert parse_formula("y ~ x * z + (1 + t + s | g)").fixed == "x * z"


def test_kernel_term() -> None:
    (term,) = parse_formula("y ~ x + (1 | gr(id, cov=K))").random
    assert term == RandomTermFormula("1", ("id",), True, "K")
    assert term.group == "gr(id, cov=K)"


def test_no_fixed_part_means_intercept() -> None:
    assert parse_formula("y ~ (1 | g)").fixed == "1"


@pytest.mark.parametrize(
    ("formula", "fragment"),
    [
        ("y ~ x + (1 | g", "unbalanced '('"),
        ("y ~ x)", "unbalanced ')'"),
        ("y ~ x +", "dangling '+'"),
        ("~ x", "'response ~ terms'"),
        ("y ~ x ~ z", "'response ~ terms'"),
        ("y ~ ", "no terms right of '~'"),
        ("y ~ (1 | g | h)", "more than one '|'"),
        ("y ~ ( | g)", "nothing left of '|'"),
        ("y ~ (1 | gr(id))", "gr(id, cov=NAME)"),
        ("y ~ (1 | g + h)", "'g + h'"),
    ],
)
def test_syntax_errors_name_the_problem(formula: str, fragment: str) -> None:
    with pytest.raises(FormulaError) as err:
        parse_formula(formula)
    assert fragment in str(err.value)


def test_formula_must_be_a_string() -> None:
    with pytest.raises(FormulaError, match="got int"):
        parse_formula(3)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 48
    return pd.DataFrame({
        "y": rng.standard_normal(n),
        "t": np.tile(np.arange(4.0), n // 4),
        "s": rng.standard_normal(n),
        "x": rng.standard_normal(n),
        "cat": np.repeat(["lo", "mid", "hi"], n // 3),
        "a": np.repeat(["a1", "a2", "a3", "a4"], n // 4),
        "b": np.tile(np.repeat(["b1", "b2", "b3"], 4), 4),
    })


def test_spec_components_and_levels(frame: pd.DataFrame) -> None:
    spec = build_spec("y ~ x * cat + (1 + t | a) + (1 | a:b) + (0 + s || b)", frame)
    assert spec.fixed_columns == ("Intercept", "x", "cat[lo]", "cat[mid]", "x:cat[lo]", "x:cat[mid]")
    assert spec.components == ("1|a", "t|a", "1|a:b", "s|b", "Residual")
    slope, nested, indep = spec.terms
    assert slope.correlated and not nested.correlated and not indep.correlated
    assert nested.n_levels == 12 and nested.levels[0] == "a1:b1"
    # the level index reproduces each row's label
    labels = frame["a"] + ":" + frame["b"]
    assert (nested.levels[nested.index] == labels.to_numpy()).all()
    np.testing.assert_allclose(slope.Z[:, 1], frame["t"])
    np.testing.assert_allclose(slope.x_scale, [1.0, frame["t"].std(ddof=0)])


def test_nested_equals_explicit_interaction(frame: pd.DataFrame) -> None:
    a = build_spec("y ~ 1 + (1 | a/b)", frame)
    b = build_spec("y ~ 1 + (1 | a) + (1 | a:b)", frame)
    assert a.components == b.components
    for ta, tb in zip(a.terms, b.terms):
        np.testing.assert_array_equal(ta.index, tb.index)


def test_several_slopes_spec(frame: pd.DataFrame) -> None:
    spec = build_spec("y ~ t + s + (1 + t + s | a)", frame)
    (term,) = spec.terms
    assert term.columns == ("Intercept", "t", "s") and term.correlated
    assert "cor(a)" in spec.priors


def test_kernel_term_spec_aligns_ids(frame: pd.DataFrame) -> None:
    ids = [f"i{k}" for k in range(6)]
    K = bl.Kernel(np.eye(6) + 0.5, ids)
    data = frame.assign(id=np.tile(ids, 8))
    spec = build_spec("y ~ 1 + (1 | gr(id, cov=K))", data, kernels={"K": K})
    (term,) = spec.terms
    assert term.kernel == "K" and term.group == "gr(id, cov=K)"
    assert (term.levels[term.index] == data["id"].to_numpy()).all()
    assert spec.components == ("1|gr(id, cov=K)", "Residual")


def test_duplicate_component_rejected(frame: pd.DataFrame) -> None:
    with pytest.raises(FormulaError, match="'1\\|a' appears twice"):
        build_spec("y ~ 1 + (1 | a) + (1 | a)", frame)
