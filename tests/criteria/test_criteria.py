"""fit.loo / fit.waic / bl.compare: kinds, defaults shown in every output, refusals, Pareto k."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.errors import DataError, SpecError
from bayeslmm.results.criteria import PSISWarning, default_kind, from_pointwise, warn_criterion
from bayeslmm.results.pointwise import PointwiseDraws


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PSISWarning)
        return fn(*args, **kwargs)


# -- no sampling -------------------------------------------------------------------------------------
def test_default_kind_by_family(sleep_data):
    gauss = bl.Model("Reaction ~ Days + (1 | Subject)", sleep_data)
    robust = bl.Model("Reaction ~ Days + (1 | Subject)", sleep_data, family="student_t")
    plain = bl.Model("Reaction ~ Days", sleep_data)
    assert default_kind(gauss.spec) == "marginal"
    assert default_kind(robust.spec) == "conditional"
    assert default_kind(plain.spec) == "conditional"  # no random effects: both kinds coincide


def test_high_pareto_k_warns_with_advice():
    rng = np.random.default_rng(0)
    values = rng.normal(-1.0, 0.1, size=(400, 5))
    values[:, 2] = -25.0 * rng.standard_normal(400) ** 2  # ratios exp(25 z^2): a tail PSIS cannot fix
    # with 400 draws the threshold is min(1 - 1/log10(400), 0.7) = 0.62
    for kind, advice in (("conditional", "kind='marginal'"), ("marginal", "student_t")):
        crit = from_pointwise(PointwiseDraws(values, np.arange(400), kind, "test"), "loo", pd.RangeIndex(5))
        assert list(crit.bad_k) == [2] and crit.warning
        with pytest.warns(PSISWarning, match=rf"kind='{kind}'.*Pareto k above 0\.62.*rows \[2\].*{advice}"):
            warn_criterion(crit)


def test_waic_variance_warning():
    rng = np.random.default_rng(1)
    values = rng.normal(-1.0, 0.1, size=(400, 4))
    values[:, 0] = rng.normal(-3.0, 2.0, size=400)
    crit = from_pointwise(PointwiseDraws(values, np.arange(400), "marginal", "test"), "waic", pd.RangeIndex(4))
    with pytest.warns(PSISWarning, match="WAIC.*exceeds 0.4 for 1 of 4"):
        warn_criterion(crit)


# -- one small fit ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_loo_kinds_and_outputs(sleep_fit):
    m = _quiet(sleep_fit.loo)
    c = _quiet(sleep_fit.loo, kind="conditional")
    assert m.kind == "marginal" and c.kind == "conditional"
    assert "kind='marginal'" in repr(m) and "kind='conditional'" in repr(c)
    assert m.to_frame()["kind"].item() == "marginal"
    assert m.computed_by == "block-diagonal" and c.computed_by == "stored log_likelihood"
    # one value per observation of the data, labelled like the data's rows
    assert m.pointwise.index.equals(sleep_fit.spec.data.index)
    assert np.isclose(m.pointwise["elpd"].sum(), m.elpd)
    # p_loo: marginal counts the parameters theta (4 here), conditional also the 18 intercepts
    assert m.p < 8 < c.p < 25
    # both estimate the predictive density of a new day of a known subject... up to a few se
    assert abs(m.elpd - c.elpd) < 3 * m.se
    w = _quiet(sleep_fit.waic)
    assert w.method == "waic" and w.kind == "marginal" and abs(w.elpd - m.elpd) < 1.0


@pytest.mark.slow
def test_unknown_kind_is_refused(sleep_fit):
    with pytest.raises(SpecError, match="'joint'"):
        sleep_fit.loo(kind="joint")


@pytest.mark.slow
def test_compare_table(sleep_fit):
    other = bl.Fit(bl.Model("Reaction ~ Days + (1 | Subject)", sleep_fit.spec.data), sleep_fit.idata)
    table = _quiet(bl.compare, {"a": sleep_fit, "b": other})
    assert list(table.columns) == ["rank", "elpd", "se", "elpd_diff", "dse", "weight", "p_loo", "warning", "kind"]
    assert (table["kind"] == "marginal").all() and table.attrs["kind"] == "marginal"
    assert np.allclose(table["elpd_diff"], 0.0)  # the same posterior twice


@pytest.mark.slow
def test_compare_refuses_different_data(sleep_fit, sleep_data):
    fewer = bl.Fit(bl.Model("Reaction ~ Days + (1 | Subject)", sleep_data.iloc[:-10]), sleep_fit.idata)
    with pytest.raises(DataError, match=r"'full' used 180 rows and 'fewer' used 170"):
        bl.compare({"full": sleep_fit, "fewer": fewer})
    shifted = bl.Fit(bl.Model("Reaction ~ Days + (1 | Subject)", sleep_data.assign(Reaction=sleep_data.Reaction + 1)),
                     sleep_fit.idata)
    with pytest.raises(DataError, match=r"response of 'shifted'.*differs.*in 180 of 180 rows"):
        bl.compare({"full": sleep_fit, "shifted": shifted})


@pytest.mark.slow
def test_compare_refuses_different_kinds(sleep_fit, sleep_data):
    robust = bl.Fit(bl.Model("Reaction ~ Days + (1 | Subject)", sleep_data, family="student_t"), sleep_fit.idata)
    with pytest.raises(SpecError, match=r"'gauss': marginal, 'robust': conditional.*kind='conditional'"):
        bl.compare({"gauss": sleep_fit, "robust": robust})


@pytest.mark.slow
def test_tidy_draws(sleep_fit):
    d = sleep_fit.draws()
    assert list(d.columns[:2]) == ["chain", "draw"] and len(d) == 2 * 500
    assert set(d.columns[2:]) == set(sleep_fit.summary().index)
    np.testing.assert_allclose(d["tau"].mean(), sleep_fit.summary().loc["tau", "mean"], rtol=1e-12)
