"""The collapsed strategy (one iid term integrated out level by level) against the dense
Gaussian density, its effect draws against the exact conditional, and its choice.

Tolerance rtol 1e-8: the strategy is an exact rewrite (determinant lemma and Woodbury per
level), so only rounding separates it from scipy's dense multivariate normal.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytest
from scipy.stats import multivariate_normal

import bayeslmm as bl
from bayeslmm.backend import collapsed
from bayeslmm.backend.collapsed import collapsed_term, complete
from bayeslmm.backend.collapsed_likelihood import CollapsedGaussian
from bayeslmm.results import arviz_bridge as azb
from model_values import deterministic, likelihood, random_values

RTOL = 1e-8


def _factor(spec, model, term, values):
    sd = deterministic(model, "sd", values)
    k = spec.components.index(term.components[0])
    s = sd[k:k + len(term.columns)]
    if term.correlated:
        return s[:, None] * np.linalg.cholesky(deterministic(model, f"corr_{term.key}", values))
    return np.diag(s)


def _dense_reference(spec, model, values):
    """log N(y; X b + latent offsets, sigma² I + Z Sigma Z' over the collapsed term)."""
    main = collapsed_term(spec)
    sigma = deterministic(model, "sd", values)[-1]
    mean = spec.X @ values["b"] if spec.fixed_columns else np.zeros(spec.n)
    for t in spec.terms:
        if t is not main:
            u = values[f"z_{t.key}"] @ _factor(spec, model, t, values).T
            mean = mean + np.sum(u[t.index] * t.Z, axis=1)
    F = _factor(spec, model, main, values)
    same = main.index[:, None] == main.index[None, :]
    V = sigma**2 * np.eye(spec.n) + same * (main.Z @ F @ F.T @ main.Z.T)
    return multivariate_normal(mean, V).logpdf(spec.y)


@pytest.mark.parametrize("formula", [
    "y ~ x + (1 | g)",
    "y ~ 0 + (1 | g)",
    "y ~ x + (x || g)",
    "y ~ x + (x | g)",
    "y ~ x + (1 + x + w | g)",
    "y ~ x + (1 | g) + (1 | h)",
    "y ~ x + (x | g) + (1 | h)",
    "y ~ 1 + (1 | g/p)",
])
@pytest.mark.parametrize("other_terms", ["in the statistics", "from the residuals"])
def test_collapsed_matches_dense(grouped, formula, other_terms, monkeypatch):
    """Both ways of handling the other (latent) terms: as extra columns of the sufficient
    statistics (the default at this size) and through the residual vector (forced)."""
    if other_terms == "from the residuals":
        monkeypatch.setattr(collapsed, "AUGMENTED_WORK_PER_ROW", 0)
    model = bl.Model(formula, grouped, strategy="collapsed")  # intercept-only pairs default to "crossed"
    pm_model, spec = model.build(), model.spec
    ops = [v.owner.op for v in pytensor.graph.ancestors(pm_model.potentials)
           if v.owner is not None and isinstance(v.owner.op, CollapsedGaussian)]
    others = [t for t in spec.terms if t is not collapsed_term(spec)]
    width = len(spec.fixed_columns) + sum(t.n_levels * len(t.columns) for t in others)
    in_residuals = others and width**2 > collapsed.AUGMENTED_WORK_PER_ROW * spec.n
    assert {op.mode for op in ops} == {"residuals" if in_residuals else "statistics"}
    rng = np.random.default_rng(3)
    for _ in range(3):
        values = random_values(pm_model, rng)
        assert np.isclose(likelihood(pm_model, values), _dense_reference(spec, pm_model, values), rtol=RTOL, atol=0)


def test_collapses_the_term_with_most_rows_per_level(grouped):
    spec = bl.Model("y ~ x + (1 | h) + (1 | g)", grouped).spec
    assert collapsed_term(spec).group == "h"  # 4 levels against 12, so 3x the rows per level
    assert bl.Model("y ~ x + (1 | g)", grouped.assign(y=np.round(np.abs(grouped.y))),
                    family="poisson").strategy.name == "latent"
    assert bl.Model("y ~ x + (1 + x + w + x:w | g)", grouped).strategy.name == "latent"  # 4 coefficients


def test_effect_draws_follow_the_exact_conditional(grouped):
    """At fixed parameters, drawn effects have the mean and covariance of p(u | y, theta)."""
    import arviz as az
    import xarray as xr

    model = bl.Model("y ~ x + (x | g)", grouped)
    pm_model, spec = model.build(), model.spec
    values = random_values(pm_model, np.random.default_rng(4))
    S = 20000
    post = {"b": np.broadcast_to(values["b"], (1, S, len(values["b"]))),
            "sd": np.broadcast_to(deterministic(pm_model, "sd", values), (1, S, len(spec.components)))}
    term = spec.terms[0]
    corr = deterministic(pm_model, f"corr_{term.key}", values)
    post[f"corr_{term.key}"] = np.broadcast_to(corr, (1, S, 2, 2))
    idata = az.from_dict(posterior={k: np.array(v) for k, v in post.items()})
    complete(spec, idata, seed=5)
    u = azb.draws(idata, f"u_{term.key}")  # (S, J, 2)
    # exact conditional from the dense joint: u | y ~ N(C M' V^{-1} r, C - C M' V^{-1} M C)
    F = _factor(spec, pm_model, term, values)
    Sigma = F @ F.T
    J, n = term.n_levels, spec.n
    M = np.zeros((n, 2 * J))
    for c in range(2):
        M[np.arange(n), term.index * 2 + c] = term.Z[:, c]
    C = np.kron(np.eye(J), Sigma)
    sigma2 = deterministic(pm_model, "sd", values)[-1] ** 2
    V = M @ C @ M.T + sigma2 * np.eye(n)
    r = spec.y - spec.X @ values["b"]
    mean = C @ M.T @ np.linalg.solve(V, r)
    cov = C - C @ M.T @ np.linalg.solve(V, M @ C)
    flat = u.reshape(S, 2 * J)
    sd = np.sqrt(np.diag(cov))
    # Monte Carlo: the mean of 20,000 draws is within 5 standard errors, sds within 5%
    assert np.all(np.abs(flat.mean(axis=0) - mean) < 5 * sd / np.sqrt(S))
    np.testing.assert_allclose(flat.std(axis=0), sd, rtol=0.05)
    assert isinstance(idata.posterior[f"u_{term.key}"], xr.DataArray)
    # the pointwise log-likelihood given the drawn effects is stored, as a latent model would
    from scipy.stats import norm

    fitted = spec.X @ values["b"] + np.sum(u[7][term.index] * term.Z, axis=1)
    np.testing.assert_allclose(idata.log_likelihood["y"].values[0, 7], norm(fitted, np.sqrt(sigma2)).logpdf(spec.y),
                               rtol=1e-10)
