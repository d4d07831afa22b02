"""Predictions for new rows: fixed effects, random effects of known levels, population
draws for new levels, on the mean or the response scale."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from ..errors import DataError, SpecError
from ..spec.data import _label
from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm

__all__ = ["linear_predictor_draws", "mean_from_eta", "response_draws"]


def _new_levels(term: GroupTerm, newdata: pd.DataFrame) -> np.ndarray:
    """Label of each new row's level, as in fitting (``"a1:b2"``, normalised kernel ids)."""
    for f in term.formula.factors:
        if f not in newdata.columns:
            raise DataError(f"newdata lacks the grouping column {f!r} of ({term.formula.expr} | {term.group})")
        if newdata[f].isna().any():
            raise DataError(f"newdata column {f!r} has {int(newdata[f].isna().sum())} missing values")
    labels = newdata[term.formula.factors[0]].map(_label).astype(str)
    for f in term.formula.factors[1:]:
        labels = labels + ":" + newdata[f].map(_label).astype(str)
    if term.kernel is not None:
        from ..kernels import normalize_ids

        return normalize_ids(newdata[term.formula.factors[0]].to_numpy())
    return labels.to_numpy()


def _term_design(term: GroupTerm, newdata: pd.DataFrame) -> np.ndarray:
    try:
        return np.asarray(term.design.evaluate_new_data(newdata)).astype(float)
    except Exception as err:
        raise DataError(f"cannot evaluate ({term.formula.expr} | {term.group}) on new data: {err}") from None


def linear_predictor_draws(
    spec: ModelSpec,
    newdata: pd.DataFrame,
    b: np.ndarray,
    effects: Callable[[GroupTerm], np.ndarray],
    factors: Callable[[GroupTerm], np.ndarray],
    include_random: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draws ``(S, m)`` of the linear predictor at ``m`` new rows.

    Known levels use their posterior draws; a level not seen in fitting (or an id absent
    from the kernel) gets a draw from the population distribution
    :math:`N(0, \\Sigma)` of its term, so its uncertainty includes the between-level spread.
    """
    if not isinstance(newdata, pd.DataFrame):
        raise DataError(f"newdata must be a pandas DataFrame, got {type(newdata).__name__}")
    X = spec.fixed_matrix(newdata)
    eta = b @ X.T if X.shape[1] else np.zeros((b.shape[0], len(newdata)))
    if not include_random:
        return eta
    for term in spec.terms:
        Z = _term_design(term, newdata)
        labels = _new_levels(term, newdata)
        position = pd.Index(term.levels).get_indexer(labels)
        u = effects(term)  # (S, J, q), the same draws as b
        S = eta.shape[0]
        known = position >= 0
        contrib = np.zeros((S, len(newdata)))
        if known.any():
            contrib[:, known] = np.einsum("snq,nq->sn", u[:, position[known]], Z[known])
        if (~known).any():
            F = factors(term)  # (S, q, q)
            new_labels, inverse = np.unique(labels[~known], return_inverse=True)
            w = rng.standard_normal((S, len(new_labels), F.shape[1]))
            u_new = np.einsum("slr,sqr->slq", w, F)
            contrib[:, ~known] = np.einsum("snq,nq->sn", u_new[:, inverse], Z[~known])
        eta = eta + contrib
    return eta


def mean_from_eta(link: str, eta: np.ndarray) -> np.ndarray:
    """Inverse link applied to linear-predictor draws."""
    if link == "identity":
        return eta
    if link == "logit":
        return 1.0 / (1.0 + np.exp(-eta))
    if link == "probit":
        from scipy.stats import norm

        return norm.cdf(eta)
    if link == "log":
        return np.exp(eta)
    raise SpecError(f"unknown link {link!r}")


def response_draws(spec: ModelSpec, mean: np.ndarray, params: dict[str, np.ndarray],
                   rng: np.random.Generator, trials: np.ndarray | None = None) -> np.ndarray:
    """Posterior predictive draws of the response given the mean draws ``(S, m)``.

    ``params`` hold the family's parameter draws at the same ``S`` draws (``sigma``, ``nu``, ``alpha``);
    ``sigma`` is ``(S,)``, or ``(S, m)`` when the residual sd varies by row.
    """
    fam = spec.family.name
    S = mean.shape[0]
    if fam in ("gaussian", "student_t"):
        sigma = params["sigma"]  # (S,) or, under a sigma formula, (S, m)
        sigma = sigma[:S, None] if sigma.ndim == 1 else sigma[:S]
    if fam == "gaussian":
        return mean + sigma * rng.standard_normal(mean.shape)
    if fam == "student_t":
        return mean + sigma * rng.standard_t(params["nu"][:S, None], size=mean.shape)
    if fam == "bernoulli":
        return (rng.random(mean.shape) < mean).astype(float)
    if fam == "binomial":
        n = np.broadcast_to(trials if trials is not None else 1, mean.shape)
        return rng.binomial(n.astype(int), mean).astype(float)
    if fam == "poisson":
        return rng.poisson(mean).astype(float)
    if fam == "negativebinomial":
        alpha = params["alpha"][:S, None]
        return rng.poisson(rng.gamma(alpha, mean / alpha)).astype(float)
    raise SpecError(f"no response draws for family {fam!r}")
