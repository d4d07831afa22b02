"""The Fit API on one session-scoped fit (conftest.api_fit): tables, random effects,
prediction, save/load and display. Values are checked against the raw posterior draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.errors import DataError, SpecError

pytestmark = pytest.mark.slow

VC_COLUMNS = ["group", "term", "kernel", "variance", "sd", "proportion", "proportion_lower", "proportion_upper"]


def _post(fit: bl.Fit, name: str) -> np.ndarray:
    values = fit.idata.posterior[name].values
    return values.reshape((-1,) + values.shape[2:])


def test_dropped_rows_reach_the_fit(api_fit: bl.Fit) -> None:
    report = api_fit.dropped_rows
    assert (report.n_input, report.n_used) == (180, 177)
    assert report.by_column == {"Reaction": 2, "grp": 1}
    assert report.dropped_index == (5, 6, 40)
    assert "3 of 180 rows dropped" in repr(api_fit)


def test_summary(api_fit: bl.Fit) -> None:
    table = api_fit.summary()
    assert list(table.columns) == ["mean", "sd", "lower", "upper", "r_hat", "ess_bulk", "ess_tail"]
    expected = ["Intercept", "Days", "grp[b]", "sd(1|Subject)", "sd(Days|Subject)", "sigma",
                "proportion(1|Subject)", "proportion(Days|Subject)", "proportion(Residual)", "tau",
                "cor(Intercept,Days|Subject)"]
    assert list(table.index) == expected
    assert (table["lower"] < table["mean"]).all() and (table["mean"] < table["upper"]).all()
    narrow = api_fit.summary(prob=0.5)
    assert ((narrow["upper"] - narrow["lower"]) < (table["upper"] - table["lower"])).all()


def test_fixed_effects(api_fit: bl.Fit) -> None:
    table = api_fit.fixed_effects()
    assert list(table.index) == ["Intercept", "Days", "grp[b]"]
    assert list(table.columns) == ["mean", "sd", "lower", "upper"]
    np.testing.assert_allclose(table["mean"], _post(api_fit, "b").mean(axis=0), rtol=1e-12)


def test_variance_components(api_fit: bl.Fit) -> None:
    table = api_fit.variance_components()
    assert list(table.columns[: len(VC_COLUMNS)]) == VC_COLUMNS
    assert list(table.index) == ["1|Subject", "Days|Subject", "Residual"]
    assert list(table["group"]) == ["Subject", "Subject", "Residual"]
    assert list(table["term"]) == ["Intercept", "Days", ""]
    assert table["kernel"].isna().all()
    sd = _post(api_fit, "sd")
    np.testing.assert_allclose(table["sd"], sd.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(table["variance"], (sd**2).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(table["proportion"].sum(), 1.0, rtol=1e-10)
    assert ((table["proportion_lower"] >= 0) & (table["proportion_lower"] < table["proportion"])).all()
    assert ((table["proportion"] < table["proportion_upper"]) & (table["proportion_upper"] <= 1)).all()


def test_correlations(api_fit: bl.Fit) -> None:
    table = api_fit.correlations()
    assert list(table.index) == ["cor(Intercept,Days|Subject)"]
    assert table.loc["cor(Intercept,Days|Subject)", "group"] == "Subject"
    row = table.iloc[0]
    assert -1 <= row["lower"] < row["mean"] < row["upper"] <= 1
    np.testing.assert_allclose(row["mean"], _post(api_fit, "corr_Subject")[:, 0, 1].mean(), rtol=1e-12)


def test_random_effects(api_fit: bl.Fit) -> None:
    table = api_fit.random_effects("Subject")
    assert table.index.names == ["level", "term"]
    assert len(table) == 18 * 2
    assert list(table.columns) == ["mean", "sd", "lower", "upper"]
    u = _post(api_fit, "u_Subject")  # (S, 18, 2)
    np.testing.assert_allclose(table.xs("Days", level="term")["mean"], u[:, :, 1].mean(axis=0), rtol=1e-10)
    # shrinkage: effects vary less than the population sd says individual subjects do
    assert table.xs("Intercept", level="term")["mean"].std() < api_fit.variance_components().loc["1|Subject", "sd"]
    with pytest.raises(SpecError, match="no random effect grouped by 'Subjet'"):
        api_fit.random_effects("Subjet")


@pytest.fixture(scope="module")
def newdata() -> pd.DataFrame:
    return pd.DataFrame({"Days": [0.0, 5.0, 5.0, 5.0], "grp": ["a", "a", "b", "a"],
                         "Subject": ["s000", "s003", "s003", "never-seen"]})


def test_predict_on_fitted_rows(api_fit: bl.Fit) -> None:
    table = api_fit.predict()
    assert list(table.columns) == ["mean", "sd", "lower", "upper"]
    assert table.index.equals(api_fit.spec.data.index)
    # the posterior mean fit is closer to the data than the grand mean
    resid = api_fit.spec.y - table["mean"].to_numpy()
    assert resid.std() < 0.8 * api_fit.spec.y.std()


def test_predict_kinds(api_fit: bl.Fit, newdata: pd.DataFrame) -> None:
    mean = api_fit.predict(newdata, kind="mean")
    response = api_fit.predict(newdata, kind="response")
    assert (response["sd"] > mean["sd"]).all()  # a new observation adds the residual
    sigma = api_fit.variance_components().loc["Residual", "sd"]
    np.testing.assert_allclose(response["mean"], mean["mean"], atol=4 * sigma / np.sqrt(1000))
    with pytest.raises(SpecError, match="'median'"):
        api_fit.predict(newdata, kind="median")


def test_predict_without_random_effects(api_fit: bl.Fit, newdata: pd.DataFrame) -> None:
    table = api_fit.predict(newdata, include_random=False)
    X = np.array([[1, 0, 0], [1, 5, 0], [1, 5, 1], [1, 5, 0]], dtype=float)
    np.testing.assert_allclose(table["mean"], X @ _post(api_fit, "b").mean(axis=0), rtol=1e-10)
    assert table["mean"].iloc[1] == table["mean"].iloc[3]  # the subject no longer matters


def test_predict_unseen_level_draws_from_population(api_fit: bl.Fit, newdata: pd.DataFrame) -> None:
    table = api_fit.predict(newdata)
    seen, unseen = table.iloc[1], table.iloc[3]  # same Days and grp, known vs new subject
    assert (unseen["upper"] - unseen["lower"]) > 1.5 * (seen["upper"] - seen["lower"])
    population = api_fit.predict(newdata, include_random=False).iloc[3]
    assert abs(unseen["mean"] - population["mean"]) < 0.25 * unseen["sd"]


def test_predict_return_draws_and_bad_newdata(api_fit: bl.Fit, newdata: pd.DataFrame) -> None:
    draws = api_fit.predict(newdata, return_draws=True)
    assert draws.shape == (1000, 4)
    with pytest.raises(DataError, match="'Subject'"):
        api_fit.predict(newdata.drop(columns="Subject"))


def test_save_load_round_trip(api_fit: bl.Fit, newdata: pd.DataFrame, tmp_path) -> None:
    path = tmp_path / "fit.nc"
    api_fit.save(path)
    loaded = bl.load(path)
    assert isinstance(loaded, bl.Fit)
    pd.testing.assert_frame_equal(loaded.predict(newdata), api_fit.predict(newdata))
    pd.testing.assert_frame_equal(loaded.predict(newdata, kind="response"), api_fit.predict(newdata, kind="response"))
    pd.testing.assert_frame_equal(loaded.fixed_effects(), api_fit.fixed_effects())
    pd.testing.assert_frame_equal(loaded.variance_components(), api_fit.variance_components())
    assert loaded.model.priors.table().equals(api_fit.model.priors.table())
    assert str(loaded.strategy) == str(api_fit.strategy)
    assert loaded.dropped_rows == api_fit.dropped_rows
    assert loaded.idata.attrs["seed"] == api_fit.idata.attrs["seed"]


def test_load_rejects_foreign_file(tmp_path) -> None:
    import arviz as az

    path = tmp_path / "plain.nc"
    az.from_dict(posterior={"x": np.zeros((1, 5))}).to_netcdf(str(path), engine="h5netcdf")
    with pytest.raises(DataError, match="not written by bayeslmm"):
        bl.load(path)


def test_display(api_fit: bl.Fit) -> None:
    text = repr(api_fit)
    for fragment in ["bayeslmm fit: Reaction ~ Days + grp + (Days | Subject)", "seed 11", "Fixed effects:",
                     "grp[b]", "Variance components:", "Days|Subject", "Residual", "Diagnostics:"]:
        assert fragment in text, fragment
    html = api_fit._repr_html_()
    assert html.count("<table") == 2 and "Variance components" in html


def test_diagnostics(api_fit: bl.Fit) -> None:
    diag = api_fit.diagnostics()
    assert isinstance(diag.divergences, int) and diag.divergences >= 0
    assert list(diag.table.columns) == ["r_hat", "ess_bulk", "ess_tail"]
    assert diag.table["r_hat"].max() < 1.05  # 2 x 500 draws of a well-identified model
    assert isinstance(api_fit.ok, bool)
    draws = api_fit.draws()
    assert len(draws) == 1000 and {"chain", "draw", "sd(1|Subject)"} <= set(draws.columns)
