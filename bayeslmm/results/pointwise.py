"""Pointwise log predictive densities per posterior draw, the input of PSIS-LOO and WAIC.

Two kinds, one value per observation of the data and per draw:

- ``conditional``: :math:`\\log p(y_i \\mid \\theta, u)`, the density of each observation given
  the parameters and the random effects;
- ``marginal``: :math:`\\log p(y_i \\mid y_{-i}, \\theta)`, the exact leave-one-out predictive
  density of a Gaussian model given the parameters, random effects integrated out
  (non-factorised normal formula, Bürkner, Gabry and Vehtari 2021).

Numerics only (numpy / scipy); the arrays are turned into criteria in ``criteria.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import scipy.linalg as sla
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from threadpoolctl import threadpool_limits

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm
from . import arviz_bridge as azb
from .effects import draw_subset, term_factor_draws
from .residual import residual_sd_draws

__all__ = [
    "LOO_FLOP_BUDGET",
    "MIN_LOO_DRAWS",
    "PointwiseDraws",
    "normal_loo_from_cov",
    "normal_loo_from_eigh",
    "marginal_loglik",
    "conditional_loglik",
    "thinned_draws",
]

LOO_FLOP_BUDGET = 5e10
"""Work allowed for the marginal pointwise densities (floating-point operations, roughly)."""

MIN_LOO_DRAWS = 400
"""Fewest draws kept when the budget forces thinning (PSIS needs a few hundred draws)."""

SINGLE_THREAD_MAX = 1500
"""Blocks up to this size are factorised with single-threaded BLAS: threads gain little on
them and lose badly when cores are shared (measured at n = 300 on 2 busy cores: 7 ms per
draw with one thread, 117 ms with two)."""

_LOG_2PI = float(np.log(2.0 * np.pi))
_CHUNK = 256


@dataclass(frozen=True)
class PointwiseDraws:
    """Pointwise log densities of the observations per posterior draw.

    Attributes
    ----------
    values
        ``(S, n)``: one row per draw used, one column per observation of the data.
    picks
        Positions of the draws used among the ``chains * draws`` posterior draws (flattened
        chain by chain).
    kind
        ``"marginal"`` or ``"conditional"``.
    method
        How the values were computed (``"stored log_likelihood"``, ``"eigendecomposition"``,
        ``"block-diagonal"``, ``"dense"``, ``"effect draws"``).
    """

    values: np.ndarray
    picks: np.ndarray
    kind: str
    method: str


# -- the non-factorised normal formula ---------------------------------------------------------
def _loo_terms(g: np.ndarray, c: np.ndarray) -> np.ndarray:
    return -0.5 * _LOG_2PI + 0.5 * np.log(c) - 0.5 * g**2 / c


def normal_loo_from_cov(V: np.ndarray, r: np.ndarray) -> np.ndarray:
    """:math:`\\log p(y_i \\mid y_{-i})` for every :math:`i` when :math:`y - \\mu = r \\sim N(0, V)`.

    Parameters
    ----------
    V
        ``(m, m)`` covariance, or a stack ``(B, m, m)`` of independent blocks.
    r
        ``(m,)`` residuals :math:`y - \\mu`, or ``(B, m)``.

    Notes
    -----
    With :math:`g = V^{-1} r` and :math:`c_{ii} = (V^{-1})_{ii}`, the conditional of
    :math:`y_i` given the rest is :math:`N(y_i - g_i / c_{ii}, 1 / c_{ii})`, so
    :math:`\\log p(y_i \\mid y_{-i}) = -\\tfrac12 \\log 2\\pi + \\tfrac12 \\log c_{ii} -
    \\tfrac12 g_i^2 / c_{ii}` (Sundararajan and Keerthi 2001; Bürkner, Gabry and Vehtari
    2021). With :math:`V = LL'`: :math:`c_{ii} = \\sum_k (L^{-1})_{ki}^2` and
    :math:`g = L^{-T}(L^{-1} r)`; one Cholesky factorisation and triangular inverse,
    :math:`\\tfrac23 m^3` operations.
    """
    if V.ndim == 2:
        L = sla.cholesky(V, lower=True, check_finite=False)
        L_inv, info = sla.lapack.dtrtri(L, lower=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"triangular inverse failed (LAPACK info {info})")
        L_inv = np.tril(L_inv)
        h = L_inv @ r
        return _loo_terms(L_inv.T @ h, np.einsum("ki,ki->i", L_inv, L_inv))
    inv = np.linalg.inv(V)
    g = np.einsum("bij,bj->bi", inv, r)
    c = np.einsum("bii->bi", inv)
    return _loo_terms(g, c)


def normal_loo_from_eigh(vectors: np.ndarray, values: np.ndarray, s2: np.ndarray, sigma2: np.ndarray,
                         R: np.ndarray) -> np.ndarray:
    """Leave-one-out log densities for :math:`V = s^2 K + \\sigma^2 I`, all draws at once.

    Parameters
    ----------
    vectors, values
        Eigenpairs of :math:`K` in data-row order: ``(n, k)`` orthonormal columns and
        ``(k,)`` eigenvalues; ``k < n`` for a thin decomposition (missing directions have
        eigenvalue 0).
    s2, sigma2
        ``(S,)`` kernel and residual variances per draw.
    R
        ``(S, n)`` residuals :math:`y - Xb` per draw.

    Returns
    -------
    ``(S, n)`` values of :math:`\\log p(y_i \\mid y_{-i}, \\theta_s)`.

    Notes
    -----
    :math:`V^{-1} = U \\operatorname{diag}(1/d) U'` with :math:`d_j = s^2 \\lambda_j + \\sigma^2`,
    so :math:`c_{ii} = \\sum_j U_{ij}^2 / d_j` and :math:`g = U((U'r) / d)`: :math:`O(n k)` per
    draw, no factorisation. For a thin decomposition the complement of :math:`\\operatorname{span}(U)`
    has variance :math:`\\sigma^2`: :math:`V^{-1} = U \\operatorname{diag}(1/d - 1/\\sigma^2) U' +
    I / \\sigma^2`.
    """
    n, k = vectors.shape
    thin = k < n
    U2 = vectors**2
    out = np.empty_like(R)
    for start in range(0, R.shape[0], _CHUNK):
        sl = slice(start, start + _CHUNK)
        d = s2[sl, None] * values[None, :] + sigma2[sl, None]
        w = 1.0 / d - (1.0 / sigma2[sl, None] if thin else 0.0)
        proj = (R[sl] @ vectors) * w
        g = proj @ vectors.T
        c = w @ U2.T
        if thin:
            g = g + R[sl] / sigma2[sl, None]
            c = c + 1.0 / sigma2[sl, None]
        out[sl] = _loo_terms(g, c)
    return out


# -- which layout the covariance has -----------------------------------------------------------
def _eigen_path(spec: ModelSpec) -> bool:
    """One kernel intercept term with at most one record per id, nothing else random, one
    residual sd."""
    if len(spec.terms) != 1 or spec.sigma is not None or spec.gp_terms:
        return False
    t = spec.terms[0]
    if t.kernel is None or not t.is_intercept_only or not np.all(t.Z == 1.0):
        return False
    return len(np.unique(t.index)) == spec.n


def _blocks(spec: ModelSpec) -> list[np.ndarray]:
    """Row sets with independent marginal covariance, grouped by size: ``(B, m)`` index arrays.

    Rows sharing a level of any iid term are dependent (connected components of the
    row-level graph); any kernel or ``gp()`` term joins all rows into one block.
    """
    n = spec.n
    if spec.gp_terms or any(t.kernel is not None for t in spec.terms):
        return [np.arange(n)[None, :]]
    rows, cols, offset = [], [], n
    for t in spec.terms:
        rows.append(np.arange(n))
        cols.append(offset + t.index)
        offset += t.n_levels
    if rows:
        r, c = np.concatenate(rows), np.concatenate(cols)
        graph = coo_matrix((np.ones(len(r)), (r, c)), shape=(offset, offset))
        _, label = connected_components(graph, directed=False)
        label = label[:n]
    else:
        label = np.arange(n)
    order = np.argsort(label, kind="stable")
    _, starts, counts = np.unique(label[order], return_index=True, return_counts=True)
    out = []
    for m in np.unique(counts):
        sel = counts == m
        out.append(np.stack([order[s : s + m] for s in starts[sel]]))
    return out


def _row_cov_blocks(spec: ModelSpec, term: GroupTerm, idx: np.ndarray) -> np.ndarray:
    """``(B, m, m)`` blocks of :math:`G_t` (shared level, or kernel entries) on row sets ``idx``."""
    if term.kernel is None:
        lv = term.index[idx]
        return (lv[:, :, None] == lv[:, None, :]).astype(float)
    from ..backend.dense import row_covariance

    G = row_covariance(spec, term)
    return G[idx[:, :, None], idx[:, None, :]]


# -- draws ---------------------------------------------------------------------------------------
def thinned_draws(chains: int, draws: int, keep: int | None) -> np.ndarray:
    """Flat positions of every k-th draw of each chain, so that about ``keep`` remain."""
    total = chains * draws
    if keep is None or keep >= total:
        return np.arange(total)
    step = int(np.ceil(total / max(int(keep), 1)))
    return np.concatenate([c * draws + np.arange(0, draws, step) for c in range(chains)])


def _auto_keep(total: int, cost_per_draw: float, max_draws: int | None) -> int:
    if max_draws is not None:
        return int(max_draws)
    affordable = int(LOO_FLOP_BUDGET // max(cost_per_draw, 1.0))
    return max(affordable, min(MIN_LOO_DRAWS, total))


def _shape(idata: Any) -> tuple[int, int]:
    post = idata.posterior
    return int(post.sizes["chain"]), int(post.sizes["draw"])


def _fixed_part(spec: ModelSpec, idata: Any, picks: np.ndarray) -> np.ndarray:
    if not spec.fixed_columns:
        return np.zeros((len(picks), spec.n))
    b = azb.draws(idata, "b")[picks]
    return b @ spec.X.T


# -- marginal -------------------------------------------------------------------------------------
def marginal_loglik(spec: ModelSpec, idata: Any, max_draws: int | None = None) -> PointwiseDraws:
    """:math:`\\log p(y_i \\mid y_{-i}, \\theta_s)` for every observation and (thinned) draw.

    Parameters
    ----------
    spec
        A Gaussian model.
    idata
        Posterior with ``b``, ``sd`` and ``corr_*`` draws (any strategy).
    max_draws
        Use about this many draws (every k-th of each chain). ``None``: all draws, unless
        the work exceeds :data:`LOO_FLOP_BUDGET`, then as many as it allows but at least
        :data:`MIN_LOO_DRAWS`.

    Notes
    -----
    :math:`V_s = \\sum_t Z_t(\\Sigma_{t,s} \\otimes K_t)Z_t' + D_s` (:math:`D_s` the residual
    variances, :math:`\\sigma_s^2 I` without a sigma formula) and
    :math:`r_s = y - X b_s` per draw, then :func:`normal_loo_from_cov`. The covariance is
    handled in the cheapest exact way: through the cached eigendecomposition of the kernel on
    the data rows when the model has one kernel intercept term with at most one record per
    id, no other random term and one residual sd (:math:`O(nk)` per draw, vectorised over
    draws); block by block when only iid terms are present (rows that share no level are
    independent, :math:`O(\\sum_b m_b^3)`); as one dense :math:`n \\times n` matrix otherwise,
    ``gp()`` fields included (:math:`O(n^3)` per draw, single-threaded BLAS up to
    :data:`SINGLE_THREAD_MAX` rows).
    """
    if not spec.family.marginalisable:
        raise SpecError(
            f"kind='marginal' needs a gaussian family; random effects of the {spec.family.name!r} family "
            "cannot be integrated out in closed form: use kind='conditional'"
        )
    chains, draws = _shape(idata)
    total = chains * draws
    sigma2_all = residual_sd_draws(spec, idata) ** 2  # (S, n): one value per row under a sigma formula
    if _eigen_path(spec):
        from ..linalg.rotation import observed_eigh

        t = spec.terms[0]
        eig = observed_eigh(spec.kernels[t.kernel], t.index)
        picks = thinned_draws(chains, draws, _auto_keep(total, 4.0 * spec.n * eig.k, max_draws))
        R = spec.y[None, :] - _fixed_part(spec, idata, picks)
        s2 = term_factor_draws(spec, idata, t)[picks, 0, 0] ** 2
        values = normal_loo_from_eigh(eig.vectors, eig.values, s2, sigma2_all[picks, 0], R)
        return PointwiseDraws(values, picks, "marginal", "eigendecomposition")
    blocks = _blocks(spec)
    cost = sum(b.shape[0] * b.shape[1] ** 3 for b in blocks)
    picks = thinned_draws(chains, draws, _auto_keep(total, float(cost), max_draws))
    R = spec.y[None, :] - _fixed_part(spec, idata, picks)
    factors = [term_factor_draws(spec, idata, t)[picks] for t in spec.terms]
    fields = _field_covariances(spec, idata, picks)
    values = np.empty((len(picks), spec.n))
    largest = max(b.shape[1] for b in blocks)
    with threadpool_limits(limits=1 if largest <= SINGLE_THREAD_MAX else None, user_api="blas"):
        _fill_blocks(spec, blocks, factors, fields, sigma2_all[picks], R, values)
    method = "dense" if len(blocks) == 1 and blocks[0].shape[0] == 1 else "block-diagonal"
    return PointwiseDraws(values, picks, "marginal", method)


def _fill_blocks(spec: ModelSpec, blocks: list[np.ndarray], factors: list[np.ndarray],
                 fields: list[Callable[[int], np.ndarray]], sigma2: np.ndarray, R: np.ndarray,
                 values: np.ndarray) -> None:
    """Assemble each block's covariance per draw and write its LOO densities into ``values``."""
    for idx in blocks:
        Zs = [t.Z[idx] for t in spec.terms]
        Gs = [_row_cov_blocks(spec, t, idx) for t in spec.terms]
        eye = np.eye(idx.shape[1])
        for s in range(R.shape[0]):
            V = sigma2[s][idx][:, :, None] * eye
            for Z, G, F in zip(Zs, Gs, factors):
                ZS = Z @ (F[s] @ F[s].T)
                V = V + np.einsum("bmq,bkq->bmk", ZS, Z) * G
            for field_cov in fields:  # gp() terms: one block of all rows
                V = V + field_cov(s)[None]
            if V.shape[0] == 1:
                values[s, idx[0]] = normal_loo_from_cov(V[0], R[s, idx[0]])
            else:
                values[s, idx] = normal_loo_from_cov(V, R[s][idx])


