"""The user-facing Model: formula + data + kernels -> spec -> PyMC model -> Fit."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd
import pymc as pm

from .backend.choose import Strategy, build, choose, complete
from .inference import sample
from .spec.distributional import formula_text
from .spec.model_spec import ModelSpec, build_spec
from .spec.priors import PriorSet

__all__ = ["Model"]


class Model:
    """A Bayesian linear mixed model from an lme4/brms formula.

    Parameters
    ----------
    formula
        e.g. ``"Reaction ~ Days + (Days | Subject)"`` or
        ``"bwt ~ sex + (1 | gr(animal, cov=A)) + (1 | mother)"``. A list
        ``["y ~ x + (1 | g)", "sigma ~ group"]`` adds a distributional residual (log link,
        as brms ``bf(y ~ x, sigma ~ group)`` and Bambi ``bmb.Formula("y ~ x", "sigma ~ group")``;
        gaussian and student_t only): the residual sd of row i is
        :math:`\\sqrt{\\pi_{res}}\\,\\tau\\, e^{W_i\\gamma}`, so the proportions are the shares
        at the reference level, and ``fit.residual_sd()`` gives the sd of every pattern.
    data
        pandas DataFrame with one row per observation. Rows with a missing value in a used
        column are dropped, counted and reported (``model.dropped_rows``).
    family
        ``"gaussian"`` (default), ``"student_t"``, ``"bernoulli"``, ``"binomial"``,
        ``"poisson"``, ``"negativebinomial"``.
    priors
        Overrides of the default priors by name; see ``model.priors`` for the names.
    kernels
        Named :class:`~bayeslmm.Kernel` objects for ``gr(id, cov=NAME)`` terms.
    link
        Link function when the family has several (``"logit"``, ``"probit"``).
    strategy
        Force a likelihood strategy (``"dense"``, ``"latent"``, ...); by default one is chosen.

    Examples
    --------
    >>> import bayeslmm as bl
    >>> df = bl.datasets.sleepstudy_like(seed=1)
    >>> m = bl.Model("Reaction ~ Days + (Days | Subject)", df)
    >>> m.strategy.name
    'collapsed'
    """

    def __init__(
        self,
        formula: str | list[str],
        data: pd.DataFrame,
        family: str = "gaussian",
        priors: Mapping[str, Any] | None = None,
        kernels: Mapping[str, Any] | None = None,
        *,
        link: str | None = None,
        strategy: str | None = None,
    ) -> None:
        self.formula = formula
        self.spec: ModelSpec = build_spec(formula, data, family=family, link=link, priors=priors, kernels=kernels)
        self.strategy: Strategy = choose(self.spec, strategy)
        self._pm_model: pm.Model | None = None

    @property
    def priors(self) -> PriorSet:
        """Every prior of the model, with why it was chosen (a table in notebooks)."""
        return self.spec.priors

    @property
    def dropped_rows(self):
        """Rows dropped for missing values (:class:`~bayeslmm.spec.data.MissingReport`)."""
        return self.spec.missing

    def build(self) -> pm.Model:
        """The PyMC model (built once and cached)."""
        if self._pm_model is None:
            self._pm_model = build(self.spec, self.strategy)
        return self._pm_model

    def fit(
        self,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        seed: int | None = None,
        sampler: str = "auto",
        progress: bool = True,
        *,
        target_accept: float | None = None,
        cores: int | None = None,
    ):
        """Sample the posterior with NUTS and return a :class:`~bayeslmm.Fit`.

        ``sampler="auto"`` uses nutpie when installed, else PyMC's NUTS. The same ``seed``
        gives the same draws. Diagnostics run after sampling; problems become warnings.
        """
        from .results.fit import Fit

        idata = sample(
            self.build(), draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler,
            progress=progress, target_accept=target_accept, cores=cores, observed=self.spec.y,
        )
        complete(self.spec, self.strategy, idata, int(idata.attrs["seed"]))
        idata.attrs.update(self._provenance())
        fit = Fit(self, idata)
        fit.check()
        return fit

    def prior_predictive(self, draws: int = 500, seed: int | None = None):
        """Parameters and responses drawn from the prior, on the scale of the data.

        Returns ``arviz.InferenceData`` with ``prior``, ``prior_predictive`` (``y``, dims
        ``(chain, draw, obs)``) and ``observed_data``; see
        :func:`bayeslmm.results.ppc.prior_predictive`.
        """
        from .results.ppc import prior_predictive

        return prior_predictive(self, draws=draws, seed=seed)

    def _provenance(self) -> dict[str, Any]:
        from . import __version__

        return {
            "bayeslmm_version": __version__,
            "formula": formula_text(self.formula),
            "family": self.spec.family.name,
            "link": self.spec.family.link,
            "strategy": self.strategy.name,
            "strategy_reason": self.strategy.reason,
            "kernels": ", ".join(f"{k}: {v.describe().get('psd', '')}" for k, v in self.spec.kernels.items()),
        }

    def __repr__(self) -> str:
        s = self.spec
        lines = [
            f"bayeslmm.Model: {formula_text(self.formula)}",
            f"  family: {s.family.name} (link {s.family.link}); {s.n} rows ({s.missing.describe()})",
            f"  fixed effects: {', '.join(s.fixed_columns) or 'none'}",
            f"  variance components: {', '.join(s.components)}",
            f"  strategy: {self.strategy}",
        ]
        return "\n".join(lines)
