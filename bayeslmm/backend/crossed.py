"""Crossed strategy: every random intercept integrated out jointly, through a Schur complement.

For Gaussian models whose random terms are all iid intercepts, ``(1 | a) + (1 | b)`` (crossed
or nested), the sampler sees the fixed effects, the total sd and the proportions only; the
likelihood is :class:`~.crossed_likelihood.CrossedGaussian`, exact, from sufficient
statistics. The effects are drawn exactly from their joint Gaussian conditional after
sampling (:func:`complete`).

With the term of most levels (:math:`J_1`) first, the other :math:`m` effects form the Schur
complement, so one evaluation costs :math:`O(J_1 m^2 + m^3)`: used while
:math:`m \\le` :data:`MAX_SCHUR`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import scipy.sparse as sp

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm
from .collapsed_kernels import LOG_2PI
from .common import coords_of, fixed_coefficients, variance_parameters
from .crossed_likelihood import CrossedGaussian
from .hybrid import term_design

__all__ = ["MAX_SCHUR", "applies", "build", "complete", "ordered_terms"]

MAX_SCHUR = 40
"""Largest number of effects outside the term of most levels (the Schur complement's size)."""


def ordered_terms(spec: ModelSpec) -> list[GroupTerm]:
    """The random terms with the one of most levels first (ties: the first in the formula)."""
    first = max(spec.terms, key=lambda t: t.n_levels)
    return [first] + [t for t in spec.terms if t is not first]


def applies(spec: ModelSpec) -> bool:
    """Gaussian, one residual sd, two or more random terms, all iid intercepts, and at most
    :data:`MAX_SCHUR` effects outside the largest term."""
    if not (spec.family.name == "gaussian" and spec.family.marginalisable and spec.sigma is None
            and not spec.gp_terms and not spec.has_kernels and len(spec.terms) >= 2):
        return False
    if not all(t.is_intercept_only and t.kernel is None for t in spec.terms):
        return False
    terms = ordered_terms(spec)
    return sum(t.n_levels for t in terms[1:]) <= MAX_SCHUR


def _design(spec: ModelSpec, terms: list[GroupTerm]) -> sp.csr_matrix:
    """:math:`Z = [Z_1, Z_2, \\dots]`: each intercept term's one-hot map, in ``terms`` order."""
    return sp.hstack([term_design(spec, t)[0] for t in terms], format="csr")


def _sd_index(spec: ModelSpec, terms: list[GroupTerm]) -> np.ndarray:
    return np.concatenate([np.full(t.n_levels, spec.components.index(t.components[0])) for t in terms])


def _statistics(spec: ModelSpec, terms: list[GroupTerm]) -> tuple[Any, ...]:
    """``D1, B, C22, zy, zx, yy, Xty, XtX`` (see :func:`~.crossed_likelihood.crossed_value_and_grad`)."""
    Z = _design(spec, terms)
    J1 = terms[0].n_levels
    C = (Z.T @ Z).toarray()
    X = spec.X if spec.fixed_columns else np.zeros((spec.n, 0))
    y = spec.y
    return (np.ascontiguousarray(np.diag(C)[:J1]), np.ascontiguousarray(C[:J1, J1:]),
            np.ascontiguousarray(C[J1:, J1:]), np.asarray(Z.T @ y).ravel(), np.asarray(Z.T @ X), float(y @ y),
            X.T @ y, X.T @ X)


def build(spec: ModelSpec) -> pm.Model:
    """PyMC model with every random intercept integrated out jointly (a Potential)."""
    if not applies(spec):
        raise SpecError("the crossed strategy needs a gaussian model without kernels, gp() fields or a sigma "
                        "formula, whose random terms (two or more) are all iid intercepts with at most "
                        f"{MAX_SCHUR} levels outside the largest term")
    terms = ordered_terms(spec)
    with pm.Model(coords=coords_of(spec)) as model:
        var = variance_parameters(spec)
        b = fixed_coefficients(spec)
        b = pt.as_tensor_variable(np.zeros(0)) if b is None else b
        op = CrossedGaussian(spec.n)
        loglik = op(var.sd, b, _sd_index(spec, terms).astype(np.int64), *_statistics(spec, terms))[0]
        pm.Potential("crossed_loglik", loglik)
    return model


def complete(spec: ModelSpec, idata: Any, seed: int) -> None:
    """Draw every term's effects ``u_<key>`` from :math:`p(u \\mid y, \\theta)` into the posterior
    and store the pointwise log-likelihood given the effects (``log_likelihood["y"]``).

    Notes
    -----
    With :math:`u = \\Lambda v`: :math:`v \\mid y \\sim N(\\alpha/\\sigma^2, M^{-1})`
    (:mod:`.crossed_likelihood`). The other effects are drawn from their marginal,
    :math:`v_2 \\sim N(\\alpha_2/\\sigma^2, S^{-1})`, then the first term's given them,
    :math:`v_1 \\mid v_2 \\sim N(\\alpha_1/\\sigma^2 - E(v_2 - \\alpha_2/\\sigma^2),
    M_{11}^{-1})` with :math:`M_{11}` diagonal. Exact; vectorised over draws.
    """
    from ..results import arviz_bridge as azb

    terms = ordered_terms(spec)
    D1, B, C22, zy, zx, *_ = _statistics(spec, terms)
    sd_index = _sd_index(spec, terms)
    chains, draws = idata.posterior.sizes["chain"], idata.posterior.sizes["draw"]
    S, J1, m = chains * draws, len(D1), len(C22)
    b_all = azb.draws(idata, "b") if spec.fixed_columns else np.zeros((S, 0))
    sd_all = azb.draws(idata, "sd")
    rng = np.random.default_rng(seed)
    u = np.empty((S, J1 + m))
    loglik = np.empty((S, spec.n))
    per_draw = J1 * m + m * m + spec.n
    for chunk in np.array_split(np.arange(S), max(1, S * per_draw // 5_000_000)):
        b, lam, sigma2 = b_all[chunk], sd_all[chunk][:, sd_index], sd_all[chunk, -1] ** 2
        w = lam * (zy[None, :] - b @ zx.T)
        M11 = 1.0 + lam[:, :J1] ** 2 * D1 / sigma2[:, None]
        M12 = lam[:, :J1, None] * lam[:, None, J1:] * B / sigma2[:, None, None]
        E = M12 / M11[:, :, None]
        Smat = (np.eye(m) + lam[:, J1:, None] * lam[:, None, J1:] * C22 / sigma2[:, None, None]
                - np.einsum("sik,sil->skl", M12, E))
        LS = np.linalg.cholesky(Smat)
        rhs = w[:, J1:] - np.einsum("sik,si->sk", E, w[:, :J1])
        alpha2 = np.linalg.solve(Smat, rhs[..., None])[..., 0]
        alpha1 = (w[:, :J1] - np.einsum("sik,sk->si", M12, alpha2)) / M11
        mean2 = alpha2 / sigma2[:, None]
        e2 = rng.standard_normal((len(chunk), m))
        v2 = mean2 + np.linalg.solve(np.swapaxes(LS, -1, -2), e2[..., None])[..., 0]
        v1 = (alpha1 / sigma2[:, None] - np.einsum("sik,sk->si", E, v2 - mean2)
              + rng.standard_normal((len(chunk), J1)) / np.sqrt(M11))
        u[chunk] = lam * np.concatenate([v1, v2], axis=1)
        fitted = b @ spec.X.T if spec.fixed_columns else np.zeros((len(chunk), spec.n))
        start = 0
        for term in terms:
            fitted += u[chunk, start:start + term.n_levels][:, term.index] * term.Z[:, 0]
            start += term.n_levels
        loglik[chunk] = -0.5 * (LOG_2PI + np.log(sigma2)[:, None] + (spec.y[None, :] - fitted) ** 2 / sigma2[:, None])
    start = 0
    for term in terms:
        azb.set_term_effects(idata, term.key, term.levels, term.columns, u[:, start:start + term.n_levels, None])
        start += term.n_levels
    azb.set_pointwise_loglik(idata, loglik)