def _field_covariances(spec: ModelSpec, idata: Any, picks: np.ndarray) -> list[Callable[[int], np.ndarray]]:
    """Per ``gp()`` term, draw -> its covariance at the data rows (exact, or the HSGP
    approximation the model used), :math:`s^2 k_\\ell(x_i, x_j)`."""
    if not spec.gp_terms:
        return []
    from .gp_predict import field_correlation

    sd = azb.draws(idata, "sd")[picks]
    out = []
    for g in spec.gp_terms:
        ls = azb.draws(idata, f"ls_{g.key}")[picks]
        amp = sd[:, spec.components.index(g.label)]

        def cov(s: int, g=g, ls=ls, amp=amp) -> np.ndarray:
            return amp[s] ** 2 * field_correlation(spec, g, g.coords, g.by_design, g.coords, g.by_design, ls[s])

        out.append(cov)
    return out


# -- conditional ---------------------------------------------------------------------------------
def _stored_is_conditional(spec: ModelSpec, idata: Any) -> bool:
    """Whether ``log_likelihood["y"]`` holds one density per observation given the effects:
    every random term (and ``gp()`` field) was sampled, and ``y`` was observed row by row."""
    post = idata.posterior
    latent = all(f"u_{t.key}" in post or f"z_{t.key}" in post for t in spec.terms)
    latent = latent and all(any(f"{p}_{g.key}" in post for p in ("f", "beta", "z")) for g in spec.gp_terms)
    if not latent or "log_likelihood" not in idata.groups() or "y" not in idata.log_likelihood:
        return False
    return idata.log_likelihood["y"].shape[2:] == (spec.n,)


