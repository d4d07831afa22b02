"""Priors: a small value type, the data-scaled defaults, and user overrides by name.

The defaults are weakly informative and scaled to the data, in the spirit of Bambi and
rstanarm, with the variance parameterisation of DESIGN.md section 5: a total standard
deviation ``tau`` and its split into proportions over the variance components.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import PriorError

__all__ = ["Prior", "PriorSet", "default_priors", "apply_overrides", "family_priors"]

_SUPPORTED = {
    "Normal": ("mu", "sigma"),
    "StudentT": ("nu", "mu", "sigma"),
    "HalfNormal": ("sigma",),
    "HalfStudentT": ("nu", "sigma"),
    "HalfCauchy": ("beta",),
    "Exponential": ("lam",),
    "Gamma": ("alpha", "beta"),
    "InverseGamma": ("alpha", "beta"),
    "Dirichlet": ("a",),
    "LKJ": ("eta",),
}


@dataclass(frozen=True)
class Prior:
    """A prior distribution named as in PyMC, with its parameters.

    Parameters
    ----------
    dist
        One of ``Normal``, ``StudentT``, ``HalfNormal``, ``HalfStudentT``, ``HalfCauchy``,
        ``Exponential``, ``Gamma``, ``InverseGamma``, ``Dirichlet`` (proportions), ``LKJ`` (correlations).
    **params
        The distribution's parameters by PyMC name.
    why
        Keyword-only: one sentence on how the default was chosen (shown in ``model.priors``).

    Examples
    --------
    >>> Prior("Normal", mu=0, sigma=10)
    Prior('Normal', mu=0, sigma=10)
    """

    dist: str
    params: Mapping[str, Any] = field(default_factory=dict)
    why: str = "user"

    def __init__(self, dist: str, *, why: str = "user", **params: Any) -> None:
        if dist not in _SUPPORTED:
            raise PriorError(f"unknown prior distribution {dist!r}; use one of {sorted(_SUPPORTED)}")
        missing = [p for p in _SUPPORTED[dist] if p not in params and not (dist == "StudentT" and p == "mu")]
        unknown = [p for p in params if p not in _SUPPORTED[dist]]
        if unknown or missing:
            raise PriorError(
                f"prior {dist} takes parameters {_SUPPORTED[dist]}; got {sorted(params)}"
            )
        for key, value in params.items():
            arr = np.asarray(value, dtype=float)
            if not np.all(np.isfinite(arr)):
                raise PriorError(f"prior {dist} parameter {key}={value!r} is not finite")
            if key != "mu" and np.any(arr <= 0):
                raise PriorError(f"prior {dist} parameter {key}={value!r} must be positive")
        object.__setattr__(self, "dist", dist)
        object.__setattr__(self, "params", dict(params))
        object.__setattr__(self, "why", why)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"Prior({self.dist!r}, {args})"

    def describe(self) -> str:
        """Short text such as ``Normal(mu=0, sigma=10)``."""
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"{self.dist}({args})"


def _fmt(value: Any) -> str:
    arr = np.asarray(value)
    if arr.ndim == 0:
        return f"{float(arr):.4g}"
    return "[" + ", ".join(f"{float(v):.3g}" for v in arr.ravel()) + "]"


@dataclass(frozen=True)
class PriorSet:
    """All priors of a model, keyed by the names users override them with.

    Keys: each fixed-effect column (``"Intercept"``, ``"Days"``, ``"sex[2]"``); ``"tau"`` (total
    standard deviation); ``"proportions"`` (Dirichlet over the variance components);
    ``"cor(GROUP)"`` for each correlated random term (LKJ); ``"nu"`` for Student-t, ``"alpha"``
    for the negative binomial; ``"sigma:<column>"`` for a distributional residual.
    """

    priors: Mapping[str, Prior]

    def __getitem__(self, key: str) -> Prior:
        return self.priors[key]

    def __contains__(self, key: str) -> bool:
        return key in self.priors

    def keys(self):
        return self.priors.keys()

    def table(self) -> pd.DataFrame:
        """One row per prior: parameter, distribution, and why it was chosen."""
        rows = [
            {"parameter": k, "prior": p.describe(), "source": p.why} for k, p in self.priors.items()
        ]
        return pd.DataFrame(rows).set_index("parameter")

    def __repr__(self) -> str:
        return self.table().to_string()

    def _repr_html_(self) -> str:
        return self.table().to_html()


def fixed_effect_defaults(
    X: np.ndarray, columns: tuple[str, ...], y_center: float, y_scale: float
) -> dict[str, Prior]:
    """Weakly informative Normal priors on fixed effects, scaled by the data.

    Notes
    -----
    A slope on column :math:`x_j` gets :math:`N(0, (2.5\\,s_y / s_{x_j})^2)`: a one-sd
    change of :math:`x_j` moves the mean by at most a few sd of :math:`y` (rstanarm's
    autoscaling). The intercept is centred on :math:`\\bar y` with variance
    :math:`(2.5 s_y)^2 + \\sum_j (2.5 s_y \\bar x_j / s_{x_j})^2`, which accounts for
    uncentred predictors. Constant columns other than the intercept get :math:`2.5 s_y`.
    """
    priors: dict[str, Prior] = {}
    intercept_var = (2.5 * y_scale) ** 2
    for j, name in enumerate(columns):
        col = X[:, j]
        if name == "Intercept":
            continue
        sx = float(np.std(col))
        scale = 2.5 * y_scale / sx if sx > 0 else 2.5 * y_scale
        priors[name] = Prior("Normal", mu=0.0, sigma=scale, why="2.5 sd(y) / sd(x)")
        intercept_var += (scale * float(np.mean(col))) ** 2
    if "Intercept" in columns:
        intercept = Prior(
            "Normal",
            mu=y_center,
            sigma=float(np.sqrt(intercept_var)),
            why="centred on the response; width 2.5 sd(y), widened for uncentred predictors",
        )
        priors = {"Intercept": intercept, **priors}
    return priors


def default_priors(
    *,
    X: np.ndarray,
    fixed_columns: tuple[str, ...],
    y_center: float,
    y_scale: float,
    components: tuple[str, ...],
    correlated_groups: tuple[str, ...],
    extra: Mapping[str, Prior] | None = None,
) -> PriorSet:
    """The default priors of a model (see :class:`PriorSet` for the keys).

    Notes
    -----
    Total sd :math:`\\tau \\sim \\text{Half-}t_3(0, s_y)`: its median is about
    :math:`0.76 s_y`, its tail allows several times :math:`s_y`. Proportions
    :math:`\\pi \\sim \\text{Dirichlet}(1, \\dots, 1)`: uniform on the simplex, so for two
    components (one random effect plus residual) the ICC or h² is uniform on (0, 1).
    Correlations of random intercepts and slopes: LKJ(2), which mildly favours
    correlations away from :math:`\\pm 1` (the Stan recommendation for few groups).
    """
    priors = dict(fixed_effect_defaults(X, fixed_columns, y_center, y_scale))
    if components:
        priors["tau"] = Prior(
            "HalfStudentT", nu=3.0, sigma=y_scale, why="total sd of random effects and residual; scale sd(y)"
        )
        if len(components) > 1:
            priors["proportions"] = Prior(
                "Dirichlet", a=np.ones(len(components)), why="uniform split of tau² over " + ", ".join(components)
            )
    for group in correlated_groups:
        priors[f"cor({group})"] = Prior("LKJ", eta=2.0, why="LKJ(2): mild shrinkage of correlations towards 0")
    if extra:
        priors.update(extra)
    return PriorSet(priors)


def family_priors(family: str) -> dict[str, Prior]:
    """Priors of a family's own parameters, passed to :func:`default_priors` as ``extra``.

    Notes
    -----
    Student-t degrees of freedom :math:`\\nu \\sim \\text{Gamma}(2, 0.1)` (Juárez and Steel
    2010): mean 20, mode 10, 5% quantile 3.6, so near-normal residuals are as plausible as
    heavy tails. Negative binomial (PyMC's ``alpha``, with
    :math:`\\text{Var}(y) = \\mu + \\mu^2/\\alpha`):
    :math:`\\alpha \\sim \\text{InverseGamma}(1/2, 1/2)`, which is exactly
    :math:`1/\\sqrt{\\alpha} \\sim \\text{Half-}N(0, 1)`: the coefficient of variation of
    the gamma mixing distribution is half-normal, shrinking towards the Poisson
    (:math:`1/\\sqrt\\alpha = 0`) as the Stan prior-choice recommendations advise, while
    allowing a CV up to about 2.
    """
    if family == "student_t":
        return {"nu": Prior("Gamma", alpha=2.0, beta=0.1, why="Juarez and Steel (2010): mean 20, 5% quantile 3.6")}
    if family == "negativebinomial":
        return {"alpha": Prior("InverseGamma", alpha=0.5, beta=0.5,
                               why="1/sqrt(alpha) ~ HalfNormal(1): overdispersion CV shrunk towards Poisson")}
    return {}


def apply_overrides(
    defaults: PriorSet, overrides: Mapping[str, Any] | None, components: tuple[str, ...] = ()
) -> PriorSet:
    """Replace default priors by user ones, by name.

    ``overrides["proportions"]`` may also be a mapping component -> Dirichlet concentration.
    An unknown name raises :class:`PriorError` listing the valid names.
    """
    if not overrides:
        return defaults
    if not isinstance(overrides, Mapping):
        raise PriorError(f"priors must be a dict name -> Prior, got {type(overrides).__name__}")
    merged = dict(defaults.priors)
    for key, value in overrides.items():
        if key not in merged:
            raise PriorError(
                f"prior given for unknown term {key!r}; this model's prior names are {list(merged)}"
            )
        if key == "proportions" and isinstance(value, Mapping):
            value = _concentration_from_mapping(components, value)
        if not isinstance(value, Prior):
            raise PriorError(f"prior for {key!r} must be a bayeslmm.Prior, got {value!r}")
        expected = {"proportions": "Dirichlet"}.get(key, "LKJ" if key.startswith("cor(") else None)
        if expected and value.dist != expected:
            raise PriorError(f"prior for {key!r} must be a {expected} prior, got {value.dist}")
        merged[key] = value
    return PriorSet(merged)


def _concentration_from_mapping(names: tuple[str, ...], value: Mapping[str, float]) -> Prior:
    unknown = [k for k in value if k not in names]
    if unknown:
        raise PriorError(
            f"proportions given for unknown components {unknown}; components are {list(names)}"
        )
    a = np.array([float(value.get(n, 1.0)) for n in names])
    return Prior("Dirichlet", a=a)
