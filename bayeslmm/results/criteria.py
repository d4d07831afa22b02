"""Predictive model criteria: PSIS-LOO and WAIC of one fit, and the comparison of fits.

Two kinds of pointwise density (see :mod:`bayeslmm.results.pointwise`):

- ``"marginal"`` (default for Gaussian models with random effects): random effects
  integrated out. Each observation is predicted from all the others,
  :math:`p(y_i \\mid y_{-i}) = \\int p(y_i \\mid y_{-i}, \\theta)\\, p(\\theta \\mid y_{-i})\\, d\\theta`,
  with the exact Gaussian conditional :math:`p(y_i \\mid y_{-i}, \\theta)` per draw and
  Pareto-smoothed importance sampling over the posterior of :math:`\\theta` (ratios
  :math:`1 / p(y_i \\mid y_{-i}, \\theta_s)`, Bürkner, Gabry and Vehtari 2021). It answers "how
  well does the model predict a new individual's phenotype from its relatives".
- ``"conditional"`` (default for other families): :math:`p(y_i \\mid \\theta, u)` given the
  random effects, so leaving :math:`y_i` out keeps its own effect. With one or few
  observations per level the effect's posterior leans on :math:`y_i` and Pareto k is often
  high.

The kind is part of every output: the :class:`Criterion` repr and ``to_frame()``, and the
``kind`` column and ``attrs`` of :func:`compare`'s table.

For the marginal kind, ``p_loo`` counts the parameters :math:`\\theta` only (the random
effects are integrated out), and WAIC applies its functional (log mean density minus the
posterior variance of the log density) to the same leave-one-out-given-:math:`\\theta`
densities, an estimate of the same quantity as LOO. When the dense per-draw work would
exceed :data:`~bayeslmm.results.pointwise.LOO_FLOP_BUDGET`, every k-th draw of each chain
is used (at least :data:`~bayeslmm.results.pointwise.MIN_LOO_DRAWS`); ``n_draws`` in the
result says how many.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError
from ..spec.model_spec import ModelSpec
from . import arviz_bridge as azb
from .pointwise import PointwiseDraws, conditional_loglik, marginal_loglik
from .tables import quantity_draws

__all__ = ["KINDS", "Criterion", "PSISWarning", "default_kind", "loo", "waic", "compare"]

KINDS: dict[str, str] = {
    "marginal": "random effects integrated out: exact log p(y_i | y_-i, theta) per draw",
    "conditional": "given the random effects: log p(y_i | theta, u) per draw",
}
METHODS = ("loo", "waic")
PARETO_K_MAX = 0.7


class PSISWarning(UserWarning):
    """A predictive criterion is unreliable; the message says what to do."""


def default_kind(spec: ModelSpec) -> str:
    """``"marginal"`` for Gaussian models with random effects, else ``"conditional"`` (also for
    models with ``gp()`` fields, whose marginal densities are not implemented)."""
    return "marginal" if spec.family.marginalisable and spec.terms and not spec.gp_terms else "conditional"


def _resolve_kind(spec: ModelSpec, kind: str | None) -> str:
    if kind is None:
        return default_kind(spec)
    if kind not in KINDS:
        raise SpecError(f"kind must be one of {list(KINDS)}, got {kind!r}")
    return kind


@dataclass(frozen=True)
class Criterion:
    """Expected log pointwise predictive density of one fit (PSIS-LOO or WAIC).

    Attributes
    ----------
    method
        ``"loo"`` or ``"waic"``.
    kind
        ``"marginal"`` or ``"conditional"`` (see :data:`KINDS`).
    elpd, se, p
        The estimate, its standard error and the effective number of parameters
        (``p_loo`` / ``p_waic``).
    pointwise
        One row per observation of the data (index of the rows used in fitting): ``elpd``
        and ``pareto_k`` (LOO) or ``var_loglik`` (WAIC, the posterior variance of the log
        density).
    n_draws
        Posterior draws used.
    computed_by
        How the pointwise densities were obtained (e.g. ``"eigendecomposition"``).
    k_threshold
        Pareto k above which an observation's estimate is unreliable:
        :math:`\\min(1 - 1/\\log_{10} S, 0.7)` for :math:`S` draws (Vehtari et al. 2024).
    elpd_data
        The ArviZ ``ELPDData`` object, for ArviZ plots.
    """

    method: str
    kind: str
    elpd: float
    se: float
    p: float
    pointwise: pd.DataFrame
    n_draws: int
    computed_by: str
    k_threshold: float
    elpd_data: Any = field(repr=False)

    @property
    def n_obs(self) -> int:
        return len(self.pointwise)

    @property
    def bad_k(self) -> pd.Index:
        """Observations whose Pareto k exceeds ``k_threshold`` (LOO only)."""
        if self.method != "loo":
            return self.pointwise.index[:0]
        return self.pointwise.index[self.pointwise["pareto_k"] > self.k_threshold]

    @property
    def warning(self) -> bool:
        """Whether the estimate is flagged unreliable (high Pareto k, or WAIC variance > 0.4)."""
        if self.method == "loo":
            return len(self.bad_k) > 0
        return bool((self.pointwise["var_loglik"] > 0.4).any())

    def to_frame(self) -> pd.DataFrame:
        """One row: ``elpd``, ``se``, ``p_loo``/``p_waic``, ``n_obs``, ``n_draws``, ``kind``, ``warning``."""
        return pd.DataFrame([{"elpd": self.elpd, "se": self.se, f"p_{self.method}": self.p,
                              "n_obs": self.n_obs, "n_draws": self.n_draws, "kind": self.kind,
                              "warning": self.warning}], index=[f"elpd_{self.method}"])

    def __repr__(self) -> str:
        name = "PSIS-LOO" if self.method == "loo" else "WAIC"
        lines = [
            f"{name}, kind={self.kind!r} ({KINDS[self.kind]})",
            f"  elpd_{self.method} {self.elpd:.2f} (se {self.se:.2f}), p_{self.method} {self.p:.2f}; "
            f"{self.n_obs} observations, {self.n_draws} draws; pointwise densities from {self.computed_by}",
        ]
        if self.method == "loo":
            k = self.pointwise["pareto_k"]
            lines.append(f"  Pareto k: max {k.max():.2f}; {len(self.bad_k)} above {self.k_threshold:.2f}")
        else:
            lines.append(f"  posterior variance of log density above 0.4 for "
                         f"{int((self.pointwise['var_loglik'] > 0.4).sum())} observations")
        return "\n".join(lines)


# -- computing one criterion -------------------------------------------------------------------
def pointwise_draws(fit: Any, kind: str, max_draws: int | None) -> PointwiseDraws:
    """Pointwise log densities of ``fit`` (cached on the fit per kind and ``max_draws``)."""
    cache = fit._pointwise
    key = (kind, max_draws)
    if key not in cache:
        if kind == "marginal":
            cache[key] = marginal_loglik(fit.spec, fit.idata, max_draws=max_draws)
        else:
            cache[key] = conditional_loglik(fit.spec, fit.idata,
                                            lambda: fit.predict(kind="mean", return_draws=True))
    return cache[key]


def relative_efficiency(spec: ModelSpec, idata: Any) -> float:
    """Mean ESS over total draws of the reported quantities (PSIS's ``r_eff``).

    Notes
    -----
    ArviZ averages over every posterior variable, thousands of latent effects included;
    here the parameters :math:`\\theta` that the marginal densities depend on are used, and
    the same value serves a thinned subset of draws (conservative: thinning raises the
    relative efficiency).
    """
    import xarray as xr

    q = quantity_draws(spec, idata)
    chains, draws = next(iter(q.values())).shape
    if chains < 2:
        return 1.0
    ds = xr.Dataset({k: (("chain", "draw"), v) for k, v in q.items() if np.ptp(v) > 0})
    ess = azb.ess(ds, var_names=list(ds.data_vars), method="mean")
    values = np.array([float(ess[v]) for v in ess.data_vars])
    values = values[np.isfinite(values)]
    return float(values.mean() / (chains * draws)) if values.size else 1.0


def _criterion(fit: Any, method: str, kind: str | None, max_draws: int | None) -> Criterion:
    if method not in METHODS:
        raise SpecError(f"method must be one of {METHODS}, got {method!r}")
    kind = _resolve_kind(fit.spec, kind)
    pw = pointwise_draws(fit, kind, max_draws)
    index = fit.spec.data.index
    reff = relative_efficiency(fit.spec, fit.idata) if method == "loo" else 1.0
    crit = from_pointwise(pw, method, index, reff)
    warn_criterion(crit)
    return crit


def from_pointwise(pw: PointwiseDraws, method: str, index: pd.Index, reff: float = 1.0) -> Criterion:
    """A :class:`Criterion` from pointwise densities; ``reff`` is PSIS's relative efficiency."""
    if method == "loo":
        elpd_data = azb.loo_from_loglik(pw.values, reff)
    else:
        elpd_data = azb.waic_from_loglik(pw.values)
    S = pw.values.shape[0]
    threshold = min(1.0 - 1.0 / np.log10(S), PARETO_K_MAX) if S > 1 else 0.0
    if method == "loo":
        frame = pd.DataFrame({"elpd": np.asarray(elpd_data.loo_i), "pareto_k": np.asarray(elpd_data.pareto_k)},
                             index=index)
        elpd, p = float(elpd_data.elpd_loo), float(elpd_data.p_loo)
    else:
        frame = pd.DataFrame({"elpd": np.asarray(elpd_data.waic_i), "var_loglik": pw.values.var(axis=0, ddof=1)},
                             index=index)
        elpd, p = float(elpd_data.elpd_waic), float(elpd_data.p_waic)
    return Criterion(method, pw.kind, elpd, float(elpd_data.se), p, frame, S, pw.method, threshold, elpd_data)


def warn_criterion(crit: Criterion) -> None:
    """Warn with advice when the criterion is unreliable."""
    if not crit.warning:
        return
    if crit.method == "waic":
        n_bad = int((crit.pointwise["var_loglik"] > 0.4).sum())
        warnings.warn(
            f"WAIC (kind={crit.kind!r}) is unreliable: the posterior variance of the log density exceeds 0.4 "
            f"for {n_bad} of {crit.n_obs} observations. Use fit.loo(kind={crit.kind!r}), whose Pareto k "
            "diagnostics say which observations are at fault.",
            PSISWarning, stacklevel=3,
        )
        return
    bad = crit.bad_k
    if crit.kind == "conditional":
        advice = ("Conditional LOO keeps each observation's own random effect, whose posterior leans on that "
                  "observation when a level has few observations: use kind='marginal' for Gaussian models, "
                  "or K-fold cross-validation.")
    else:
        advice = ("These observations are influential (outliers, or poorly predicted from the others): inspect "
                  "them (result.pointwise.sort_values('pareto_k')), consider family='student_t', or use K-fold "
                  "cross-validation; more draws help when k is only slightly above the threshold.")
    warnings.warn(
        f"PSIS-LOO (kind={crit.kind!r}): Pareto k above {crit.k_threshold:.2f} for {len(bad)} of {crit.n_obs} "
        f"observations (rows {list(bad[:5])}{', ...' if len(bad) > 5 else ''}; max k "
        f"{crit.pointwise['pareto_k'].max():.2f}), so their leave-one-out estimates are unreliable. {advice}",
        PSISWarning, stacklevel=3,
    )


def loo(fit: Any, kind: str | None = None, *, max_draws: int | None = None) -> Criterion:
    """PSIS-LOO of ``fit`` (see :meth:`bayeslmm.Fit.loo`)."""
    return _criterion(fit, "loo", kind, max_draws)


def waic(fit: Any, kind: str | None = None, *, max_draws: int | None = None) -> Criterion:
    """WAIC of ``fit`` (see :meth:`bayeslmm.Fit.waic`)."""
    return _criterion(fit, "waic", kind, max_draws)


# -- comparing fits ------------------------------------------------------------------------------
def _check_same_data(fits: Mapping[str, Any]) -> None:
    names = list(fits)
    ref = fits[names[0]].spec
    for name in names[1:]:
        spec = fits[name].spec
        if spec.n != ref.n:
            raise DataError(
                f"cannot compare fits on different data: {names[0]!r} used {ref.n} rows and {name!r} used "
                f"{spec.n} (rows with missing values are dropped per model; fit both on the same rows)"
            )
        if not np.array_equal(spec.y, ref.y):
            diff = int(np.sum(spec.y != ref.y))
            raise DataError(
                f"cannot compare fits on different data: the response of {name!r} ({spec.response!r}) differs "
                f"from that of {names[0]!r} ({ref.response!r}) in {diff} of {ref.n} rows"
            )


def compare(fits: Mapping[str, Any], kind: str | None = None, *, ic: str = "loo",
            max_draws: int | None = None) -> pd.DataFrame:
    """Rank fits of the same data by expected log predictive density.

    Parameters
    ----------
    fits
        ``{"name": fit, ...}``, two or more :class:`~bayeslmm.Fit` objects on the same rows.
    kind
        ``"marginal"`` or ``"conditional"`` for every fit; ``None`` uses each fit's default
        (marginal for Gaussian models with random effects, conditional otherwise), which
        must then agree.
    ic
        ``"loo"`` (PSIS-LOO, default) or ``"waic"``.
    max_draws
        Passed to :meth:`~bayeslmm.Fit.loo`.

    Returns
    -------
    DataFrame, one row per fit, best first: ``rank``, ``elpd``, ``se``, ``elpd_diff``
    (to the best), ``dse`` (se of that difference), ``weight`` (stacking), ``p_loo`` or
    ``p_waic``, ``warning`` and ``kind``; ``attrs`` holds ``kind`` and ``ic``.

    Raises
    ------
    DataError
        When the fits used different rows or responses.
    SpecError
        When their default kinds differ (pass ``kind=``), or for an unknown ``kind``/``ic``.

    Notes
    -----
    A difference is clear when ``elpd_diff`` exceeds about twice ``dse`` (computed from the
    pointwise differences, so it accounts for their correlation).

    Examples
    --------
    >>> import bayeslmm as bl
    >>> df = bl.datasets.sleepstudy_like(seed=1)
    >>> slopes = bl.Model("Reaction ~ Days + (Days | Subject)", df).fit(seed=1)      # doctest: +SKIP
    >>> intercepts = bl.Model("Reaction ~ Days + (1 | Subject)", df).fit(seed=1)     # doctest: +SKIP
    >>> bl.compare({"slopes": slopes, "intercepts": intercepts})[["rank", "elpd_diff", "dse"]]  # doctest: +SKIP
    """
    from .fit import Fit

    if not isinstance(fits, Mapping) or len(fits) < 2:
        raise SpecError(f"compare needs a dict of two or more fits, got {type(fits).__name__} "
                        f"with {len(fits) if hasattr(fits, '__len__') else 'no'} entries")
    for name, f in fits.items():
        if not isinstance(f, Fit):
            raise SpecError(f"compare: {name!r} is a {type(f).__name__}, not a bayeslmm Fit")
    if ic not in METHODS:
        raise SpecError(f"ic must be one of {METHODS}, got {ic!r}")
    _check_same_data(fits)
    if kind is None:
        kinds = {name: default_kind(f.spec) for name, f in fits.items()}
        if len(set(kinds.values())) > 1:
            listed = ", ".join(f"{n!r}: {k}" for n, k in kinds.items())
            raise SpecError(
                f"cannot compare fits with different kinds of predictive density ({listed}); pass "
                "kind='conditional' (available for every family) so all are compared on the same footing"
            )
        kind = next(iter(kinds.values()))
    kind = _resolve_kind(next(iter(fits.values())).spec, kind)
    crits = {}
    for name, f in fits.items():
        try:
            crits[name] = _criterion(f, ic, kind, max_draws)
        except SpecError as err:
            raise SpecError(f"fit {name!r}: {err}") from None
    table = azb.compare({name: c.elpd_data for name, c in crits.items()}, ic=ic)
    table = table.rename(columns={f"elpd_{ic}": "elpd"})
    table["warning"] = [crits[name].warning for name in table.index]
    table["kind"] = kind
    table = table[["rank", "elpd", "se", "elpd_diff", "dse", "weight", f"p_{ic}", "warning", "kind"]]
    table.attrs.update({"kind": kind, "ic": ic, "kind_description": KINDS[kind]})
    return table
