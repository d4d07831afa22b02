"""Observation models: the likelihood of the response given the linear predictor."""

from __future__ import annotations

import pymc as pm
import pytensor.tensor as pt

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from .common import VarianceParameters, prior_variable

__all__ = ["observe", "inverse_link"]


def inverse_link(link: str, eta: pt.TensorVariable) -> pt.TensorVariable:
    """Mean of the response from the linear predictor."""
    if link == "identity":
        return eta
    if link == "logit":
        return pm.math.invlogit(eta)
    if link == "probit":
        return 0.5 * (1.0 + pt.erf(eta / pt.sqrt(2.0)))
    if link == "log":
        return pt.exp(eta)
    raise SpecError(f"unknown link {link!r}")


def observe(spec: ModelSpec, eta: pt.TensorVariable, var: VarianceParameters) -> pt.TensorVariable:
    """Add the observed response ``y`` (dims ``obs``) given the linear predictor ``eta``.

    Notes
    -----
    Gaussian: :math:`y_i \\sim N(\\eta_i, \\sigma_e^2)`. Student-t: :math:`t_\\nu(\\eta_i,
    \\sigma_e)` with :math:`\\nu` estimated. Bernoulli / binomial: success probability
    :math:`g^{-1}(\\eta_i)`. Poisson and negative binomial: mean :math:`e^{\\eta_i}`.
    """
    fam, y = spec.family, spec.y
    mu = inverse_link(fam.link, eta)
    if fam.name == "gaussian":
        return pm.Normal("y", mu=mu, sigma=var.residual_sd(spec), observed=y, dims="obs")
    if fam.name == "student_t":
        nu = prior_variable("nu", spec.priors["nu"])
        return pm.StudentT("y", nu=nu, mu=mu, sigma=var.residual_sd(spec), observed=y, dims="obs")
    if fam.name == "bernoulli":
        return pm.Bernoulli("y", p=_clip(mu), observed=y, dims="obs")
    if fam.name == "binomial":
        return pm.Binomial("y", n=spec.trials, p=_clip(mu), observed=y, dims="obs")
    if fam.name == "poisson":
        return pm.Poisson("y", mu=mu, observed=y, dims="obs")
    if fam.name == "negativebinomial":
        alpha = prior_variable("alpha", spec.priors["alpha"])
        return pm.NegativeBinomial("y", mu=mu, alpha=alpha, observed=y, dims="obs")
    raise SpecError(f"family {fam.name!r} has no observation model")


def _clip(p: pt.TensorVariable) -> pt.TensorVariable:
    return pt.clip(p, 1e-12, 1 - 1e-12)
