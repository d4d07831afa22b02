"""Gaussian-process fields (``gp()`` terms) in PyMC: exact covariances, the Hilbert-space
approximation (HSGP), and the choice of strategy for models that contain them.

Exact GP: the covariance :math:`\\sigma^2 K_\\ell \\circ BB'` on the rows, from the kernel of
the learned lengthscale (:math:`O(n^3)` per gradient; the ``dense`` strategy integrates it out
for Gaussian responses, the ``latent`` strategy samples :math:`f = \\sigma\\,\\text{chol}(K)\\,z`).

HSGP: :math:`f \\approx \\Phi\\,(\\sigma\\sqrt{S_\\ell(\\omega)} \\odot \\beta)`,
:math:`\\beta \\sim N(0, I)`, with the basis :math:`\\Phi` (:func:`bayeslmm.spec.gp.hsgp_basis`)
computed once: only the weights depend on the hyperparameters. The ``hsgp`` strategy
(Gaussian) samples :math:`\\beta` with the likelihood from the :math:`Q \\times Q` Gram
matrix; ``hybrid`` keeps :math:`\\beta` latent beside a kernel integrated out in its
eigenbasis; ``latent`` serves every family.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from scipy.linalg import lapack
from scipy.spatial.distance import pdist, squareform

from ..errors import SpecError
from ..spec.gp import (
    GPTermSpec,
    hsgp_basis,
    hsgp_frequencies,
    kernel_matrix,
    lengthscale_name,
)
from ..spec.model_spec import ModelSpec
from .common import VarianceParameters, prior_variable

__all__ = [
    "C_CAPPED",
    "GP_STRATEGIES",
    "MAX_BASIS",
    "GPApproximationWarning",
    "HSGPPlan",
    "choose_strategy",
    "dense_covariance",
    "distances",
    "gp_sd",
    "hsgp_plan",
    "hsgp_weights",
    "latent_field",
    "lengthscale_variable",
    "record",
    "spectral_density",
    "term_basis",
]

MAX_BASIS = {1: 200, 2: 1024}
"""Most basis functions per term (all dimensions together) before the plan is capped."""
COARSE = 0.1
"""Warn when the approximate correlation is off by more than this at the prior's median lengthscale."""
C_CAPPED = 2.5
"""Boundary factor used when the heuristic's plan is capped (see :func:`hsgp_plan`)."""
GRAM_MAX = 2000
"""Largest factor width Q (basis functions times ``by`` levels plus iid levels) for the
``hsgp`` strategy, whose likelihood needs the Q x Q Gram matrix (O(Q²) per gradient);
wider models use ``latent`` (O(nQ))."""
GP_STRATEGIES = ("dense", "latent", "hybrid", "hsgp")
_SMOOTHNESS = {"exponential": 0.5, "matern32": 1.5, "matern52": 2.5}
_HEURISTIC_COV = {"matern32": "matern32", "matern52": "matern52", "expquad": "expquad", "exponential": "matern32"}


class GPApproximationWarning(UserWarning):
    """The Hilbert-space approximation of a ``gp()`` term is coarse over the lengthscale prior."""


# -- the HSGP plan: basis size and boundary ---------------------------------------------------------
@dataclass(frozen=True)
class HSGPPlan:
    """Number of basis functions and boundary of one term's HSGP.

    Attributes
    ----------
    m
        Basis functions per dimension (``M = prod(m)``).
    c
        Boundary factor per dimension: :math:`L_d = c_d S_d`.
    L
        Boundary half-widths.
    lengthscale_range
        The lengthscale prior's 5% and 95% quantiles given to
        ``pm.gp.hsgp_approx.approx_hsgp_hyperparams``.
    suggested_m, suggested_c
        What the heuristic recommended (before the cap of :data:`MAX_BASIS`).
    source
        ``"heuristic"``, ``"capped"`` or ``"user"``.
    errors
        Largest absolute error of the approximate correlation matrix on (up to 300 of) the
        data locations at the prior's 5%, 50% and 95% lengthscale quantiles.
    """

    m: tuple[int, ...]
    c: tuple[float, ...]
    L: np.ndarray
    lengthscale_range: tuple[float, float]
    suggested_m: tuple[int, ...]
    suggested_c: tuple[float, ...]
    source: str
    errors: tuple[float, float, float]

    @property
    def size(self) -> int:
        return int(np.prod(self.m))

    def describe(self) -> str:
        c = ", ".join(f"{v:.3g}" for v in self.c)
        text = f"HSGP m=({', '.join(map(str, self.m))}) [{self.size} basis functions], c=({c})"
        if self.source == "capped":
            text += (f", capped from the heuristic's m=({', '.join(map(str, self.suggested_m))}), "
                     f"c=({', '.join(f'{v:.3g}' for v in self.suggested_c)})")
        elif self.source == "user":
            text += ", set in the formula"
        lo, mid, hi = self.errors
        text += (f"; largest correlation error {lo:.2g} / {mid:.2g} / {hi:.2g} at the prior's 5% / 50% / 95% "
                 f"lengthscales")
        return text


