"""The marginal leave-one-out densities equal brute-force conditioning of the dense normal.

No sampling: posteriors are built by hand (``helpers_criteria.fake_posterior``), so every
strategy-specific path (eigendecomposition, block-diagonal, dense) is checked against the
Schur complement at the same parameter draws. Both sides are exact linear algebra on
covariances with condition numbers below ~1e4, so rtol 1e-8 leaves room only for rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeslmm as bl
from bayeslmm.errors import SpecError
from bayeslmm.results.pointwise import (
    conditional_loglik,
    marginal_loglik,
    normal_loo_from_cov,
    thinned_draws,
)
from bayeslmm.spec.model_spec import build_spec

from helpers_criteria import brute_force_loo, fake_posterior

RTOL = 1e-8


def _check(spec, method: str, seed: int = 0) -> None:
    idata = fake_posterior(spec, seed=seed)
    pw = marginal_loglik(spec, idata)
    assert pw.method == method
    assert pw.values.shape == (6, spec.n)  # one value per observation of the data and draw
    np.testing.assert_allclose(pw.values, brute_force_loo(spec, idata), rtol=RTOL)


@pytest.fixture(scope="module")
def sleep():
    return bl.datasets.sleepstudy_like(n_subjects=12, n_days=6, seed=3)


def test_iid_random_intercept(sleep):
    _check(build_spec("Reaction ~ Days + (1 | Subject)", sleep), "block-diagonal")


def test_correlated_slopes(sleep):
    _check(build_spec("Reaction ~ Days + (Days | Subject)", sleep), "block-diagonal", seed=1)


def test_crossed_iid_terms_are_one_dense_block():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"a": rng.integers(0, 6, 70).astype(str), "b": rng.integers(0, 5, 70).astype(str)})
    df["y"] = rng.normal(size=70)
    _check(build_spec("y ~ 1 + (1 | a) + (1 | b)", df), "dense", seed=2)


def test_distributional_residual(sleep):
    df = sleep.assign(half=np.where(sleep["Days"] < 3, "early", "late"))
    spec = build_spec(["Reaction ~ Days + (1 | Subject)", "sigma ~ half"], df)
    idata = fake_posterior(spec, seed=5)
    gamma = np.random.default_rng(5).normal(0, 0.5, size=(2, 3, spec.sigma.W.shape[1]))
    idata.posterior["b_sigma"] = xr.DataArray(gamma, dims=("chain", "draw", "sigma_coef"))
    pw = marginal_loglik(spec, idata)
    from bayeslmm.results.residual import residual_sd_draws

    # brute force with the row-specific residual variances
    ref = _brute_with_sigma(spec, idata, residual_sd_draws(spec, idata))
    np.testing.assert_allclose(pw.values, ref, rtol=RTOL)


def _brute_with_sigma(spec, idata, sigma_rows):
    from scipy.stats import norm

    post = idata.posterior
    b = post["b"].values.reshape(-1, spec.X.shape[1])
    sd = post["sd"].values.reshape(b.shape[0], -1)
    (t,) = spec.terms
    same = t.index[:, None] == t.index[None, :]
    out = np.empty((b.shape[0], spec.n))
    for s in range(b.shape[0]):
        V = sd[s, 0] ** 2 * same + np.diag(sigma_rows[s] ** 2)
        mu = spec.X @ b[s]
        for i in range(spec.n):
            o = np.delete(np.arange(spec.n), i)
            w = np.linalg.solve(V[np.ix_(o, o)], V[o, i])
            out[s, i] = norm.logpdf(spec.y[i], mu[i] + w @ (spec.y[o] - mu[o]), np.sqrt(V[i, i] - w @ V[o, i]))
    return out


@pytest.mark.parametrize("approx", ["exact", "hsgp"])
def test_gp_field_joins_one_dense_block(approx):
    rng = np.random.default_rng(6)
    df = pd.DataFrame({"lon": rng.uniform(0, 10, 50), "lat": rng.uniform(0, 10, 50),
                       "g": rng.integers(0, 5, 50).astype(str)})
    df["y"] = np.sin(df["lon"]) + rng.normal(size=50)
    _check(build_spec(f"y ~ 1 + (1 | g) + gp(lon, lat, approx='{approx}')", df), "dense", seed=6)


# -- kernel models ------------------------------------------------------------------------------
def _kernel_data(n: int, markers: int, seed: int, rows: np.ndarray | None = None):
    geno = bl.datasets.genotypes(n, markers, seed=seed)
    G = bl.kernels.grm(geno)
    rng = np.random.default_rng(seed)
    ids = np.asarray(G.ids) if rows is None else np.asarray(G.ids)[rows]
    df = pd.DataFrame({"id": ids, "x": rng.normal(size=len(ids))})
    df["y"] = 1.0 + 0.5 * df["x"] + rng.normal(size=len(ids))
    return df, G


def test_kernel_one_record_per_id_uses_eigendecomposition():
    df, G = _kernel_data(60, 200, seed=7)
    _check(build_spec("y ~ x + (1 | gr(id, cov=G))", df, kernels={"G": G}), "eigendecomposition")


def test_kernel_thin_eigendecomposition():
    # 30 markers for 60 individuals: the GRM has rank < 30 and a thin decomposition
    df, G = _kernel_data(60, 30, seed=8)
    assert G.factor is not None
    spec = build_spec("y ~ x + (1 | gr(id, cov=G))", df, kernels={"G": G})
    _check(spec, "eigendecomposition", seed=3)


def test_kernel_with_unphenotyped_ids():
    df, G = _kernel_data(60, 200, seed=9, rows=np.arange(0, 60, 2)[::-1].copy())
    _check(build_spec("y ~ x + (1 | gr(id, cov=G))", df, kernels={"G": G}), "eigendecomposition", seed=4)


def test_kernel_plus_iid_term_and_repeated_records_are_dense():
    df, G = _kernel_data(40, 100, seed=10, rows=np.repeat(np.arange(20), 2))
    df["batch"] = np.tile(["a", "b", "c", "d"], 10)
    spec = build_spec("y ~ x + (1 | gr(id, cov=G)) + (1 | batch)", df, kernels={"G": G})
    _check(spec, "dense", seed=5)


# -- pieces ----------------------------------------------------------------------------------------
def test_blocks_equal_one_dense_matrix():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 5, 5))
    V = A @ A.transpose(0, 2, 1) + np.eye(5)
    r = rng.normal(size=(3, 5))
    stacked = normal_loo_from_cov(V, r)
    single = np.stack([normal_loo_from_cov(V[k], r[k]) for k in range(3)])
    np.testing.assert_allclose(stacked, single, rtol=1e-10)


def test_thinning_keeps_every_chain():
    picks = thinned_draws(4, 100, 100)
    assert len(picks) == 100 and set(picks // 100) == {0, 1, 2, 3}
    assert np.array_equal(thinned_draws(2, 10, None), np.arange(20))


def test_max_draws_subsets(sleep):
    spec = build_spec("Reaction ~ Days + (1 | Subject)", sleep)
    idata = fake_posterior(spec, chains=2, draws=10)
    pw = marginal_loglik(spec, idata, max_draws=10)
    full = marginal_loglik(spec, idata)
    assert pw.values.shape == (10, spec.n)
    np.testing.assert_allclose(pw.values, full.values[pw.picks], rtol=1e-12)


def test_marginal_needs_gaussian_family():
    df = pd.DataFrame({"y": [0, 1, 1, 0, 1, 0] * 5, "g": list("aabbcc") * 5})
    spec = build_spec("y ~ 1 + (1 | g)", df, family="bernoulli")
    with pytest.raises(SpecError, match="bernoulli"):
        marginal_loglik(spec, fake_posterior(spec))


def test_conditional_from_effect_draws_is_gaussian_density(sleep):
    spec = build_spec("Reaction ~ Days + (1 | Subject)", sleep)
    idata = fake_posterior(spec)
    u = np.random.default_rng(1).normal(0, 20, size=(6, spec.terms[0].n_levels, 1))
    b = idata.posterior["b"].values.reshape(6, -1)
    sigma = idata.posterior["sd"].values.reshape(6, -1)[:, -1]
    mean = b @ spec.X.T + u[:, spec.terms[0].index, 0]
    pw = conditional_loglik(spec, idata, lambda: mean[::2])  # effects drawn at a subset of 3 draws
    assert pw.method == "effect draws" and list(pw.picks) == [0, 2, 5]
    from scipy.stats import norm

    expected = norm.logpdf(spec.y, mean[::2], sigma[[0, 2, 5], None])
    np.testing.assert_allclose(pw.values, expected, rtol=1e-12)
