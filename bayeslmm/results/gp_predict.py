"""Posterior draws of ``gp()`` fields at the data and at new locations (kriging).

HSGP fields are their basis times the weights ``beta_<key>`` (sampled, or drawn after
sampling by the ``hsgp`` strategy), so a new location only needs its basis row. Exact
fields are known at the data rows (``f_<key>`` when sampled, else drawn from
:math:`p(f \\mid y, \\theta)` with the other random effects by Matheron's rule in
:func:`bayeslmm.results.effects.conditional_draws`), and a new location gets the GP
conditional given them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.linalg as sla
from scipy.spatial.distance import cdist

from ..errors import DataError, SpecError
from ..spec.gp import GPTermSpec, hsgp_basis, hsgp_frequencies, kernel_matrix
from ..spec.model_spec import ModelSpec
from . import arviz_bridge as azb

__all__ = [
    "JITTER",
    "FieldDraws",
    "field_at",
    "field_correlation",
    "field_draws",
    "field_prediction_draws",
    "field_prior",
    "find_field",
]

JITTER = 1e-6
"""Added to the diagonal of an exact field's correlation matrix before factorising it (as in
the ``latent`` strategy)."""
MAX_CONDITIONAL_DRAWS = 200


@dataclass(frozen=True)
class FieldDraws:
    """Posterior draws of one field at flat draw positions ``positions``.

    ``beta`` ``(S', M L)`` for HSGP fields with weights; otherwise ``rows`` ``(S', n)``, the
    field at the data rows. ``lengthscale`` and ``sd`` at the same draws.
    """

    term: GPTermSpec
    positions: np.ndarray
    lengthscale: np.ndarray
    sd: np.ndarray
    beta: np.ndarray | None = None
    weights: np.ndarray | None = None
    rows: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.positions)


def find_field(spec: ModelSpec, name: str | None) -> GPTermSpec:
    """The ``gp()`` term labelled or keyed ``name`` (the only one when ``None``)."""
    if not spec.gp_terms:
        raise SpecError("this model has no gp() term")
    if name is None:
        return spec.gp_terms[0]
    for g in spec.gp_terms:
        if name in (g.label, g.key, g.call.text):
            return g
    raise SpecError(f"no gp() term {name!r}; terms are {[g.label for g in spec.gp_terms]}")


def _plan(spec: ModelSpec, term: GPTermSpec):
    from ..backend.gp import hsgp_plan

    return hsgp_plan(spec, term)


def field_correlation(spec: ModelSpec, term: GPTermSpec, x1: np.ndarray, b1: np.ndarray, x2: np.ndarray,
                      b2: np.ndarray, lengthscale: float) -> np.ndarray:
    """Unit-amplitude covariance of the field between two sets of rows (locations ``x``, ``by``
    rows ``b``): :math:`k_\\ell(x_1, x_2) \\circ b_1 b_2'`, exact or in the HSGP approximation."""
    if term.method == "exact":
        K = kernel_matrix(term.cov, cdist(x1, x2), lengthscale)
    else:
        from ..backend.gp import spectral_density_numpy

        plan = _plan(spec, term)
        psd = spectral_density_numpy(term.cov, hsgp_frequencies(plan.L, plan.m), lengthscale)
        K = (hsgp_basis(x1, plan.L, plan.m) * psd) @ hsgp_basis(x2, plan.L, plan.m).T
    return K * (b1 @ b2.T) if term.by_kind != "none" else K


def field_prior(spec: ModelSpec, term: GPTermSpec, lengthscale: float, sd: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A prior draw of the field at the data rows and its covariance there ``(n, n)``."""
    K = sd**2 * field_correlation(spec, term, term.coords, term.by_design, term.coords, term.by_design, lengthscale)
    L = np.linalg.cholesky(K + JITTER * sd**2 * np.eye(len(K)))
    return L @ rng.standard_normal(len(K)), K


