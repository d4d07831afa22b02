"""Variance proportions of GLMMs on the latent scale: ICC and h² with the link variance.

For a family without an additive residual (bernoulli, binomial, poisson, negative
binomial), ``tau`` is the total random-effect sd on the link scale and the proportions
split it among the random components only. The latent-scale proportion of component
:math:`k` adds the distribution-specific ("link") variance :math:`v_d` to the denominator
(Nakagawa and Schielzeth 2010; Nakagawa, Johnson and Schielzeth 2017):

.. math::

    \\rho_k = \\frac{\\sigma_k^2}{\\sum_j \\sigma_j^2 + v_d}, \\qquad
    \\sigma_k^2 = \\pi_k \\tau^2 .

For a probit model of a binary trait with a relationship kernel, :math:`\\rho_k` is the
heritability on the liability scale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..spec.model_spec import ModelSpec
from . import arviz_bridge as azb

__all__ = ["link_variance_draws", "latent_proportion_draws", "add_latent_scale", "link_variance_label"]


def link_variance_label(spec: ModelSpec) -> str:
    """How :math:`v_d` is computed, in words (shown in the variance table)."""
    fam = spec.family
    if fam.link == "logit":
        return "pi^2/3 (logistic)"
    if fam.link == "probit":
        return "1 (probit)"
    if fam.name == "negativebinomial":
        return "log(1 + 1/mu + 1/alpha) (lognormal approximation)"
    return "log(1 + 1/mu) (lognormal approximation)"


def link_variance_draws(spec: ModelSpec, idata: Any) -> np.ndarray:
    """Draws ``(S,)`` of the link variance :math:`v_d`.

    Notes
    -----
    Logit :math:`\\pi^2/3` and probit 1 are exact for the latent logistic / normal
    variable. Log link: the lognormal approximation :math:`\\log(1 + 1/\\lambda)` (Poisson)
    or :math:`\\log(1 + 1/\\lambda + 1/\\alpha)` (negative binomial) with
    :math:`\\lambda = n^{-1}\\sum_i \\exp(X_i b + \\tau^2/2)`, the expected count averaged
    over the rows' fixed effects and the random effects; with centred covariates this is
    Nakagawa et al.'s :math:`\\exp(\\beta_0 + \\sigma_\\tau^2/2)`. The approximation is good
    when :math:`\\lambda` is not small (below about 0.5 it overstates :math:`v_d`).
    """
    fam = spec.family
    tau = azb.draws(idata, "tau")
    if fam.link in ("logit", "probit"):
        return np.full(tau.shape[0], float(fam.link_variance()))
    b = azb.draws(idata, "b") if spec.fixed_columns else np.zeros((tau.shape[0], 0))
    eta = b @ spec.X.T if spec.fixed_columns else np.zeros((tau.shape[0], spec.n))
    lam = np.exp(eta + 0.5 * tau[:, None] ** 2).mean(axis=1)
    alpha = azb.draws(idata, "alpha") if fam.name == "negativebinomial" else None
    return np.asarray(fam.link_variance(lam, alpha), dtype=float)


def latent_proportion_draws(spec: ModelSpec, idata: Any) -> np.ndarray:
    """Draws ``(S, K)`` of :math:`\\pi_k\\tau^2 / (\\tau^2 + v_d)` per random component."""
    tau2 = azb.draws(idata, "tau") ** 2
    prop = azb.draws(idata, "proportions")
    vd = link_variance_draws(spec, idata)
    return prop * (tau2 / (tau2 + vd))[:, None]


def add_latent_scale(table: pd.DataFrame, spec: ModelSpec, idata: Any, prob: float) -> pd.DataFrame:
    """Add latent-scale columns and a ``Distribution`` row to a GLMM variance table.

    Columns ``latent_proportion``, ``latent_proportion_lower``, ``latent_proportion_upper``;
    the ``Distribution`` row holds :math:`v_d` (its ``latent_proportion`` is
    :math:`v_d / (\\tau^2 + v_d)`, so the latent column sums to 1). ``scale`` states the
    scale of each proportion column.
    """
    from .tables import interval

    latent = latent_proportion_draws(spec, idata)
    vd = link_variance_draws(spec, idata)
    tau2 = azb.draws(idata, "tau") ** 2
    table = table.copy()
    cols = {"latent_proportion": [], "latent_proportion_lower": [], "latent_proportion_upper": []}
    for label in table.index:
        k = spec.components.index(label)
        lo, hi = interval(latent[:, k], prob)
        cols["latent_proportion"].append(float(latent[:, k].mean()))
        cols["latent_proportion_lower"].append(float(lo))
        cols["latent_proportion_upper"].append(float(hi))
    for name, values in cols.items():
        table[name] = values
    share = vd / (tau2 + vd)
    lo, hi = interval(share, prob)
    row = {"group": "Distribution", "term": link_variance_label(spec), "kernel": None,
           "variance": float(vd.mean()), "sd": float(np.sqrt(vd).mean()), "proportion": np.nan,
           "proportion_lower": np.nan, "proportion_upper": np.nan, "latent_proportion": float(share.mean()),
           "latent_proportion_lower": float(lo), "latent_proportion_upper": float(hi)}
    table = pd.concat([table, pd.DataFrame([row], index=["Distribution"])])
    table["scale"] = (f"proportion: share of the random-effect variance tau^2 ({spec.family.link} scale); "
                      f"latent_proportion: variance / (tau^2 + {link_variance_label(spec)})")
    return table[[c for c in table.columns if c != "scale"] + ["scale"]]
