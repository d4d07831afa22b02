"""ModelSpec: everything a backend needs to build a model, frozen, with no PyMC import."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError, SpecError
from .data import MissingReport, check_finite, drop_missing, formula_columns
from .distributional import SigmaDesign, build_sigma_design, check_sigma_family, sigma_priors, split_formulas
from .families import Family, get_family
from .formula import ParsedFormula, parse_formula
from .priors import Prior, PriorSet, apply_overrides, default_priors, family_priors
from .terms import GroupTerm, build_group_term, check_kernel_type, evaluate_design, term_keys
from .gp import GPTermSpec, build_gp_term, check_lengthscale_priors, gp_keys, lengthscale_name, lengthscale_prior

__all__ = ["ModelSpec", "build_spec"]

_PROPORTION = re.compile(r"^\s*p\(\s*([A-Za-z_.][\w.]*)\s*,\s*([A-Za-z_.][\w.]*|\d+)\s*\)\s*$")


@dataclass(frozen=True)
class ModelSpec:
    """A model fully specified on the data: the hand-off from ``spec/`` to ``backend/``.

    Attributes
    ----------
    formula
        The parsed formula.
    family
        Response family and link.
    response
        Name of the response (the column, or the successes column of ``p(s, n)``).
    y, trials
        Response values (and binomial trials, else ``None``).
    X, fixed_columns
        Fixed-effects design ``(n, p)`` and its column names.
    terms
        Random-effect terms.
    kernels
        Kernels by name (only those used by a term).
    components
        Variance-component labels in the order of the proportion vector; ``"Residual"``
        last for families with a residual.
    priors
        All priors, after user overrides.
    missing
        Rows dropped for missing values.
    data
        The rows used (the columns the formula uses), for prediction and saving.
    sigma
        Design of a distributional residual (``sigma ~ ...``), else ``None``; see
        :class:`~bayeslmm.spec.distributional.SigmaDesign`.
    gp_terms
        ``gp()`` random fields (:class:`~bayeslmm.spec.gp.GPTermSpec`); their components
        follow the terms' in ``components``, before ``"Residual"``.
    """

    formula: ParsedFormula
    family: Family
    response: str
    y: np.ndarray
    trials: np.ndarray | None
    X: np.ndarray
    fixed_columns: tuple[str, ...]
    terms: tuple[GroupTerm, ...]
    kernels: Mapping[str, Any]
    components: tuple[str, ...]
    priors: PriorSet
    missing: MissingReport
    data: pd.DataFrame = field(repr=False)
    y_center: float = 0.0
    y_scale: float = 1.0
    fixed_design: Any = field(default=None, repr=False, compare=False)
    sigma: SigmaDesign | None = field(default=None, repr=False, compare=False)
    gp_terms: tuple[GPTermSpec, ...] = field(default=(), repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def has_kernels(self) -> bool:
        return any(t.kernel for t in self.terms)

    def update(self, **changes: Any) -> "ModelSpec":
        """A copy with some fields replaced (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def fixed_matrix(self, newdata: pd.DataFrame) -> np.ndarray:
        """Fixed-effects design for new rows, with the levels and transforms of the fit."""
        if not self.fixed_columns:
            return np.zeros((len(newdata), 0))
        try:
            return np.asarray(self.fixed_design.evaluate_new_data(newdata)).astype(float)
        except Exception as err:
            raise DataError(f"cannot evaluate the fixed effects {self.formula.fixed!r} on new data: {err}") from None


def _response(expr: str, data: pd.DataFrame, family: Family) -> tuple[str, np.ndarray, np.ndarray | None]:
    """Response values (and binomial trials) from the left-hand side."""
    match = _PROPORTION.match(expr)
    if match:
        succ, tri = match.groups()
        if family.name != "binomial":
            raise SpecError(f"response {expr!r} is a proportion p(successes, trials): use family='binomial'")
        y = _numeric_column(data, succ)
        trials = np.full(len(data), float(tri)) if tri.isdigit() else _numeric_column(data, tri)
        return succ, y, trials
    if family.name == "binomial":
        raise SpecError(f"binomial response must be written p(successes, trials), got {expr!r}")
    if expr in data.columns:
        return expr, _numeric_column(data, expr), None
    y, _, _ = evaluate_design(f"0 + {expr}", data)
    if y.shape[1] != 1:
        raise DataError(f"response {expr!r} must be numeric (one column), got {y.shape[1]} columns")
    return expr, y[:, 0], None


def _numeric_column(data: pd.DataFrame, name: str) -> np.ndarray:
    col = data[name]
    if col.dtype == bool:
        col = col.astype(int)
    if not pd.api.types.is_numeric_dtype(col):
        raise DataError(
            f"response {name!r} must be numeric, got dtype {col.dtype} (e.g. {col.iloc[0]!r})"
        )
    values = col.to_numpy(dtype=float)
    check_finite(values, f"column {name!r}")
    return values


def _response_columns(expr: str, data: pd.DataFrame) -> list[str]:
    """Columns the response uses: a column, ``p(successes, trials)`` or an expression."""
    match = _PROPORTION.match(expr)
    if match:
        return [g for g in match.groups() if not g.isdigit()]
    if expr in data.columns:
        return [expr]
    return formula_columns([expr], data, set()) or [expr]


def build_spec(
    formula: str | list[str],
    data: pd.DataFrame,
    *,
    family: str | Family = "gaussian",
    link: str | None = None,
    priors: Mapping[str, Any] | None = None,
    kernels: Mapping[str, Any] | None = None,
) -> ModelSpec:
    """Parse, check and evaluate a model on its data.

    Parameters
    ----------
    formula
        lme4/brms formula, e.g. ``"Reaction ~ Days + (Days | Subject)"``; or a list
        ``[mean formula, "sigma ~ predictors"]`` for a distributional residual (log link).
    data
        One row per observation.
    family, link
        Response family and link (see :func:`~bayeslmm.spec.families.get_family`).
    priors
        Overrides of the default priors by name (see :class:`~bayeslmm.spec.priors.PriorSet`).
    kernels
        Named :class:`~bayeslmm.Kernel` objects used by ``gr(id, cov=NAME)`` terms.

    Returns
    -------
    ModelSpec
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    main, sigma_text = split_formulas(formula)
    parsed = parse_formula(main)
    fam = get_family(family, link)
    kernel_map = check_kernel_type(kernels)

    response_cols = _response_columns(parsed.response, data)
    pieces = [parsed.fixed] + [t.expr for t in parsed.random]
    if sigma_text is not None:
        check_sigma_family(sigma_text, fam)
        pieces.append(sigma_text.split("~", 1)[1])
    group_cols = [f for t in parsed.random for f in t.factors]
    group_cols += [c for g in parsed.gp for c in g.columns + ((g.by,) if g.by else ())]
    for c in response_cols + group_cols:
        if c not in data.columns:
            raise FormulaError(f"unknown column {c!r} in formula {formula!r}; data columns are {list(map(str, data.columns))[:20]}")
    used = list(dict.fromkeys(response_cols + formula_columns(pieces, data, set(kernel_map)) + group_cols))
    clean, missing = drop_missing(data, used)
    clean = clean[used]

    name, y, trials = _response(parsed.response, clean, fam)
    fam.check_response(y, trials, name)

    sigma = build_sigma_design(sigma_text, clean, fam) if sigma_text is not None else None
    X, fixed_columns, fixed_design = _fixed_design(parsed.fixed, clean)
    check_finite(X, f"fixed-effects design of {parsed.fixed!r}")
    keys = term_keys(list(parsed.random))
    terms = tuple(build_group_term(t, clean, kernel_map, k) for t, k in zip(parsed.random, keys))
    for t in terms:
        check_finite(t.Z, f"random-effect design of ({t.formula.expr} | {t.group})")
    _check_unique_labels(terms)
    gp_keys_ = gp_keys(parsed.gp, keys)
    gp_terms = tuple(build_gp_term(g, clean, k, fam.marginalisable) for g, k in zip(parsed.gp, gp_keys_))

    components = tuple(c for t in terms for c in t.components) + tuple(g.label for g in gp_terms)
    if len(set(components)) != len(components):
        raise FormulaError(f"a gp() term appears twice in {main!r}; components are {list(components)}")
    if fam.has_residual:
        components = components + ("Residual",)
    if not components:
        raise SpecError(
            f"family {fam.name!r} without random effects has no variance to model: {main!r} has no "
            "(term | group) block; add one, e.g. (1 | group), or use a GLM package for fixed effects only"
        )
    y_center, y_scale = _response_scale(y, trials, fam)
    defaults = default_priors(
        X=X,
        fixed_columns=fixed_columns,
        y_center=y_center,
        y_scale=y_scale,
        components=components,
        correlated_groups=tuple(t.group for t in terms if t.correlated),
        extra={**family_priors(fam.name), **_link_tau(fam, components, y_scale),
               **(sigma_priors(sigma) if sigma is not None else {}),
               **{lengthscale_name(g): lengthscale_prior(g) for g in gp_terms}},
    )
    final_priors = apply_overrides(defaults, priors, components)
    check_lengthscale_priors(final_priors, gp_terms)
    used_kernels = {t.kernel: kernel_map[t.kernel] for t in terms if t.kernel}
    return ModelSpec(
        formula=parsed,
        family=fam,
        response=name,
        y=y,
        trials=trials,
        X=X,
        fixed_columns=fixed_columns,
        terms=terms,
        kernels=used_kernels,
        components=components,
        priors=final_priors,
        missing=missing,
        data=clean,
        y_center=y_center,
        y_scale=y_scale,
        fixed_design=fixed_design,
        sigma=sigma,
        gp_terms=gp_terms,
    )


def _fixed_design(fixed: str, data: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...], Any]:
    stripped = fixed.replace(" ", "")
    if stripped in ("0", "-1", "0+0"):
        return np.zeros((len(data), 0)), (), None
    return evaluate_design(fixed, data)


def _check_unique_labels(terms: tuple[GroupTerm, ...]) -> None:
    seen: dict[str, str] = {}
    for t in terms:
        for c in t.components:
            if c in seen:
                raise FormulaError(
                    f"random-effect component {c!r} appears twice in the formula; each (term | group) once"
                )
            seen[c] = t.group


def _link_tau(family: Family, components: tuple[str, ...], scale: float) -> dict[str, Prior]:
    """The ``tau`` prior of a family without a residual, described on its link scale."""
    if family.has_residual or not components:
        return {}
    why = f"total random-effect sd on the {family.link} scale (see _response_scale)"
    return {"tau": Prior("HalfStudentT", nu=3.0, sigma=scale, why=why)}


def _response_scale(y: np.ndarray, trials: np.ndarray | None, family: Family) -> tuple[float, float]:
    """Centre and scale of the response on the linear-predictor scale, for default priors.

    Notes
    -----
    The scale :math:`s` sets the total sd prior :math:`\\tau \\sim \\text{Half-}t_3(0, s)`
    and the fixed-effect widths. Gaussian and Student-t: :math:`s = \\text{sd}(y)`. For
    families without a residual, :math:`\\tau` is the total random-effect sd on the link
    scale: logit :math:`s = 1.5`, probit :math:`s = 1`, log :math:`s = 1`, centred on the
    link of the observed mean. The implied prior of a one-component latent ICC / h²,
    :math:`\\tau^2/(\\tau^2 + v_d)` with the link variance :math:`v_d`, has quantiles
    (5%, 50%, 95%) of (0.003, 0.29, 0.87) for the logit (:math:`v_d = \\pi^2/3`),
    (0.005, 0.37, 0.91) for the probit (:math:`v_d = 1`) and (0.007, 0.46, 0.94) for a
    Poisson with mean 1 (:math:`v_d = \\log 2`): broad over (0, 1) without piling up at
    either end. On the link scale, :math:`\\tau = 1.5` multiplies the odds of one group by
    :math:`e^{1.5} \\approx 4.5` per sd, a large but plausible spread.
    """
    if family.name in ("gaussian", "student_t"):
        sd = float(np.std(y))
        return float(np.mean(y)), sd if sd > 0 else 1.0
    if family.name in ("bernoulli", "binomial"):
        p = float(np.clip(np.sum(y) / np.sum(trials if trials is not None else np.ones_like(y)), 0.01, 0.99))
        center = np.log(p / (1 - p)) if family.link == "logit" else float(_probit(p))
        return float(center), 1.0 if family.link == "probit" else 1.5
    mean = max(float(np.mean(y)), 0.01)
    return float(np.log(mean)), 1.0


def _probit(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))
