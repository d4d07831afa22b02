"""Posterior draws of the random effects, whatever the strategy.

Latent strategies sample the effects; marginal strategies (dense, spectral, low-rank,
Woodbury) integrate them out, so they are drawn afterwards from their Gaussian conditional
given each posterior draw of the parameters (Matheron's rule).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla

from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm
from . import arviz_bridge as azb

__all__ = ["term_factor_draws", "random_effect_draws"]


def term_factor_draws(spec: ModelSpec, idata: Any, term: GroupTerm) -> np.ndarray:
    """Draws ``(S, q, q)`` of :math:`F` with :math:`F F' = \\Sigma` for ``term``."""
    sd = azb.draws(idata, "sd")
    start = spec.components.index(term.components[0])
    sd_t = sd[:, start : start + len(term.columns)]
    if term.correlated:
        corr = azb.draws(idata, f"corr_{term.key}")
        chol = np.linalg.cholesky(corr + 1e-12 * np.eye(corr.shape[-1]))
        return sd_t[:, :, None] * chol
    return np.einsum("sq,qr->sqr", sd_t, np.eye(len(term.columns)))


def _kernel_root(spec: ModelSpec, term: GroupTerm) -> np.ndarray:
    from ..backend.latent import kernel_root

    return kernel_root(spec.kernels[term.kernel])


def random_effect_draws(spec: ModelSpec, idata: Any, strategy: str, term: GroupTerm,
                        max_draws: int | None = None, seed: int = 0) -> np.ndarray:
    """Draws ``(S, J, q)`` of the effects of ``term`` for every level (every kernel id)."""
    post = idata.posterior
    if f"u_{term.key}" in post:
        return azb.draws(idata, f"u_{term.key}")
    if f"z_{term.key}" in post:
        z = azb.draws(idata, f"z_{term.key}")
        F = term_factor_draws(spec, idata, term)
        root = _kernel_root(spec, term)
        return np.einsum("jr,srq,spq->sjp", root, z, F)
    return conditional_draws(spec, idata, max_draws=max_draws, seed=seed)[term.key]


def conditional_draws(spec: ModelSpec, idata: Any, max_draws: int | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Draw every term's effects from :math:`p(u \\mid y, \\theta)` for each posterior draw.

    Notes
    -----
    With :math:`y = Xb + Mu + e`, prior :math:`u \\sim N(0, C)`, :math:`C = \\oplus_t
    \\Sigma_t \\otimes K_t`, :math:`e \\sim N(0, \\sigma_e^2 I)` and :math:`V = M C M' +
    \\sigma_e^2 I`, Matheron's rule gives an exact conditional draw
    :math:`u = u_0 + C M' V^{-1}(y - Xb - M u_0 - e_0)` from prior draws :math:`u_0, e_0`.
    One Cholesky factorisation of :math:`V` per draw: :math:`O(n^3)`.
    """
    rng = np.random.default_rng(seed)
    b = azb.draws(idata, "b") if spec.fixed_columns else np.zeros((_n_draws(idata), 0))
    sigma = azb.draws(idata, "sd")[:, -1]
    S = b.shape[0]
    picks = np.arange(S) if max_draws is None or max_draws >= S else np.linspace(0, S - 1, max_draws).astype(int)
    roots = {t.key: (_kernel_root(spec, t) if t.kernel else None) for t in spec.terms}
    factors = {t.key: term_factor_draws(spec, idata, t) for t in spec.terms}
    out = {t.key: np.empty((len(picks), t.n_levels, len(t.columns))) for t in spec.terms}
    for i, s in enumerate(picks):
        u0, cov_rows = {}, np.zeros((spec.n, spec.n))
        eta0 = np.zeros(spec.n)
        for t in spec.terms:
            F = factors[t.key][s]
            w = rng.standard_normal((t.n_levels if roots[t.key] is None else roots[t.key].shape[1], len(t.columns)))
            u = w @ F.T if roots[t.key] is None else roots[t.key] @ (w @ F.T)
            u0[t.key] = u
            eta0 += np.sum(u[t.index] * t.Z, axis=1)
            cov_rows += _term_row_cov(spec, t, F @ F.T)
        V = cov_rows + sigma[s] ** 2 * np.eye(spec.n)
        resid = spec.y - spec.X @ b[s] - eta0 - sigma[s] * rng.standard_normal(spec.n)
        alpha = sla.cho_solve(sla.cho_factor(V, lower=True), resid)
        for t in spec.terms:
            Sig = factors[t.key][s] @ factors[t.key][s].T
            # C M' alpha for this term: sum over rows i of K[:, j(i)] * (Z_i Sigma) * alpha_i
            weighted = t.Z * alpha[:, None]  # (n, q)
            agg = np.zeros((t.n_levels, len(t.columns)))
            np.add.at(agg, t.index, weighted)
            if t.kernel is not None:
                agg = np.asarray(spec.kernels[t.kernel].matrix) @ agg
            out[t.key][i] = u0[t.key] + agg @ Sig
    return out


def _term_row_cov(spec: ModelSpec, term: GroupTerm, Sig: np.ndarray) -> np.ndarray:
    from ..backend.dense import row_covariance

    G = row_covariance(spec, term)
    ZS = term.Z @ Sig
    return (ZS @ term.Z.T) * G


def _n_draws(idata: Any) -> int:
    post = idata.posterior
    return post.sizes["chain"] * post.sizes["draw"]
