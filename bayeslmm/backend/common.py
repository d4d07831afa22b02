"""Building blocks shared by every strategy: priors as PyMC variables, fixed effects, the
total-sd-and-proportions variance parameters, and random-effect covariance factors.

Every function here must be called inside a ``pm.Model`` context.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..spec.model_spec import ModelSpec
from ..spec.priors import Prior
from ..spec.terms import GroupTerm
from .simplex import dirichlet_proportions

__all__ = [
    "coords_of",
    "prior_variable",
    "fixed_coefficients",
    "fixed_effects",
    "VarianceParameters",
    "variance_parameters",
    "term_covariance_factor",
    "term_correlation_factor",
]


def coords_of(spec: ModelSpec) -> dict[str, list]:
    """Named dimensions of the model: coefficients, components, observations, term levels."""
    coords: dict[str, list] = {
        "coef": list(spec.fixed_columns),
        "component": list(spec.components),
        "obs": list(range(spec.n)),
    }
    for t in spec.terms:
        coords[f"{t.key}_level"] = list(t.levels)
        coords[f"{t.key}_coef"] = list(t.columns)
        coords[f"{t.key}_coef2"] = list(t.columns)
    return coords


def prior_variable(name: str, prior: Prior, **kwargs) -> pt.TensorVariable:
    """A PyMC random variable from a :class:`Prior` (``LKJ`` is handled elsewhere)."""
    dist = getattr(pm, prior.dist)
    params = dict(prior.params)
    if prior.dist == "StudentT":
        params.setdefault("mu", 0.0)
    return dist(name, **params, **kwargs)


def fixed_coefficients(spec: ModelSpec) -> pt.TensorVariable | None:
    """Fixed-effect coefficients ``b`` (dims ``coef``), or ``None`` without fixed columns.

    All-Normal priors become one vectorised ``Normal``; otherwise each coefficient gets its own
    variable and ``b`` is their stack.
    """
    if not spec.fixed_columns:
        return None
    priors = [spec.priors[c] for c in spec.fixed_columns]
    if all(p.dist == "Normal" for p in priors):
        mu = np.array([p.params["mu"] for p in priors], dtype=float)
        sigma = np.array([p.params["sigma"] for p in priors], dtype=float)
        return pm.Normal("b", mu=mu, sigma=sigma, dims="coef")
    parts = [prior_variable(f"b[{c}]", p) for c, p in zip(spec.fixed_columns, priors)]
    return pm.Deterministic("b", pt.stack(parts), dims="coef")


def fixed_effects(spec: ModelSpec) -> pt.TensorVariable:
    """The fixed linear predictor ``X b`` (declaring ``b``, see :func:`fixed_coefficients`)."""
    b = fixed_coefficients(spec)
    return pt.zeros(spec.n) if b is None else pt.dot(pt.as_tensor_variable(spec.X), b)


@dataclass(frozen=True)
class VarianceParameters:
    """Symbolic variance parameters.

    Attributes
    ----------
    tau
        Total sd: :math:`\\tau^2 = \\sum_k \\sigma_k^2 s_{x_k}^2 + \\sigma_e^2`.
    proportions
        :math:`\\pi_k`, one per component (``spec.components``), summing to 1.
    sd
        Per component: the sd of the coefficient on its own scale,
        :math:`\\sigma_k = \\sqrt{\\pi_k}\\,\\tau / s_{x_k}`; the residual sd last.
    """

    tau: pt.TensorVariable
    proportions: pt.TensorVariable
    sd: pt.TensorVariable

    def residual_sd(self, spec: ModelSpec) -> pt.TensorVariable:
        return self.sd[len(spec.components) - 1]

    def term_sd(self, spec: ModelSpec, term: GroupTerm) -> pt.TensorVariable:
        start = spec.components.index(term.components[0])
        return self.sd[start : start + len(term.columns)]


def variance_parameters(spec: ModelSpec) -> VarianceParameters:
    """Total sd ``tau`` and proportions ``proportions`` over ``spec.components``.

    Notes
    -----
    DESIGN.md section 5: sampling :math:`(\\tau, \\pi)` instead of independent sds removes
    the funnel of a variance near zero: a component at the boundary is a proportion near 0
    on a simplex whose other coordinates stay well identified. For slopes the share is on
    the scale of the response through the predictor, so the slope sd is
    :math:`\\sqrt{\\pi_k}\\tau / s_{x_k}` (R2D2M2, Aguilar and Bürkner 2023).
    """
    comps = spec.components
    tau = prior_variable("tau", spec.priors["tau"])
    if len(comps) > 1:
        a = np.asarray(spec.priors["proportions"].params["a"], dtype=float)
        proportions = dirichlet_proportions("proportions", a, dims="component")
    else:
        proportions = pm.Deterministic("proportions", pt.ones(1), dims="component")
    x_scale = np.concatenate([t.x_scale for t in spec.terms] + [g.x_scale for g in spec.gp_terms]
                             + ([np.ones(1)] if spec.family.has_residual else []))
    sd = pm.Deterministic("sd", pt.sqrt(proportions) * tau / x_scale, dims="component")
    return VarianceParameters(tau, proportions, sd)


def term_covariance_factor(spec: ModelSpec, term: GroupTerm, var: VarianceParameters) -> pt.TensorVariable:
    """Factor :math:`F` with :math:`F F' = \\Sigma` for the coefficients of ``term``.

    :math:`F = \\text{diag}(\\sigma) L` with :math:`L` from :func:`term_correlation_factor`.
    """
    sd = var.term_sd(spec, term)
    if not term.correlated:
        return pt.diag(sd)
    return sd[:, None] * term_correlation_factor(spec, term)


def term_correlation_factor(spec: ModelSpec, term: GroupTerm) -> pt.TensorVariable:
    """Cholesky factor :math:`L` of the correlation matrix of ``term``'s coefficients.

    The identity for ``||`` and single-coefficient terms; otherwise LKJ-distributed
    (:func:`lkj_cholesky`), with the correlation matrix recorded as ``corr_<key>``.
    """
    q = len(term.columns)
    if not term.correlated:
        return pt.as_tensor_variable(np.eye(q))
    eta = float(spec.priors[f"cor({term.group})"].params["eta"])
    chol = lkj_cholesky(f"cpc_{term.key}", q, eta)
    pm.Deterministic(f"corr_{term.key}", pt.dot(chol, chol.T), dims=(f"{term.key}_coef", f"{term.key}_coef2"))
    return chol


def lkj_cholesky(name: str, q: int, eta: float) -> pt.TensorVariable:
    r"""Cholesky factor of a correlation matrix with an LKJ(eta) prior, via the C-vine.

    Notes
    -----
    Lewandowski, Kurowicka and Joe (2009): the canonical partial correlations
    :math:`z_{ij}` (:math:`i > j`, the correlation of variables :math:`j, i` given
    :math:`0..j-1`) are independent with :math:`(z_{ij} + 1)/2 \sim
    \text{Beta}(\beta_j, \beta_j)`, :math:`\beta_j = \eta + (q - 2 - j)/2`, exactly when
    the correlation matrix is LKJ(:math:`\eta`). The Cholesky factor follows row by row:
    :math:`L_{i0} = z_{i0}`, :math:`L_{ij} = z_{ij}\sqrt{1 - \sum_{k<j} L_{ik}^2}`,
    :math:`L_{ii} = \sqrt{1 - \sum_{k<i} L_{ik}^2}`. No Jacobian is needed because the prior
    is placed on :math:`z` itself. This avoids a Cholesky decomposition in every gradient
    (PyMC's ``LKJCorr`` plus ``cholesky`` cost 18x more per gradient under nutpie on
    sleepstudy).
    """
    pairs = [(i, j) for j in range(q - 1) for i in range(j + 1, q)]
    beta = np.array([eta + (q - 2 - j) / 2.0 for _, j in pairs])
    w = pm.Beta(name, alpha=beta, beta=beta, shape=len(pairs))
    z = 2.0 * w - 1.0
    zmap = {pair: z[k] for k, pair in enumerate(pairs)}
    rows = []
    for i in range(q):
        entries, sumsq = [], 0.0
        for j in range(i):
            value = zmap[(i, j)] if j == 0 else zmap[(i, j)] * pt.sqrt(1.0 - sumsq)
            entries.append(value)
            sumsq = sumsq + value**2
        entries.append(pt.sqrt(1.0 - sumsq) if i else pt.constant(1.0))
        entries.extend(pt.constant(0.0) for _ in range(q - i - 1))
        rows.append(pt.stack(entries))
    return pt.stack(rows)


def correlation_names(term: GroupTerm) -> list[tuple[int, int, str]]:
    """Upper-triangle pairs of a correlated term, labelled ``cor(Intercept,Days|Subject)``."""
    out = []
    for i in range(len(term.columns)):
        for j in range(i + 1, len(term.columns)):
            out.append((i, j, f"cor({term.columns[i]},{term.columns[j]}|{term.group})"))
    return out
