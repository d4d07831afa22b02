"""The eigenbasis maths against dense formulas (no PyMC): REML, per-SNP GLS, Wakefield ABF."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import minimize_scalar

from bayeslmm.errors import DataError
from bayeslmm.gwas.gls import (
    CHI2_MEDIAN,
    COLLINEAR,
    MONOMORPHIC,
    TESTED,
    NullModel,
    Rotated,
    gls_block,
    prepare_block,
    reml_log_likelihood,
    wakefield_log10_bf,
)
from bayeslmm.gwas.result import lambda_gc
from bayeslmm.gwas.variance import H2_UPPER, reml_h2
from bayeslmm.linalg.eigh import eigh_from_factor, eigh_of


def _problem(n: int = 80, m_kernel: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    W = rng.binomial(2, 0.4, size=(n, m_kernel)).astype(float)
    W -= W.mean(0)
    K = W @ W.T
    scale = np.trace(K) / n
    K /= scale
    X = np.column_stack([np.ones(n), rng.standard_normal(n)])
    u = W @ rng.normal(0, 0.08, m_kernel)
    y = 1.0 + 0.5 * X[:, 1] + u + rng.standard_normal(n)
    G = rng.binomial(2, 0.3, size=(n, 6)).astype(float)
    return K, W / np.sqrt(scale), X, y, G


def _dense_reml(K, X, y, h2):
    n, p = X.shape
    H = h2 * K + (1 - h2) * np.eye(n)
    Hi = np.linalg.inv(H)
    XHX = X.T @ Hi @ X
    P = Hi - Hi @ X @ np.linalg.solve(XHX, X.T @ Hi)
    s2 = y @ P @ y / (n - p)
    return -0.5 * ((n - p) * (np.log(2 * np.pi * s2) + 1) + np.linalg.slogdet(H)[1] + np.linalg.slogdet(XHX)[1])


def _dense_gls(K, X, y, g, h2):
    """Reference: GLS of y on [X, g] with covariance s² H, s² re-estimated (n - p - 1 df)."""
    n = len(y)
    H = h2 * K + (1 - h2) * np.eye(n)
    Hi = np.linalg.inv(H)
    Xf = np.column_stack([X, g])
    A = Xf.T @ Hi @ Xf
    b = np.linalg.solve(A, Xf.T @ Hi @ y)
    r = y - Xf @ b
    s2 = r @ Hi @ r / (n - Xf.shape[1])
    return b[-1], np.sqrt(s2 * np.linalg.inv(A)[-1, -1])


@pytest.mark.parametrize("h2", [0.0, 0.3, 0.8, 0.99])
def test_reml_log_likelihood_equals_dense(h2):
    K, _, X, y, _ = _problem()
    rotated = Rotated.from_eigh(eigh_of(K), X, y)
    assert reml_log_likelihood(rotated, h2) == pytest.approx(_dense_reml(K, X, y, h2), rel=1e-10)


def test_thin_eigenbasis_equals_complete():
    """A kernel of 40 markers for 80 samples: the thin SVD path (complement at 1/(1-h²)) is exact."""
    K, W, X, y, G = _problem(m_kernel=40)
    thin = Rotated.from_eigh(eigh_from_factor(W), X, y)
    full = Rotated.from_eigh(eigh_of(K), X, y)
    assert not thin.complete and full.complete
    for h2 in (0.1, 0.6):
        assert reml_log_likelihood(thin, h2) == pytest.approx(_dense_reml(K, X, y, h2), rel=1e-9)
    a = gls_block(G.copy(order="F"), NullModel.at(thin, 0.6, prior_sd=0.2, method="reml"))
    b = gls_block(G.copy(order="F"), NullModel.at(full, 0.6, prior_sd=0.2, method="reml"))
    np.testing.assert_allclose(a["beta"], b["beta"], rtol=1e-8)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-8)


@pytest.mark.parametrize("h2", [0.0, 0.45, 0.95])
def test_gls_block_equals_dense_gls(h2):
    K, _, X, y, G = _problem()
    null = NullModel.at(Rotated.from_eigh(eigh_of(K), X, y), h2, prior_sd=0.2, method="reml")
    out = gls_block(G.copy(order="F"), null)
    for j in range(G.shape[1]):
        beta, se = _dense_gls(K, X, y, G[:, j], h2)
        assert out["beta"][j] == pytest.approx(beta, rel=1e-8)
        assert out["se"][j] == pytest.approx(se, rel=1e-8)
    np.testing.assert_allclose(out["chi2"], (out["beta"] / out["se"]) ** 2, rtol=1e-12)
    np.testing.assert_allclose(out["p"], stats.chi2.sf(out["chi2"], 1), rtol=1e-12)
    assert np.all(out["status"] == TESTED)


def test_reml_h2_is_the_dense_maximiser():
    K, _, X, y, _ = _problem(n=120, seed=3)
    h2, loglik = reml_h2(Rotated.from_eigh(eigh_of(K), X, y))
    ref = minimize_scalar(lambda h: -_dense_reml(K, X, y, h), bounds=(0, H2_UPPER), method="bounded",
                          options={"xatol": 1e-9})
    # the REML curve is smooth and unimodal here; both searches stop at xatol ~1e-7
    assert h2 == pytest.approx(ref.x, abs=1e-4)
    assert loglik == pytest.approx(-ref.fun, rel=1e-9)
    assert 0.0 < h2 < H2_UPPER


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_reml_h2_beats_a_fine_grid(seed):
    """Including pure-noise phenotypes, whose maximum is often on the boundary h² = 0."""
    K, _, X, _, _ = _problem(n=150, seed=seed)
    y = np.random.default_rng(seed).standard_normal(150)
    rotated = Rotated.from_eigh(eigh_of(K), X, y)
    h2, loglik = reml_h2(rotated)
    grid = max(reml_log_likelihood(rotated, h) for h in np.linspace(0, H2_UPPER, 1001))
    assert loglik >= grid - 1e-9
    assert loglik == pytest.approx(reml_log_likelihood(rotated, h2), rel=1e-12)


def test_wakefield_formula():
    beta, se, W = np.array([0.3, -0.05]), np.array([0.1, 0.1]), 0.04
    V = se**2
    z2 = beta**2 / V
    abf = np.sqrt(V / (V + W)) * np.exp(z2 / 2 * W / (V + W))
    np.testing.assert_allclose(wakefield_log10_bf(z2, se, W), np.log10(abf), rtol=1e-12)
    # a weak effect favours the null (log10 BF < 0), a strong one the alternative
    out = wakefield_log10_bf(z2, se, W)
    assert out[1] < 0 < out[0]


def test_prior_var_scales_with_phenotype_sd():
    K, _, X, y, _ = _problem()
    rot1 = Rotated.from_eigh(eigh_of(K), X, y)
    rot10 = Rotated.from_eigh(eigh_of(K), X, 10 * y)
    a = NullModel.at(rot1, 0.3, prior_sd=0.2, method="reml")
    b = NullModel.at(rot10, 0.3, prior_sd=0.2, method="reml")
    assert a.prior_var == pytest.approx(0.04 * a.sigma2)
    assert b.prior_var == pytest.approx(100 * a.prior_var)


def test_prepare_block_imputes_counts_and_flags_monomorphic():
    block = np.array([[0, 1, 2, np.nan], [1, 1, np.nan, np.nan], [2, 1, 0, np.nan], [1, 1, 2, np.nan]],
                     dtype=float, order="F")
    info = prepare_block(block)
    np.testing.assert_array_equal(info["n_missing"], [0, 0, 1, 4])
    np.testing.assert_array_equal(info["n"], [4, 4, 3, 0])
    np.testing.assert_array_equal(info["informative"], [True, False, True, False])
    assert info["af"][2] == pytest.approx(4 / 6)
    # the missing call is imputed to the mean, then everything is centred
    assert block[1, 2] == pytest.approx(0.0)
    np.testing.assert_allclose(block.sum(axis=0), 0.0, atol=1e-12)


def test_prepare_block_rejects_values_outside_0_2():
    block = np.array([[0, 1], [3, 1], [1, 0]], dtype=float, order="F")
    with pytest.raises(DataError, match=r"SNP 7 has 3\.0"):
        prepare_block(block, first_column=7)


def test_monomorphic_and_collinear_snps_get_status_not_numbers():
    K, _, X, y, G = _problem()
    G[:, 1] = 1.0
    G[:, 2] = np.clip(X[:, 1] * 0.5 + 1.0, 0, 2)  # used as a covariate below: nothing left after X
    X2 = np.column_stack([X[:, 0], G[:, 2]])
    null = NullModel.at(Rotated.from_eigh(eigh_of(K), X2, y), 0.4, prior_sd=0.2, method="reml")
    out = gls_block(G.copy(order="F"), null)
    assert out["status"][1] == MONOMORPHIC and out["status"][2] == COLLINEAR
    assert np.isnan(out["beta"][[1, 2]]).all() and np.isnan(out["p"][[1, 2]]).all()
    assert np.isfinite(out["p"][[0, 3, 4, 5]]).all()


def test_lambda_gc_of_null_chi2_is_one():
    chi2 = stats.chi2.rvs(1, size=200_000, random_state=np.random.default_rng(2))
    # the sample median of 200,000 draws has sd ~ 0.3% of the median
    assert lambda_gc(chi2) == pytest.approx(1.0, abs=0.015)
    assert CHI2_MEDIAN == pytest.approx(0.4549364, abs=1e-7)
    assert lambda_gc(2 * chi2) == pytest.approx(2 * lambda_gc(chi2))
