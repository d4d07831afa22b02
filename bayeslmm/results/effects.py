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


def draw_subset(total: int, wanted: int | None) -> np.ndarray:
    """Evenly spaced draw positions, the same for every quantity that is subsampled."""
    if wanted is None or wanted >= total:
        return np.arange(total)
    return np.linspace(0, total - 1, wanted).round().astype(int)


def effect_draw_budget(spec: ModelSpec, term: GroupTerm, total: int, max_draws: int | None) -> int:
    r"""How many draws of a marginalised term to compute: fewer when the kernel is large.

    Each conditional draw costs :math:`O(Nn)` (N kernel ids, n rows); the budget keeps the
    total near :math:`4 \cdot 10^{10}` operations, never below 100 draws.
    """
    n_ids = term.n_levels
    budget = max(100, int(4e10 / max(n_ids * spec.n, 1)))
    return min(total, budget, max_draws or total)


def random_effect_draws(spec: ModelSpec, idata: Any, strategy: str, term: GroupTerm,
                        max_draws: int | None = None, seed: int = 0) -> np.ndarray:
    """Draws ``(S', J, q)`` of the effects of ``term`` for every level (every kernel id).

    ``S'`` is all draws for sampled effects; for effects integrated out it may be a subset
    at the positions :func:`draw_subset` gives.
    """
    post = idata.posterior
    if f"u_{term.key}" in post:
        return azb.draws(idata, f"u_{term.key}")
    if f"z_{term.key}" in post:
        z = azb.draws(idata, f"z_{term.key}")
        F = term_factor_draws(spec, idata, term)
        root = _kernel_root(spec, term)
        return np.einsum("jr,srq,spq->sjp", root, z, F)
    total = _n_draws(idata)
    if strategy in ("spectral", "lowrank", "hybrid"):
        from ..backend.rotated import main_kernel_term

        if term is main_kernel_term(spec):
            picks = draw_subset(total, effect_draw_budget(spec, term, total, max_draws))
            offsets = other_offsets(spec, idata, strategy, term, picks)
            return spectral_conditional_draws(spec, idata, term, picks, offsets, seed)
    picks = draw_subset(total, min(max_draws or total, 200))
    return conditional_draws(spec, idata, picks=picks, seed=seed)[term.key]


def other_offsets(spec: ModelSpec, idata: Any, strategy: str, main: GroupTerm, picks: np.ndarray) -> np.ndarray | None:
    """Contribution of the latent (non-main) terms at the picked draws, ``(S', n)``."""
    others = [t for t in spec.terms if t is not main]
    if not others and not spec.gp_terms:
        return None
    total = np.zeros((len(picks), spec.n))
    for t in others:
        u = random_effect_draws(spec, idata, strategy, t)[picks]
        total += np.einsum("snq,nq->sn", u[:, t.index], t.Z)
    for g in spec.gp_terms:  # sampled HSGP fields of the hybrid strategy
        from ..backend.gp import hsgp_plan, term_basis

        total += azb.draws(idata, f"beta_{g.key}")[picks] @ term_basis(g, hsgp_plan(spec, g)).T
    return total


def spectral_conditional_draws(spec: ModelSpec, idata: Any, term: GroupTerm, picks: np.ndarray,
                               offsets: np.ndarray | None, seed: int) -> np.ndarray:
    r"""Exact draws of a spectrally integrated kernel effect for every kernel id.

    Notes
    -----
    Matheron's rule with :math:`V = \sigma_g^2 K_{oo} + \sigma_e^2 I` applied through the
    eigenbasis of :math:`K_{oo}` (the kernel on the data rows):
    :math:`V^{-1}x = U (U'x / d) + (x - UU'x)/\sigma_e^2`, :math:`d = \sigma_g^2\lambda +
    \sigma_e^2`; then :math:`g = g_0 + \sigma_g^2 K_{\cdot o} V^{-1}(r - g_{0,o} - e_0)`
    for all N kernel ids, so unphenotyped ids get their conditional (genomic or pedigree)
    prediction. Batched over draws: two matrix products of size N x n x S'.
    """
    from ..backend.rotated import rotation_of

    rng = np.random.default_rng(seed)
    rot = rotation_of(spec, term)
    kernel = spec.kernels[term.kernel]
    k = spec.components.index(term.components[0])
    sd = azb.draws(idata, "sd")[picks]
    sg2, se2 = sd[:, k] ** 2, sd[:, -1] ** 2
    b = azb.draws(idata, "b")[picks] if spec.fixed_columns else np.zeros((len(picks), 0))
    r = spec.y[None, :] - b @ spec.X.T
    if offsets is not None:
        r = r - offsets
    root = _kernel_root(spec, term)
    g0 = (root @ rng.standard_normal((root.shape[1], len(picks)))).T * np.sqrt(sg2)[:, None]  # (S', N)
    x = r - g0[:, term.index] - np.sqrt(se2)[:, None] * rng.standard_normal(r.shape)
    U = rot.vectors
    x_rot = x @ U
    d = sg2[:, None] * rot.values[None, :] + se2[:, None]
    alpha = (x_rot / d) @ U.T + (x - x_rot @ U.T) / se2[:, None]
    K = np.asarray(kernel.matrix)
    # K symmetric: (K[:, idx] alpha')' = alpha K[idx, :]; no (N, n) copy when rows are in kernel order
    weighted = alpha @ K if np.array_equal(term.index, np.arange(K.shape[0])) else alpha @ K[term.index, :]
    g = g0 + sg2[:, None] * weighted
    return g[:, :, None]


def conditional_draws(spec: ModelSpec, idata: Any, picks: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
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
    roots = {t.key: (_kernel_root(spec, t) if t.kernel else None) for t in spec.terms}
    factors = {t.key: term_factor_draws(spec, idata, t) for t in spec.terms}
    out = {t.key: np.empty((len(picks), t.n_levels, len(t.columns))) for t in spec.terms}
    fields = _field_parameters(spec, idata)  # gp() terms: field at the rows, (S', n)
    out.update({g.key: np.empty((len(picks), spec.n)) for g in spec.gp_terms})
    for i, s in enumerate(picks):
        u0, cov_rows, field_cov = {}, np.zeros((spec.n, spec.n)), {}
        eta0 = np.zeros(spec.n)
        for g in spec.gp_terms:
            from .gp_predict import field_prior

            u0[g.key], field_cov[g.key] = field_prior(spec, g, fields[g.key][0][s], fields[g.key][1][s], rng)
            eta0 += u0[g.key]
            cov_rows += field_cov[g.key]
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
        for g in spec.gp_terms:
            out[g.key][i] = u0[g.key] + field_cov[g.key] @ alpha
    return out


def _field_parameters(spec: ModelSpec, idata: Any) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per ``gp()`` term: lengthscale and amplitude draws (the field is drawn at the data rows)."""
    sd = azb.draws(idata, "sd")
    return {g.key: (azb.draws(idata, f"ls_{g.key}"), sd[:, spec.components.index(g.label)])
            for g in spec.gp_terms}


def _term_row_cov(spec: ModelSpec, term: GroupTerm, Sig: np.ndarray) -> np.ndarray:
    from ..backend.dense import row_covariance

    G = row_covariance(spec, term)
    ZS = term.Z @ Sig
    return (ZS @ term.Z.T) * G


def _n_draws(idata: Any) -> int:
    post = idata.posterior
    return post.sizes["chain"] * post.sizes["draw"]