def _prior_quantiles(prior, qs: tuple[float, ...]) -> np.ndarray:
    """Quantiles of a positive prior (scipy parameterisations of PyMC's distributions)."""
    from scipy import stats

    p = prior.params
    dists = {
        "InverseGamma": lambda: stats.invgamma(p.get("alpha"), scale=p.get("beta")),
        "Gamma": lambda: stats.gamma(p.get("alpha"), scale=1.0 / p.get("beta", 1.0)),
        "HalfNormal": lambda: stats.halfnorm(scale=p.get("sigma")),
        "HalfCauchy": lambda: stats.halfcauchy(scale=p.get("beta")),
        "Exponential": lambda: stats.expon(scale=1.0 / p.get("lam", 1.0)),
    }
    q = np.asarray(qs, dtype=float)
    if prior.dist == "HalfStudentT":
        return stats.t.ppf((1.0 + q) / 2.0, p["nu"]) * p["sigma"]
    if prior.dist not in dists:
        raise SpecError(f"cannot place the HSGP boundary for a {prior.dist} lengthscale prior")
    return dists[prior.dist]().ppf(q)


def _heuristic(term: GPTermSpec, lo: float, hi: float) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """``approx_hsgp_hyperparams`` per dimension (it is stated for one dimension)."""
    from pymc.gp.hsgp_approx import approx_hsgp_hyperparams

    cov = _HEURISTIC_COV[term.cov]
    ms, cs = [], []
    for S in term.half_range:
        m, c = approx_hsgp_hyperparams([-float(S), float(S)], [lo, hi], cov)
        ms.append(max(int(m), 2))
        cs.append(float(c))
    return tuple(ms), tuple(cs)


def _plan_errors(term: GPTermSpec, L: np.ndarray, m: tuple[int, ...], lengthscales: np.ndarray) -> tuple[float, ...]:
    """Largest |K_hsgp - K| on up to 300 data locations at each lengthscale."""
    rng = np.random.default_rng(0)
    idx = rng.choice(len(term.coords), size=min(300, len(term.coords)), replace=False)
    X = term.coords[idx]
    phi = hsgp_basis(X, L, m)
    omega = hsgp_frequencies(L, m)
    D = squareform(pdist(X))
    out = []
    for ls in lengthscales:
        psd = spectral_density_numpy(term.cov, omega, float(ls))
        out.append(float(np.max(np.abs((phi * psd) @ phi.T - kernel_matrix(term.cov, D, float(ls))))))
    return tuple(out)


def _apply_cap(term: GPTermSpec, m_raw: tuple[int, ...], c_raw: tuple[float, ...]
               ) -> tuple[tuple[int, ...], tuple[float, ...], str]:
    """User settings first; else the heuristic, capped at :data:`MAX_BASIS` functions.

    The heuristic's :math:`m` is proportional to :math:`c`, so a smaller boundary factor
    rescales it: :math:`m_d' = m_d c_d'/c_d`.
    """
    d = term.dim
    user = term.call.m is not None or term.call.c is not None
    capped = np.prod(m_raw) > MAX_BASIS[d]
    if term.call.c is not None:
        c = (float(term.call.c),) * d
    else:
        c = tuple(min(cv, C_CAPPED) for cv in c_raw) if capped and term.call.m is None else c_raw
    if term.call.m is not None:
        return tuple(term.call.m), c, "user"
    m = tuple(max(2, int(mv * cv / cr)) for mv, cv, cr in zip(m_raw, c, c_raw))
    if np.prod(m) > MAX_BASIS[d]:  # same resolution L_d / m_d in every direction
        L = np.asarray(c) * term.half_range
        scale = (MAX_BASIS[d] / np.prod(L)) ** (1.0 / d)
        m = tuple(max(2, min(v, int(np.floor(scale * Ld + 1e-9)))) for v, Ld in zip(m, L))
        return m, c, "user" if user else "capped"
    return m, c, "user" if user else "heuristic"