def _parameters(idata: Any, term: GPTermSpec, spec: ModelSpec, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ls = azb.draws(idata, f"ls_{term.key}")[positions]
    sd = azb.draws(idata, "sd")[positions, spec.components.index(term.label)]
    return ls, sd


def field_draws(spec: ModelSpec, idata: Any, term: GPTermSpec, seed: int = 0) -> FieldDraws:
    """Posterior draws of a field, whatever the strategy (see the module docstring).

    Fields integrated out with the exact (dense) marginal are drawn at
    ``draw_subset(total, 200)``, jointly with the other random effects.
    """
    from .effects import conditional_draws, draw_subset

    post = idata.posterior
    total = post.sizes["chain"] * post.sizes["draw"]
    if f"beta_{term.key}" in post:
        positions = np.arange(total)
        ls, sd = _parameters(idata, term, spec, positions)
        return FieldDraws(term, positions, ls, sd, beta=azb.draws(idata, f"beta_{term.key}"),
                          weights=azb.draws(idata, f"w_{term.key}"))
    if f"f_{term.key}" in post:
        positions = np.arange(total)
        ls, sd = _parameters(idata, term, spec, positions)
        return FieldDraws(term, positions, ls, sd, rows=azb.draws(idata, f"f_{term.key}"))
    if not spec.family.marginalisable:
        raise SpecError(f"no draws of {term.label} in this posterior")
    positions = draw_subset(total, MAX_CONDITIONAL_DRAWS)
    ls, sd = _parameters(idata, term, spec, positions)
    rows = conditional_draws(spec, idata, picks=positions, seed=seed)[term.key]
    return FieldDraws(term, positions, ls, sd, rows=rows)


def _select(draws: FieldDraws, picks: np.ndarray | None) -> np.ndarray:
    """Positions in ``draws`` of the flat draw positions ``picks``."""
    if picks is None:
        return np.arange(draws.size)
    where = np.searchsorted(draws.positions, picks)
    if np.any(where >= draws.size) or np.any(draws.positions[np.minimum(where, draws.size - 1)] != picks):
        raise SpecError(f"draws of {draws.term.label} are not available at the requested positions")
    return where


def field_at(spec: ModelSpec, draws: FieldDraws, newdata: pd.DataFrame, picks: np.ndarray | None,
             rng: np.random.Generator) -> np.ndarray:
    """Draws ``(S', m)`` of the field at the rows of ``newdata`` (kriging).

    Notes
    -----
    HSGP: :math:`f(s_*) = [b_*\\Phi(s_*)]\\beta` per draw, jointly over the new rows. Exact:
    per draw, :math:`f_* \\sim N(K_{*o}K_{oo}^{-1}f_o,\\; \\sigma^2 - \\text{diag}(K_{*o}K_{oo}^{-1}K_{o*}))`
    for each new row (pointwise: the summaries per row are exact, draws at different new
    rows are drawn independently given :math:`f_o`). A row whose factor ``by`` level was not
    in the data gets a draw of a new field from the prior, :math:`N(0, \\sigma^2)` pointwise
    (exact) or :math:`\\Phi(s_*)(w \\circ z)`, :math:`z \\sim N(0, I)` (HSGP).
    """
    term = draws.term
    idx = _select(draws, picks)
    x_new = term.locations(newdata)
    b_new, known = term.by_matrix(newdata)
    if draws.beta is not None:
        from ..backend.gp import term_basis

        plan = _plan(spec, term)
        _check_box(term, x_new, plan.L)
        out = draws.beta[idx] @ term_basis(term, plan, x_new, b_new).T
        if (~known).any():
            out[:, ~known] = _new_levels_hsgp(term, plan, x_new, newdata, known, draws.weights[idx], rng)
        return out
    return _krige(spec, draws, idx, x_new, b_new, known, rng)


def _check_box(term: GPTermSpec, x: np.ndarray, L: np.ndarray) -> None:
    outside = np.abs(x) > L[None, :]
    if outside.any():
        i, d = np.argwhere(outside)[0]
        raise DataError(f"new location {i} of {term.label} lies outside the HSGP box (coordinate "
                        f"{term.call.columns[d]!r} {x[i, d] + term.center[d]:.4g} beyond "
                        f"{term.center[d] - L[d]:.4g}..{term.center[d] + L[d]:.4g}); widen it with gp(..., c=...)")


def _new_levels_hsgp(term, plan, x_new, newdata, known, weights, rng) -> np.ndarray:
    labels = newdata[term.call.by].astype(str).to_numpy()[~known]
    phi = hsgp_basis(x_new[~known], plan.L, plan.m)
    M = phi.shape[1]
    out = np.empty((weights.shape[0], phi.shape[0]))
    for level in np.unique(labels):
        rows = labels == level
        z = rng.standard_normal((weights.shape[0], M))
        out[:, rows] = (weights[:, :M] * z) @ phi[rows].T
    return out


def _prior_diagonal(spec, term: GPTermSpec, x: np.ndarray, b: np.ndarray, known: np.ndarray, ls: float) -> np.ndarray:
    """Unit-amplitude prior variance of the field at each new row (a new ``by`` level: one field)."""
    bb = np.where(known, np.einsum("ij,ij->i", b, b), 1.0)
    if term.method == "exact":
        return bb
    from ..backend.gp import spectral_density_numpy

    plan = _plan(spec, term)
    psd = spectral_density_numpy(term.cov, hsgp_frequencies(plan.L, plan.m), ls)
    return bb * (hsgp_basis(x, plan.L, plan.m) ** 2 @ psd)


def _krige(spec, draws: FieldDraws, idx, x_new, b_new, known, rng) -> np.ndarray:
    term = draws.term
    X, B = term.coords, term.by_design
    out = np.empty((len(idx), len(x_new)))
    for i, s in enumerate(idx):
        ls, sd = float(draws.lengthscale[s]), float(draws.sd[s])
        K = field_correlation(spec, term, X, B, X, B, ls)
        cross = field_correlation(spec, term, x_new, b_new, X, B, ls)
        chol = sla.cho_factor(K + JITTER * np.eye(len(K)), lower=True)
        mean = cross @ sla.cho_solve(chol, draws.rows[s] / sd) * sd
        reduce = np.einsum("ij,ji->i", cross, sla.cho_solve(chol, cross.T))
        var = sd**2 * np.clip(_prior_diagonal(spec, term, x_new, b_new, known, ls) - reduce, 0.0, None)
        out[i] = mean + np.sqrt(var) * rng.standard_normal(len(x_new))
    return out


def field_prediction_draws(fit: Any, newdata: pd.DataFrame, picks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sum over a fit's ``gp()`` terms of their draws ``(len(picks), m)`` at ``newdata``."""
    total = np.zeros((len(picks), len(newdata)))
    for term in fit.spec.gp_terms:
        total += field_at(fit.spec, fit.field_draws(term), newdata, picks, rng)
    return total
