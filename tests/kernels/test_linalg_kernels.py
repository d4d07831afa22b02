"""Eigh, PSD check, truncation, Woodbury against dense references."""

from __future__ import annotations

import numpy as np
import pytest

from bayeslmm.errors import KernelError
from bayeslmm.linalg import Eigh, check_psd, eigh_from_factor, eigh_of, truncate, woodbury_logdet_solve
from bayeslmm.linalg.lowrank import factor_of


def test_eigh_of_sorted_descending_and_reconstructs() -> None:
    x = np.random.default_rng(0).standard_normal((20, 8))
    k = x @ x.T
    e = eigh_of(k)
    assert e.complete and e.n == 20 and e.rank == 8
    assert np.all(np.diff(e.values) <= 0) and e.values.min() >= 0
    np.testing.assert_allclose(e.reconstruct(), k, atol=1e-10)
    np.testing.assert_allclose(e.vectors.T @ e.vectors, np.eye(20), atol=1e-10)
    assert e.trace_fraction(20) == pytest.approx(1.0) and 0 < e.trace_fraction(1) < 1
    assert not e.vectors.flags.writeable


def test_eigh_from_factor_is_thin_and_matches_full() -> None:
    w = np.random.default_rng(1).standard_normal((30, 6))
    thin, full = eigh_from_factor(w), eigh_of(w @ w.T)
    assert not thin.complete and thin.k == 6
    np.testing.assert_allclose(thin.values, full.values[:6], rtol=1e-10)
    np.testing.assert_allclose(thin.reconstruct(), w @ w.T, atol=1e-10)


@pytest.mark.parametrize("duplicate", [False, True])
def test_eigh_from_factor_gram_route_and_svd_fallback(duplicate) -> None:
    """Well-conditioned W goes through W'W; a W with two equal columns (W'W singular) falls
    back to the thin SVD. Both reconstruct W W' with orthonormal vectors."""
    from bayeslmm.linalg import eigh as eigh_module

    w = np.random.default_rng(2).standard_normal((200, 40))
    if duplicate:
        w[:, 1] = w[:, 0]
    thin = eigh_from_factor(w)
    gram_values = np.linalg.eigvalsh(w.T @ w)
    assert (gram_values[0] > eigh_module.GRAM_MIN_RATIO * gram_values[-1]) is not duplicate
    np.testing.assert_allclose(thin.vectors.T @ thin.vectors, np.eye(40), atol=1e-9)
    np.testing.assert_allclose(thin.reconstruct(), w @ w.T, atol=1e-9)
    np.testing.assert_allclose(thin.values, np.linalg.svd(w, compute_uv=False) ** 2, rtol=1e-9, atol=1e-9)


def test_eigh_validation() -> None:
    with pytest.raises(KernelError, match="not positive semi-definite: smallest eigenvalue -1"):
        eigh_of(np.diag([1.0, -1.0]))
    with pytest.raises(KernelError, match="values must be >= 0; smallest is -1"):
        Eigh(np.eye(2), np.array([1.0, -1.0]), 2)
    with pytest.raises(KernelError, match="descending"):
        Eigh(np.eye(2), np.array([1.0, 2.0]), 2)
    with pytest.raises(KernelError, match="do not match vectors"):
        Eigh(np.eye(2), np.array([1.0]), 2)


def test_check_psd_policies() -> None:
    m = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(KernelError, match="smallest eigenvalue -1.000e\\+00, 1 eigenvalue below"):
        check_psd(m, "error")
    out, rep = check_psd(m, "clip")
    assert rep.action == "clipped" and rep.amount == pytest.approx(1.0) and out is not m
    np.testing.assert_allclose(out, [[1.5, 1.5], [1.5, 1.5]])
    out, rep = check_psd(m, "jitter")
    assert rep.action == "jittered" and np.linalg.eigvalsh(out)[0] >= 0
    assert rep.describe().startswith("PSD: min eigenvalue -1; added jitter")
    same, rep = check_psd(np.eye(3))
    assert rep.action == "none" and rep.min_eigenvalue == pytest.approx(1.0)
    with pytest.raises(KernelError, match="psd must be one of .* got 'fix'"):
        check_psd(m, "fix")  # type: ignore[arg-type]


def test_truncate_and_factor() -> None:
    e = Eigh(np.eye(4), np.array([5.0, 3.0, 1.5, 0.5]), 4)
    t = truncate(e, 0.8)
    assert t.k == 2 and t.trace_fraction(2) == pytest.approx(1.0)
    assert truncate(e, 1.0).k == 4
    w = factor_of(e)
    np.testing.assert_allclose(w @ w.T, e.reconstruct())
    with pytest.raises(KernelError, match="trace_fraction must be in \\(0, 1\\], got 1.5"):
        truncate(e, 1.5)


def test_woodbury_against_dense() -> None:
    rng = np.random.default_rng(4)
    n, q = 50, 7
    w, s, d = rng.standard_normal((n, q)), rng.uniform(0.5, 2, q), rng.uniform(0.5, 2, n)
    b = rng.standard_normal((n, 3))
    v = np.diag(d) + (w * s) @ w.T
    logdet, x = woodbury_logdet_solve(d, w, s, b)
    assert logdet == pytest.approx(np.linalg.slogdet(v)[1], rel=1e-10)
    np.testing.assert_allclose(v @ x, b, atol=1e-10)
    with pytest.raises(KernelError, match="s must have shape \\(7,\\)"):
        woodbury_logdet_solve(d, w, s[:3], b)
