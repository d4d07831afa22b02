"""Fit: the posterior of a model, read through tables, predictions and diagnostics."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError
from . import arviz_bridge as azb
from .diagnostics import Diagnostics, diagnose, warn_problems
from .effects import draw_subset, random_effect_draws, term_factor_draws
from ..spec.distributional import formula_text
from .predict import linear_predictor_draws, mean_from_eta, response_draws
from .residual import residual_sd_draws, residual_sd_table
from .tables import (
    correlation_table,
    find_term,
    fixed_effects_table,
    interval,
    quantity_draws,
    random_effects_table,
    summary_table,
    variance_table,
)

__all__ = ["Fit"]

DEFAULT_PROB = 0.94


class Fit:
    """Posterior of a :class:`~bayeslmm.Model`.

    Attributes
    ----------
    model
        The model that was fitted.
    idata
        ``arviz.InferenceData`` with ``posterior``, ``sample_stats``, ``log_likelihood``,
        ``observed_data`` and provenance in ``attrs``.

    Examples
    --------
    >>> import bayeslmm as bl
    >>> df = bl.datasets.sleepstudy_like(seed=1)
    >>> fit = bl.Model("Reaction ~ Days + (Days | Subject)", df).fit(seed=1)   # doctest: +SKIP
    >>> fit.fixed_effects().loc["Days", "mean"]                                 # doctest: +SKIP
    10.4...
    >>> fit.variance_components()[["sd", "proportion"]]                         # doctest: +SKIP
    >>> fit.predict(df.head(), include_random=False)                            # doctest: +SKIP
    """

    def __init__(self, model: Any, idata: Any) -> None:
        self.model = model
        self.idata = idata
        self._effects: dict[str, np.ndarray] = {}
        self._pointwise: dict[tuple, Any] = {}  # pointwise log densities per (kind, max_draws), see criteria.py

    # -- what was fitted -------------------------------------------------------------
    @property
    def spec(self):
        return self.model.spec

    @property
    def strategy(self):
        """The likelihood strategy and why it was chosen."""
        return self.model.strategy

    @property
    def dropped_rows(self):
        """Rows dropped for missing values before fitting."""
        return self.spec.missing

    # -- tables --------------------------------------------------------------------
    def summary(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Every reported quantity with mean, sd, HDI (``lower``, ``upper``), r_hat, ESS."""
        return summary_table(self.spec, self.idata, prob)

    def fixed_effects(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Fixed effects: posterior mean, sd and HDI, index = design column names."""
        return fixed_effects_table(self.spec, self.idata, prob)

    def variance_components(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """One row per variance component plus ``"Residual"`` (DESIGN.md section 5)."""
        return variance_table(self.spec, self.idata, prob)

    def residual_sd(self, newdata: pd.DataFrame | None = None, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Residual sd per covariate pattern of a sigma formula (``sigma ~ group``).

        One row per distinct value (combination) of the sigma formula's columns in the data,
        or per row of ``newdata``: ``sd``, ``sd_lower``, ``sd_upper``, ``variance`` and the
        residual share of the variance at that pattern (``proportion*``). The
        ``variance_components()`` ``Residual`` row is the reference pattern (reference
        level, numeric columns at 0). Without a sigma formula: one row, ``"all rows"``.
        """
        return residual_sd_table(self.spec, self.idata, prob, newdata)

    def correlations(self, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Correlations of random intercepts and slopes."""
        return correlation_table(self.spec, self.idata, prob)

    def random_effects(self, group: str, prob: float = DEFAULT_PROB) -> pd.DataFrame:
        """Posterior mean, sd and HDI of each level's effects (shrunken, BLUP-like).

        For a kernel term every id of the kernel is listed, with or without data.
        """
        terms = find_term(self.spec, group)
        tables = [random_effects_table(t, self.effect_draws(t), prob) for t in terms]
        if len(tables) == 1:
            return tables[0]
        return pd.concat(tables, keys=[t.group for t in terms], names=["group"])

    def draws(self) -> pd.DataFrame:
        """Tidy posterior draws: ``chain``, ``draw`` and one column per summary quantity."""
        q = quantity_draws(self.spec, self.idata)
        first = next(iter(q.values()))
        chain, draw = np.meshgrid(np.arange(first.shape[0]), np.arange(first.shape[1]), indexing="ij")
        frame = {"chain": chain.ravel(), "draw": draw.ravel()}
        frame.update({k: v.ravel() for k, v in q.items()})
        return pd.DataFrame(frame)

    # -- random effects and prediction -------------------------------------------------
    def effect_draws(self, term) -> np.ndarray:
        """Draws ``(S, J, q)`` of a term's effects for every level (cached)."""
        if term.key not in self._effects:
            self._effects[term.key] = random_effect_draws(self.spec, self.idata, self.strategy.name, term,
                                                          max_draws=1000)
        return self._effects[term.key]

    def field_draws(self, term):
        """Posterior draws of a ``gp()`` field (:class:`~bayeslmm.results.gp_predict.FieldDraws`, cached)."""
        from .gp_predict import field_draws

        key = f"gp:{term.key}"
        if key not in self._effects:
            self._effects[key] = field_draws(self.spec, self.idata, term)
        return self._effects[key]

    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        include_random: bool = True,
        kind: str = "mean",
        prob: float = DEFAULT_PROB,
        *,
        return_draws: bool = False,
        seed: int | None = 0,
    ) -> pd.DataFrame | np.ndarray:
        """Predict at new rows (default: the data used in fitting).

        Parameters
        ----------
        newdata
            Rows with the predictor and grouping columns.
        include_random
            Add random effects; a level not seen in fitting gets a draw from its population
            distribution.
        kind
            ``"mean"``: posterior of the expected response; ``"response"``: posterior
            predictive draws of a new observation.
        return_draws
            Return the ``(S, m)`` draws instead of the summary table.

        Returns
        -------
        DataFrame with ``mean``, ``sd``, ``lower``, ``upper`` per row (index of ``newdata``).
        """
        if kind not in ("mean", "response"):
            raise SpecError(f"kind must be 'mean' or 'response', got {kind!r}")
        newdata = self.spec.data if newdata is None else newdata
        rng = np.random.default_rng(seed)
        picks = self._joint_draws(include_random)
        b = azb.draws(self.idata, "b")[picks] if self.spec.fixed_columns else np.zeros((len(picks), 0))
        eta = linear_predictor_draws(
            self.spec, newdata, b, lambda t: self._effects_at(t, picks),
            lambda t: term_factor_draws(self.spec, self.idata, t)[picks], include_random, rng,
        )
        if include_random and self.spec.gp_terms:  # kriging of gp() fields at the new locations
            from .gp_predict import field_prediction_draws

            eta = eta + field_prediction_draws(self, newdata, picks, rng)
        values = mean_from_eta(self.spec.family.link, eta)
        if kind == "response":
            trials = None
            if self.spec.family.name == "binomial":
                col = self.spec.formula.response
                trials = self._new_trials(newdata, col)
            params = {k: v[picks] for k, v in self._family_params().items()}
            if self.spec.sigma is not None:  # one residual sd per new row
                params["sigma"] = residual_sd_draws(self.spec, self.idata, newdata)[picks]
            values = response_draws(self.spec, values, params, rng, trials)
        if return_draws:
            return values
        lower, upper = interval(values, prob)
        return pd.DataFrame({"mean": values.mean(axis=0), "sd": values.std(axis=0, ddof=1),
                             "lower": lower, "upper": upper}, index=newdata.index)

    def _joint_draws(self, include_random: bool) -> np.ndarray:
        """Draw positions at which every quantity of a prediction is available together."""
        total = self._n_draws
        if not include_random or not (self.spec.terms or self.spec.gp_terms):
            return np.arange(total)
        sizes = [self.effect_draws(t).shape[0] for t in self.spec.terms]
        sizes += [self.field_draws(g).size for g in self.spec.gp_terms]
        return draw_subset(total, min(sizes))

    def _effects_at(self, term, picks: np.ndarray) -> np.ndarray:
        u = self.effect_draws(term)
        return u if u.shape[0] == len(picks) else u[picks]

    def _new_trials(self, newdata: pd.DataFrame, expr: str) -> np.ndarray:
        from ..spec.model_spec import _PROPORTION

        tri = _PROPORTION.match(expr).group(2)
        return np.full(len(newdata), float(tri)) if tri.isdigit() else newdata[tri].to_numpy(dtype=float)

    def _family_params(self) -> dict[str, np.ndarray]:
        params = {"sigma": azb.draws(self.idata, "sd")[:, -1]}
        for name in ("nu", "alpha"):
            if name in self.idata.posterior:
                params[name] = azb.draws(self.idata, name)
        return params

    @property
    def _n_draws(self) -> int:
        post = self.idata.posterior
        return post.sizes["chain"] * post.sizes["draw"]

    # -- checking --------------------------------------------------------------------
    @cached_property
    def _diagnostics(self) -> Diagnostics:
        return diagnose(self.summary(), self.idata)

    def diagnostics(self) -> Diagnostics:
        """r_hat, bulk and tail ESS, divergences, tree depth and E-BFMI, with advice."""
        return self._diagnostics

    @property
    def ok(self) -> bool:
        """Whether every diagnostic check passes."""
        return self._diagnostics.ok

    def check(self) -> Diagnostics:
        """Run the diagnostics and warn about each problem (called after every fit)."""
        warn_problems(self._diagnostics)
        return self._diagnostics

    # -- predictive checks and criteria -------------------------------------------------
    def posterior_predictive(self, seed: int | None = 0):
        """Posterior predictive draws of the response at every fitted row.

        Returns ``arviz.InferenceData`` with ``posterior_predictive`` (``y``, dims
        ``(chain, draw, obs)``) and ``observed_data``, ready for ``arviz.plot_ppc``; the bare
        ``(S, n)`` array is ``fit.predict(kind="response", return_draws=True)``. See
        :func:`bayeslmm.results.ppc.posterior_predictive`.
        """
        from .ppc import posterior_predictive

        return posterior_predictive(self, seed=seed)

    def loo(self, kind: str | None = None, *, max_draws: int | None = None):
        """PSIS leave-one-out cross-validation: expected log predictive density per observation.

        Parameters
        ----------
        kind
            ``"marginal"``: random effects integrated out, :math:`\\log p(y_i \\mid y_{-i},
            \\theta)` exactly per draw (non-factorised normal formula) with PSIS over
            :math:`\\theta`: how well each observation is predicted from the others.
            ``"conditional"``: :math:`\\log p(y_i \\mid \\theta, u)` given the random effects.
            Default (``None``): ``"marginal"`` for Gaussian models with random effects,
            ``"conditional"`` otherwise. The kind is shown in the result.
        max_draws
            Use about this many draws (every k-th of each chain); by default all, fewer
            (at least 400) when the marginal densities would cost more than about
            :math:`5 \\cdot 10^{10}` operations.

        Returns
        -------
        :class:`~bayeslmm.results.criteria.Criterion` with ``elpd``, ``se``, ``p``,
        ``pointwise`` (``elpd`` and ``pareto_k`` per row) and ``kind``. A
        :class:`~bayeslmm.results.criteria.PSISWarning` with advice is issued when Pareto k
        exceeds 0.7 (less with few draws).
        """
        from .criteria import loo

        return loo(self, kind, max_draws=max_draws)

    def waic(self, kind: str | None = None, *, max_draws: int | None = None):
        """Widely applicable information criterion on the same pointwise densities as
        :meth:`loo` (same ``kind`` and default); prefer LOO, whose Pareto k diagnoses itself."""
        from .criteria import waic

        return waic(self, kind, max_draws=max_draws)

    # -- saving ----------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write the posterior, data, kernels and model definition to one NetCDF file."""
        from .io import save_fit

        save_fit(self, path)

    # -- plots and reports ---------------------------------------------------------------
    def plot(self, kind: str = "variance", **kwargs: Any):
        """A matplotlib Figure: ``"variance"``, ``"proportions"``, ``"trace"``, ``"rank"``,
        ``"ppc"``, ``"caterpillar"``, ``"shrinkage"``, ``"correlation"`` or ``"gp_map"`` (posterior
        mean and sd of a ``gp()`` field, :func:`bayeslmm.results.gp_plots.gp_map`).

        Keyword arguments go to the function of :mod:`bayeslmm.results.plots` of that name
        (e.g. ``fit.plot("caterpillar", group="Subject", coef="Days")``).
        """
        from .plots import plot

        return plot(self, kind, **kwargs)

    def report(self, directory: str, **kwargs: Any):
        """Write ``report.html`` (self-contained), ``summary.csv`` and ``posterior.nc`` to
        ``directory``; return the path of the HTML file.

        Keyword arguments go to :func:`bayeslmm.results.report.write_report` (``title``,
        ``description``, ``truth``, ``labels``, ``prob``, ``loo_draws``).
        """
        from .report import write_report

        return write_report(self, directory, **kwargs)

    # -- display ---------------------------------------------------------------------
    def _header(self) -> list[str]:
        s = self.spec
        a = self.idata.attrs
        return [
            f"bayeslmm fit: {formula_text(self.model.formula)}",
            f"family {s.family.name} (link {s.family.link}); {s.n} rows used ({s.missing.describe()})",
            f"strategy: {self.strategy}",
            f"sampler {a.get('sampler')}: {a.get('chains')} chains x {a.get('draws')} draws "
            f"(tune {a.get('tune')}), seed {a.get('seed')}",
        ] + [f"kernel {k}: {_kernel_line(v)}" for k, v in s.kernels.items()]

    def __repr__(self) -> str:
        fe = self.fixed_effects().round(4)
        vc = self.variance_components()[["variance", "sd", "proportion", "proportion_lower", "proportion_upper"]].round(4)
        diag = self.diagnostics()
        parts = self._header() + ["", "Fixed effects:", fe.to_string() if len(fe) else "  none", "",
                                  "Variance components:", vc.to_string(), "", repr(diag).splitlines()[0]]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        head = "".join(f"<div>{line}</div>" for line in self._header())
        return (f"{head}<h4>Fixed effects</h4>{self.fixed_effects().round(4).to_html()}"
                f"<h4>Variance components</h4>{self.variance_components().round(4).to_html()}"
                f"<p>{repr(self.diagnostics()).splitlines()[0]}</p>")


def _kernel_line(kernel: Any) -> str:
    d = kernel.describe()
    return "; ".join(str(d[k]) for k in ("n", "source", "scale", "psd") if k in d)