def hsgp_plan(spec: ModelSpec, term: GPTermSpec) -> HSGPPlan:
    """Basis size ``m`` and boundary factor ``c`` of a term's HSGP (cached per prior).

    Notes
    -----
    Riutort-Mayol et al. (2023) give, for one dimension with half-range :math:`S`, the
    boundary :math:`c = \\max(a_1 \\ell_{max}/S, 1.2)` and :math:`m = a_2 c S/\\ell_{min}`
    (``pm.gp.hsgp_approx.approx_hsgp_hyperparams``; :math:`a_1, a_2` = 4.5, 3.42 Matérn 3/2;
    4.1, 2.65 Matérn 5/2; 3.2, 1.75 squared exponential). Here
    :math:`[\\ell_{min}, \\ell_{max}]` is the lengthscale prior's 5%-95% interval and the
    rule is applied per coordinate. The exponential kernel has no such rule; it uses the
    Matérn 3/2 one and its error is larger (reported). When :math:`\\prod_d m_d` exceeds
    :data:`MAX_BASIS` (the heuristic targets near-exact covariances, which in two
    dimensions asks for thousands of functions), the plan is capped: :math:`c_d =
    \\min(c_d, 2.5)` and :math:`m_d \\propto L_d` with :math:`\\prod_d m_d \\le` MAX (the same
    resolution in every direction; 20 x 20 on a square). The cap keeps the
    correlation error small over the middle of the prior and grows towards its tails; the
    plan records the largest errors at the prior's 5%, 50% and 95% lengthscales, shown in the
    strategy reason. ``gp(..., m=, c=)`` overrides both.
    """
    prior = spec.priors[lengthscale_name(term)]
    cache = term.__dict__.setdefault("_hsgp_plans", {})
    key = prior.describe()
    if key in cache:
        return cache[key]
    q05, q50, q95 = _prior_quantiles(prior, (0.05, 0.5, 0.95))
    m_raw, c_raw = _heuristic(term, float(q05), float(q95))
    m, c, source = _apply_cap(term, m_raw, c_raw)
    L = np.asarray(c) * term.half_range
    errors = _plan_errors(term, L, m, np.array([q05, q50, q95]))
    if errors[1] > COARSE:
        warnings.warn(f"the HSGP approximation of {term.label} is coarse: largest correlation error {errors[1]:.2g} at "
                      f"the prior's median lengthscale {q50:.3g} with m={tuple(m)}; raise m (gp(..., m=...)), use a "
                      "smoother cov ('matern52', 'expquad') or approx='exact'", GPApproximationWarning, stacklevel=2)
    plan = HSGPPlan(m=tuple(int(v) for v in m), c=c, L=L, lengthscale_range=(float(q05), float(q95)),
                    suggested_m=m_raw, suggested_c=c_raw, source=source, errors=errors)
    cache[key] = plan
    return plan


# -- spectral densities and kernels -------------------------------------------------------------------
def spectral_density_numpy(cov: str, omega: np.ndarray, ls: float) -> np.ndarray:
    """:math:`S_\\ell(\\omega)` of a unit-variance isotropic kernel in ``omega.shape[1]`` dimensions (numpy)."""
    from scipy.special import gammaln

    d = omega.shape[1]
    w2 = np.sum(omega**2, axis=1)
    if cov == "expquad":
        return (2 * np.pi) ** (d / 2) * ls**d * np.exp(-0.5 * ls**2 * w2)
    nu = _SMOOTHNESS[cov]
    log_const = (d * np.log(2) + d / 2 * np.log(np.pi) + gammaln(nu + d / 2) + nu * np.log(2 * nu) - gammaln(nu))
    return np.exp(log_const - 2 * nu * np.log(ls) - (nu + d / 2) * np.log(2 * nu / ls**2 + w2))


