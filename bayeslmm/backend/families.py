"""Observation models: the likelihood of the response given the linear predictor."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from .common import VarianceParameters, prior_variable

__all__ = ["observe", "inverse_link", "residual_scale"]


def inverse_link(link: str, eta: pt.TensorVariable) -> pt.TensorVariable:
    """Mean of the response from the linear predictor."""
    if link == "identity":
        return eta
    if link == "logit":
        return pm.math.invlogit(eta)
    if link == "probit":
        return 0.5 * pt.erfc(-eta / np.sqrt(2.0))
    if link == "log":
        return pt.exp(eta)
    raise SpecError(f"unknown link {link!r}")


def observe(spec: ModelSpec, eta: pt.TensorVariable, var: VarianceParameters) -> pt.TensorVariable:
    """Add the observed response ``y`` (dims ``obs``) given the linear predictor ``eta``.

    Notes
    -----
    Gaussian: :math:`y_i \\sim N(\\eta_i, \\sigma_i^2)`. Student-t: :math:`t_\\nu(\\eta_i,
    \\sigma_i)` with :math:`\\nu` estimated. :math:`\\sigma_i = \\sigma_e` unless the model has
    a sigma formula (see :func:`residual_scale`). Bernoulli / binomial: success probability
    :math:`g^{-1}(\\eta_i)`. Poisson and negative binomial: mean :math:`e^{\\eta_i}`; the
    negative binomial has :math:`\\text{Var}(y_i) = \\mu_i + \\mu_i^2/\\alpha`.
    """
    fam, y = spec.family, spec.y
    mu = inverse_link(fam.link, eta)
    if fam.name == "gaussian":
        return pm.Normal("y", mu=mu, sigma=residual_scale(spec, var), observed=y, dims="obs")
    if fam.name == "student_t":
        nu = prior_variable("nu", spec.priors["nu"])
        return pm.StudentT("y", nu=nu, mu=mu, sigma=residual_scale(spec, var), observed=y, dims="obs")
    if fam.name == "bernoulli":
        if fam.link == "logit":  # log-sigmoid form: exact in both tails
            return pm.Bernoulli("y", logit_p=eta, observed=y, dims="obs")
        return pm.Bernoulli("y", p=_clip(mu), observed=y, dims="obs")
    if fam.name == "binomial":
        if fam.link == "logit":
            return pm.Binomial("y", n=spec.trials, logit_p=eta, observed=y, dims="obs")
        return pm.Binomial("y", n=spec.trials, p=_clip(mu), observed=y, dims="obs")
    if fam.name == "poisson":
        return pm.Poisson("y", mu=mu, observed=y, dims="obs")
    if fam.name == "negativebinomial":
        alpha = prior_variable("alpha", spec.priors["alpha"])
        return pm.NegativeBinomial("y", mu=mu, alpha=alpha, observed=y, dims="obs")
    raise SpecError(f"family {fam.name!r} has no observation model")


def residual_scale(spec: ModelSpec, var: VarianceParameters) -> pt.TensorVariable:
    """Residual sd: a scalar, or one value per row under a sigma formula.

    Notes
    -----
    With ``sigma ~ w`` (log link), :math:`\\sigma_i = \\sigma_{res} \\exp(W_i \\gamma)`
    where :math:`\\sigma_{res} = \\sqrt{\\pi_{res}}\\,\\tau` is the residual sd at the
    reference pattern :math:`W_i = 0` and :math:`\\gamma` (``b_sigma``, dims ``sigma_coef``)
    has the ``"sigma:<column>"`` priors. The intercept of the log-sd regression is
    :math:`\\log\\sigma_{res}`, so the variance proportions keep their meaning at the
    reference pattern.
    """
    base = var.residual_sd(spec)
    design = spec.sigma
    if design is None:
        return base
    model = pm.modelcontext(None)
    if "sigma_coef" not in model.coords:
        model.add_coord("sigma_coef", list(design.columns))
    priors = [spec.priors[name] for name in design.prior_names]
    if all(p.dist == "Normal" for p in priors):
        mu = np.array([p.params["mu"] for p in priors], dtype=float)
        sd = np.array([p.params["sigma"] for p in priors], dtype=float)
        gamma = pm.Normal("b_sigma", mu=mu, sigma=sd, dims="sigma_coef")
    else:
        parts = [prior_variable(f"b_sigma[{c}]", p) for c, p in zip(design.columns, priors)]
        gamma = pm.Deterministic("b_sigma", pt.stack(parts), dims="sigma_coef")
    return base * pt.exp(pt.dot(pt.as_tensor_variable(design.W), gamma))


def _clip(p: pt.TensorVariable) -> pt.TensorVariable:
    return pt.clip(p, 1e-12, 1 - 1e-12)