def conditional_loglik(spec: ModelSpec, idata: Any, mean_draws: Callable[[], np.ndarray]) -> PointwiseDraws:
    """:math:`\\log p(y_i \\mid \\theta_s, u_s)` for every observation and draw.

    Parameters
    ----------
    mean_draws
        Returns ``(S', n)`` draws of the mean at the fitted rows given the random effects
        (``Fit.predict(kind="mean", return_draws=True)``), at the positions
        :func:`~bayeslmm.results.effects.draw_subset` gives for ``S'``. Called only when the
        stored log-likelihood is not pointwise given the effects.

    Notes
    -----
    Latent strategies store this density (``log_likelihood`` group). Marginal strategies
    store the density of the whole vector (or of rotated components), so for a Gaussian
    family it is recomputed as :math:`N(y_i \\mid x_i b_s + \\sum_t z_{ti} u_{t,j(i),s},
    \\sigma_{is}^2)` with effects drawn after sampling from :math:`p(u \\mid y, \\theta_s)`;
    these may be a subset of the draws (``picks``).
    """
    chains, draws = _shape(idata)
    total = chains * draws
    if _stored_is_conditional(spec, idata):
        values = np.asarray(idata.log_likelihood["y"].values, dtype=float).reshape(total, spec.n)
        return PointwiseDraws(values, np.arange(total), "conditional", "stored log_likelihood")
    if spec.family.name != "gaussian":
        raise SpecError(
            f"no pointwise log-likelihood given the random effects is stored for this {spec.family.name!r} fit"
        )
    mean = np.asarray(mean_draws(), dtype=float)
    picks = draw_subset(total, mean.shape[0])
    sigma = residual_sd_draws(spec, idata)[picks]
    z = (spec.y[None, :] - mean) / sigma
    values = -0.5 * _LOG_2PI - np.log(sigma) - 0.5 * z**2
    return PointwiseDraws(values, picks, "conditional", "effect draws")