def spectral_density(cov: str, omega: np.ndarray, ls: pt.TensorVariable) -> pt.TensorVariable:
    """:math:`S_\\ell(\\omega)` of a unit-variance isotropic kernel (PyTensor).

    Notes
    -----
    Matérn :math:`\\nu` in :math:`d` dimensions:
    :math:`S(\\omega) = \\frac{2^d\\pi^{d/2}\\Gamma(\\nu + d/2)(2\\nu)^\\nu}{\\Gamma(\\nu)\\ell^{2\\nu}}
    (2\\nu/\\ell^2 + |\\omega|^2)^{-(\\nu + d/2)}` (:math:`\\nu` = 1/2 exponential, 3/2, 5/2);
    squared exponential :math:`(2\\pi)^{d/2}\\ell^d e^{-\\ell^2|\\omega|^2/2}`. Equal to PyMC's
    ``Matern32``, ``Matern52`` and ``ExpQuad`` ``power_spectral_density`` (PyMC has none for
    ``Matern12``). Computed on the log scale.
    """
    from scipy.special import gammaln

    d = omega.shape[1]
    w2 = pt.as_tensor_variable(np.sum(omega**2, axis=1))
    if cov == "expquad":
        return pt.exp(d / 2 * np.log(2 * np.pi) + d * pt.log(ls) - 0.5 * ls**2 * w2)
    nu = _SMOOTHNESS[cov]
    log_const = float(d * np.log(2) + d / 2 * np.log(np.pi) + gammaln(nu + d / 2) + nu * np.log(2 * nu) - gammaln(nu))
    return pt.exp(log_const - 2 * nu * pt.log(ls) - (nu + d / 2) * pt.log(2 * nu / ls**2 + w2))


def _kernel_tensor(cov: str, r: pt.TensorVariable) -> pt.TensorVariable:
    """:func:`bayeslmm.spec.gp.kernel_matrix` in PyTensor, for scaled distances ``r``."""
    if cov == "exponential":
        return pt.exp(-r)
    if cov == "matern32":
        s = np.sqrt(3.0) * r
        return (1.0 + s) * pt.exp(-s)
    if cov == "matern52":
        s = np.sqrt(5.0) * r
        return (1.0 + s + s * s / 3.0) * pt.exp(-s)
    return pt.exp(-0.5 * r * r)


def distances(term: GPTermSpec) -> np.ndarray:
    """Pairwise Euclidean distances of the term's locations (cached on the term)."""
    cache = term.__dict__
    if "_distances" not in cache:
        cache["_distances"] = squareform(pdist(term.coords))
    return cache["_distances"]


# -- model variables --------------------------------------------------------------------------------
def lengthscale_variable(spec: ModelSpec, term: GPTermSpec) -> pt.TensorVariable:
    """The lengthscale, named ``ls_<key>`` (reported as ``lengthscale(gp(...))``)."""
    model = pm.modelcontext(None)
    name = f"ls_{term.key}"
    if name in model.named_vars:
        return model[name]
    return prior_variable(name, spec.priors[lengthscale_name(term)])


def gp_sd(spec: ModelSpec, term: GPTermSpec, var: VarianceParameters) -> pt.TensorVariable:
    """Amplitude :math:`\\sigma = \\sqrt{\\pi}\\,\\tau / s_{by}` of the field."""
    return var.sd[spec.components.index(term.label)]


def term_basis(term: GPTermSpec, plan: HSGPPlan, coords: np.ndarray | None = None,
               by: np.ndarray | None = None) -> np.ndarray:
    """``(n, M L)`` design of the weights: :math:`[B_{\\cdot 1}\\Phi, \\dots, B_{\\cdot L}\\Phi]`,
    at the data rows or at new ``coords`` with their ``by`` rows (:meth:`GPTermSpec.by_matrix`)."""
    if (coords is None) != (by is None):
        raise SpecError("term_basis needs both the new coordinates and their by rows, or neither")
    phi = hsgp_basis(term.coords if coords is None else coords, plan.L, plan.m)
    B = term.by_design if by is None else by
    if B.shape[1] == 1:
        return phi * B
    return np.concatenate([phi * B[:, [level]] for level in range(B.shape[1])], axis=1)


def hsgp_weights(spec: ModelSpec, term: GPTermSpec, var: VarianceParameters, plan: HSGPPlan) -> pt.TensorVariable:
    """``(M L,)`` weights :math:`\\sigma\\sqrt{S_\\ell(\\omega_j)}`, repeated per ``by`` level;
    stored as ``w_<key>``."""
    ls = lengthscale_variable(spec, term)
    omega = hsgp_frequencies(plan.L, plan.m)
    root = pt.sqrt(spectral_density(term.cov, omega, ls)) * gp_sd(spec, term, var)
    w = pt.tile(root, term.n_fields) if term.n_fields > 1 else root
    return pm.Deterministic(f"w_{term.key}", w)


