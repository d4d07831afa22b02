"""gp() terms in the formula, the spec, the default priors and the choice of strategy (no sampling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import invgamma

import bayeslmm as bl
from bayeslmm.backend.gp import MAX_BASIS, hsgp_plan
from bayeslmm.errors import DataError, FormulaError, PriorError, SpecError
from bayeslmm.spec.formula import parse_formula
from bayeslmm.spec.gp import (
    GPProjectionWarning,
    _haversine_pairs,
    parse_gp_call,
    project_lonlat,
)


def test_parse_gp_term_beside_other_terms():
    p = parse_formula('y ~ env + gp(lon, lat, cov="matern52", lonlat=True) + (1 | site)')
    assert p.fixed == "env"
    assert [t.group for t in p.random] == ["site"]
    (g,) = p.gp
    assert (g.columns, g.cov, g.lonlat, g.label) == (("lon", "lat"), "matern52", True, "gp(lon, lat)")
    assert parse_formula("y ~ gp(x)").fixed == "1"


def test_parse_options():
    g = parse_gp_call('gp(x, y, by=site, approx="hsgp", m=12, c=1.8)')
    assert (g.by, g.approx, g.m, g.c, g.label) == ("site", "hsgp", (12, 12), 1.8, "gp(x, y, by=site)")
    assert parse_gp_call("gp(x, y, m=(10, 6))").m == (10, 6)
    assert parse_gp_call("gp(soil.x)").columns == ("soil.x",)


@pytest.mark.parametrize("text,match", [
    ('gp(x, y, cov="rbf")', "cov='rbf'"),
    ("gp(x, y, z)", "3 coordinates"),
    ("gp()", "0 coordinates"),
    ("gp(x, x)", "repeats"),
    ("gp(x, scale=2)", "unknown gp\\(\\) option 'scale'"),
    ("gp(x, lonlat=True)", "two coordinates"),
    ("gp(x, y, approx='fast')", "approx='fast'"),
    ("gp(x, y, m=1)", "m=1"),
    ("gp(x, y, c=0.5)", "c=0.5"),
    ("gp(x, y, approx='exact', m=10)", "only apply to approx='hsgp'"),
    ("gp(x, y, by=x)", "also a coordinate"),
    ("gp(x, y", "cannot read"),
])
def test_parse_errors_name_the_value(text, match):
    with pytest.raises(FormulaError, match=match):
        parse_gp_call(text)


def test_spec_components_priors_and_scales(small_field):
    m = bl.Model("y ~ env + gp(x, v) + (1 | site)", small_field)
    spec = m.spec
    assert spec.components == ("1|site", "gp(x, v)", "Residual")
    (g,) = spec.gp_terms
    assert g.method == "exact"  # n = 60 <= EXACT_MAX_N
    assert g.extent == pytest.approx(np.ptp(small_field.x))
    np.testing.assert_allclose(g.coords.max(0) + g.coords.min(0), 0.0, atol=1e-12)  # centred at mid-range
    prior = m.priors["lengthscale(gp(x, v))"]
    assert prior.dist == "InverseGamma"
    dist = invgamma(prior.params["alpha"], scale=prior.params["beta"])
    # the documented tail statements: P(l < E/20) = P(l > E/2) = 0.05
    assert dist.cdf(g.extent / 20) == pytest.approx(0.05, abs=1e-6)
    assert dist.sf(g.extent / 2) == pytest.approx(0.05, abs=1e-6)


def test_numeric_and_factor_by(small_field):
    spec = bl.Model("y ~ gp(x, by=w) + gp(v, by=site)", small_field).spec
    numeric, factor = spec.gp_terms
    assert numeric.by_kind == "numeric" and numeric.x_scale[0] == pytest.approx(np.std(small_field.w))
    np.testing.assert_array_equal(numeric.by_design[:, 0], small_field.w)
    assert factor.by_kind == "factor" and factor.by_levels == ("0", "1", "2")
    np.testing.assert_array_equal(factor.by_design.sum(1), 1.0)
    B, known = factor.by_matrix(pd.DataFrame({"site": ["1", "7"]}))
    np.testing.assert_array_equal(B, [[0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(known, [True, False])


def test_lengthscale_prior_override_and_check(small_field):
    m = bl.Model("y ~ gp(x, v)", small_field, priors={"lengthscale(gp(x, v))": bl.Prior("Gamma", alpha=4, beta=2)})
    assert m.priors["lengthscale(gp(x, v))"].dist == "Gamma"
    with pytest.raises(PriorError, match="positive support"):
        bl.Model("y ~ gp(x, v)", small_field, priors={"lengthscale(gp(x, v))": bl.Prior("Normal", mu=1, sigma=1)})


def test_data_errors(small_field):
    with pytest.raises(FormulaError, match="unknown column 'q'"):
        bl.Model("y ~ gp(x, q)", small_field)
    with pytest.raises(DataError, match="must be numeric"):
        bl.Model("y ~ gp(x, site)", small_field)
    same = small_field.assign(x=1.0, v=2.0)
    with pytest.raises(DataError, match="coincide"):
        bl.Model("y ~ gp(x, v)", same)
    with pytest.raises(FormulaError, match="appears twice"):
        bl.Model("y ~ gp(x, v) + gp(x, v, cov='matern52')", small_field)
    with pytest.raises(DataError, match="outside"):
        bl.Model("y ~ gp(v, x, lonlat=True)", small_field.assign(x=small_field.x * 20))


def test_lonlat_projection_and_warning():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"lon": rng.uniform(5, 9, 80), "lat": rng.uniform(45, 47, 80), "y": rng.standard_normal(80)})
    spec = bl.Model("y ~ gp(lon, lat, lonlat=True)", df).spec
    g = spec.gp_terms[0]
    assert "km (equirectangular projection" in g.describe() and g.projection_error < 0.02
    # projected distances against great-circle distances: within the recorded error
    raw = df[["lon", "lat"]].to_numpy()
    flat = np.linalg.norm(project_lonlat(raw[:10], g.origin) - project_lonlat(raw[10:20], g.origin), axis=1)
    np.testing.assert_allclose(flat, _haversine_pairs(raw[:10], raw[10:20]), rtol=g.projection_error + 1e-9)
    wide = df.assign(lat=rng.uniform(-60, 70, 80))
    with pytest.warns(GPProjectionWarning, match="distorts distances"):
        bl.Model("y ~ gp(lon, lat, lonlat=True)", wide)


@pytest.mark.parametrize("formula,family,strategy", [
    ("y ~ env + gp(x, v)", "gaussian", "dense"),
    ("y ~ env + gp(x, v, approx='hsgp')", "gaussian", "hsgp"),
    ("y ~ env + gp(x, v, approx='hsgp') + (1 | site)", "gaussian", "hsgp"),
    ("y ~ env + gp(x, v, approx='hsgp') + (env | site)", "gaussian", "latent"),
    ("count ~ env + gp(x, v)", "poisson", "latent"),
])
def test_choose_strategy(small_field, formula, family, strategy):
    m = bl.Model(formula, small_field, family=family)
    assert m.strategy.name == strategy
    assert "gp(x, v): matern32 over x, v" in m.strategy.reason


def test_strategy_override_must_handle_gp(small_field):
    with pytest.raises(SpecError, match="does not handle gp"):
        bl.Model("y ~ gp(x, v)", small_field, strategy="spectral")


def test_hsgp_plan_reported_and_capped(small_field):
    """The heuristic's plan in one dimension; capped and reported in two."""
    m1 = bl.Model("y ~ gp(x, approx='hsgp')", small_field)
    plan = hsgp_plan(m1.spec, m1.spec.gp_terms[0])
    assert plan.source == "heuristic" and plan.size <= MAX_BASIS[1]
    from pymc.gp.hsgp_approx import approx_hsgp_hyperparams

    S = m1.spec.gp_terms[0].half_range[0]
    assert (plan.m[0], plan.c[0]) == approx_hsgp_hyperparams([-S, S], list(plan.lengthscale_range), "matern32")
    m2 = bl.Model("y ~ gp(x, v, approx='hsgp')", small_field)
    plan2 = hsgp_plan(m2.spec, m2.spec.gp_terms[0])
    assert plan2.source == "capped" and plan2.size <= MAX_BASIS[2]
    assert plan2.m[0] > plan2.m[1]  # x spans 10, v spans 4: the same resolution in both directions
    assert f"m=({plan2.m[0]}, {plan2.m[1]})" in m2.strategy.reason
    m3 = bl.Model("y ~ gp(x, v, m=(9, 5), c=1.7)", small_field)
    plan3 = hsgp_plan(m3.spec, m3.spec.gp_terms[0])
    assert (plan3.m, plan3.c, plan3.source) == ((9, 5), (1.7, 1.7), "user")
    assert m3.spec.gp_terms[0].method == "hsgp"  # m and c imply the approximation