def hsgp_latent_coefficients(spec: ModelSpec, term: GPTermSpec, var: VarianceParameters,
                             plan: HSGPPlan) -> pt.TensorVariable:
    """Non-centred weights: ``z_<key>`` ~ N(0, I) and ``beta_<key>`` = w z (stored)."""
    w = hsgp_weights(spec, term, var, plan)
    z = pm.Normal(f"z_{term.key}", 0.0, 1.0, shape=plan.size * term.n_fields)
    return pm.Deterministic(f"beta_{term.key}", w * z)


def _exact_correlation(term: GPTermSpec, ls: pt.TensorVariable) -> pt.TensorVariable:
    K = _kernel_tensor(term.cov, pt.as_tensor_variable(distances(term)) / ls)
    if term.by_kind == "none":
        return K
    return K * pt.as_tensor_variable(term.by_design @ term.by_design.T)


def latent_field(spec: ModelSpec, term: GPTermSpec, var: VarianceParameters) -> pt.TensorVariable:
    """The field's contribution to the linear predictor (length n), sampled.

    Exact: :math:`f = \\sigma\\,\\text{chol}(K_\\ell \\circ BB' + 10^{-6} I)\\,z`, stored as
    ``f_<key>`` (:math:`O(n^3)` per gradient). HSGP: :math:`f = [B\\Phi]\\beta`.
    """
    if term.method == "exact":
        ls = lengthscale_variable(spec, term)
        K = _exact_correlation(term, ls) + 1e-6 * pt.eye(len(term.coords))
        z = pm.Normal(f"z_{term.key}", 0.0, 1.0, shape=len(term.coords))
        f = gp_sd(spec, term, var) * pt.dot(pt.linalg.cholesky(K), z)
        return pm.Deterministic(f"f_{term.key}", f)
    plan = hsgp_plan(spec, term)
    beta = hsgp_latent_coefficients(spec, term, var, plan)
    return pt.dot(pt.as_tensor_variable(term_basis(term, plan)), beta)


def dense_covariance(spec: ModelSpec, term: GPTermSpec, var: VarianceParameters) -> pt.TensorVariable:
    """The field's covariance on the rows, :math:`\\sigma^2 K_\\ell \\circ BB'` (exact) or
    :math:`[B\\Phi]\\,\\text{diag}(w^2)\\,[B\\Phi]'` (HSGP): the dense reference of either."""
    if term.method == "exact":
        ls = lengthscale_variable(spec, term)
        return gp_sd(spec, term, var) ** 2 * _exact_correlation(term, ls)
    plan = hsgp_plan(spec, term)
    A = pt.as_tensor_variable(term_basis(term, plan)) * hsgp_weights(spec, term, var, plan)[None, :]
    return pt.dot(A, A.T)


# -- which strategy --------------------------------------------------------------------------------
def describe_term(spec: ModelSpec, term: GPTermSpec) -> str:
    """The term and its approximation, for the strategy reason."""
    if term.method == "exact":
        return f"{term.describe()}; exact GP"
    return f"{term.describe()}; {hsgp_plan(spec, term).describe()}"


def _gram_width(spec: ModelSpec) -> int:
    width = sum(hsgp_plan(spec, g).size * g.n_fields for g in spec.gp_terms)
    return width + sum(t.n_levels for t in spec.terms)


def choose_strategy(spec: ModelSpec) -> tuple[str, str]:
    """Strategy name and reason for a model with ``gp()`` terms."""
    from .rotated import is_marginalisable_kernel_term

    fields = "; ".join(describe_term(spec, g) for g in spec.gp_terms)
    if spec.sigma is not None:
        return "latent", f"residual sd varies by row ({spec.sigma.formula}): fields latent. {fields}"
    if not spec.family.marginalisable:
        return "latent", f"{spec.family.name} family: fields latent and non-centred. {fields}"
    if any(g.method == "exact" for g in spec.gp_terms):
        return "dense", f"exact GP: Gaussian marginal with the dense covariance, O(n³) per gradient. {fields}"
    if any(t.kernel and is_marginalisable_kernel_term(t) for t in spec.terms):
        from .hybrid import applies

        if applies(spec):
            return "hybrid", (f"kernel integrated out spectrally; HSGP weights latent in its eigenbasis "
                              f"(basis rotated once). {fields}")
    if all(t.kernel is None and t.is_intercept_only for t in spec.terms):
        width = _gram_width(spec)
        if width <= GRAM_MAX:
            return "hsgp", (f"HSGP weights{' and iid effects' if spec.terms else ''} latent on a fixed basis, "
                            f"likelihood from sufficient statistics ({width} x {width} Gram matrix): O(Q²) per "
                            f"gradient whatever n. {fields}")
    return "latent", f"fields and random effects latent and non-centred. {fields}"


def record(spec: ModelSpec, idata: Any) -> None:
    """Store each term's approximation on the posterior (``idata.attrs["gp"]``)."""
    lines = [describe_term(spec, g) for g in spec.gp_terms]
    idata.attrs["gp"] = " | ".join(lines)


def rotated_field(spec: ModelSpec, term: GPTermSpec, var: VarianceParameters, U: np.ndarray,
                  need_original: bool) -> tuple[pt.TensorVariable, pt.TensorVariable | None]:
    """An HSGP field in a kernel's eigenbasis (hybrid strategy): :math:`U'[B\\Phi]\\beta` with the
    rotated basis computed once, and :math:`[B\\Phi]\\beta` when the likelihood also needs it."""
    plan = hsgp_plan(spec, term)
    beta = hsgp_latent_coefficients(spec, term, var, plan)
    basis = term_basis(term, plan)
    rotated = pt.dot(pt.as_tensor_variable(U.T @ basis), beta)
    return rotated, (pt.dot(pt.as_tensor_variable(basis), beta) if need_original else None)


def field_on_rows(spec: ModelSpec, term: GPTermSpec, idata: Any) -> np.ndarray:
    """Posterior draws ``(S, n)`` of a sampled field at the data rows (``f_<key>`` or
    ``[B\\Phi]`` times ``beta_<key>``)."""
    from ..results import arviz_bridge as azb

    if term.method == "exact":
        return azb.draws(idata, f"f_{term.key}")
    return azb.draws(idata, f"beta_{term.key}") @ term_basis(term, hsgp_plan(spec, term)).T


class GaussianLogp(Op):
    """:math:`\\log N(r; 0, V)` for a dense covariance, with its gradient from one Cholesky
    factorisation and one inverse (LAPACK).

    Outputs the log density, :math:`\\partial/\\partial V = \\tfrac12(\\alpha\\alpha' - V^{-1})` and
    :math:`\\partial/\\partial r = -\\alpha`, :math:`\\alpha = V^{-1}r`, computed together; the
    gradient of the exact GP's hyperparameters then flows through :math:`V` elementwise. About
    :math:`n^3` flops per evaluation, against several times that for PyTensor's gradient of a
    Cholesky factorisation (``pm.MvNormal``), which dominates an exact GP's sampling time.
    """

    def make_node(self, V, r) -> Apply:
        V = pt.as_tensor_variable(V).astype("float64")
        r = pt.as_tensor_variable(r).astype("float64")
        return Apply(self, [V, r], [pt.dscalar(), pt.dmatrix(), pt.dvector()])

    def perform(self, node, inputs, output_storage) -> None:
        V, r = (np.asarray(v, dtype=float) for v in inputs)
        n = len(r)
        L, info = lapack.dpotrf(V, lower=1, clean=1)
        if info != 0:  # not positive definite at these parameters
            values = (np.asarray(-np.inf), np.zeros_like(V), np.zeros_like(r))
        else:
            alpha = lapack.dpotrs(L, r, lower=1)[0]
            inverse = lapack.dpotri(L, lower=1)[0]
            inverse = np.tril(inverse) + np.tril(inverse, -1).T
            logp = -0.5 * (n * np.log(2 * np.pi) + 2.0 * np.sum(np.log(np.diag(L))) + r @ alpha)
            values = (np.asarray(logp), 0.5 * (np.outer(alpha, alpha) - inverse), -alpha)
        for storage, value in zip(output_storage, values):
            storage[0] = value

    def grad(self, inputs, output_grads):
        outs = self(*inputs)
        return [output_grads[0] * outs[1], output_grads[0] * outs[2]]


def gaussian_marginal(y: np.ndarray, mean: pt.TensorVariable, V: pt.TensorVariable) -> None:
    """Add :math:`\\log N(y; \\mu, V)` to the model as the ``Potential`` ``marginal``."""
    pm.Potential("marginal", GaussianLogp()(V, pt.as_tensor_variable(y) - mean)[0])
