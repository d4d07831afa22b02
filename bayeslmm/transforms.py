"""Transforms of responses and variance proportions: rank-based inverse normal, liability h².

Plain numpy / scipy functions, usable before a fit (``rank_inverse_normal`` on a skewed
response) or on posterior draws after one (``liability_h2`` on draws of an observed-scale
heritability).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .errors import DataError

__all__ = ["rank_inverse_normal", "liability_h2"]


def rank_inverse_normal(y, c: float = 3.0 / 8.0) -> np.ndarray:
    """Rank-based inverse normal transform (Blom offset), ties averaged, NaN kept.

    Parameters
    ----------
    y
        1-D values (array, list or pandas Series); NaN entries stay NaN and are not ranked.
    c
        Offset in :math:`(r - c)/(n - 2c + 1)`; Blom's 3/8 by default (0.5 Rankit, 0 Van der
        Waerden, 1/3 Tukey).

    Returns
    -------
    numpy.ndarray
        :math:`\\Phi^{-1}\\big((r_i - c)/(n - 2c + 1)\\big)`, same length as ``y``.

    Notes
    -----
    :math:`r_i` is the rank of :math:`y_i` among the :math:`n` non-missing values, tied
    values sharing the average of their ranks (so ties map to one value). The result is
    symmetric about 0 and, without ties, close to a standard normal sample; it removes
    skew and outliers from a response at the price of the original scale (Beasley, Erickson
    and Allison 2009). Fixed effects estimated on it are in sd units of the transformed
    trait, not of ``y``.

    Examples
    --------
    >>> rank_inverse_normal([3.0, 1.0, float("nan"), 2.0]).round(3)
    array([ 0.869, -0.869,    nan,  0.   ])
    """
    values = np.asarray(y, dtype=float)
    if values.ndim != 1:
        raise DataError(f"rank_inverse_normal takes a 1-D array, got shape {values.shape}")
    if not 0 <= c < 0.5 + 1e-12:
        raise DataError(f"offset c must be in [0, 0.5], got {c!r}")
    out = np.full(values.shape, np.nan)
    keep = ~np.isnan(values)
    n = int(keep.sum())
    if n == 0:
        return out
    ranks = stats.rankdata(values[keep], method="average")
    out[keep] = stats.norm.ppf((ranks - c) / (n - 2 * c + 1))
    return out


def liability_h2(h2_obs, prevalence: float, sample_prevalence: float | None = None) -> np.ndarray:
    """Heritability of a binary trait on the liability scale from the observed 0/1 scale.

    Parameters
    ----------
    h2_obs
        Heritability on the observed scale: the genetic share of variance of the 0/1
        trait from a linear (Gaussian) model, e.g. ``proportion`` draws of a Gaussian fit of
        a 0/1 response with a GRM. A scalar or an array of posterior draws.
    prevalence
        :math:`K`, the proportion of cases in the population.
    sample_prevalence
        :math:`P`, the proportion of cases in the sample (case-control studies
        over-sample cases). ``None`` means a random sample, :math:`P = K`.

    Returns
    -------
    numpy.ndarray
        :math:`h^2_l`, same shape as ``h2_obs``.

    Notes
    -----
    Lee, Wray, Goddard and Visscher (2011), eq. 23, for ascertained case-control data:

    .. math::

        h^2_l = h^2_o \\, \\frac{K^2 (1 - K)^2}{z^2 \\, P (1 - P)}, \\qquad
        z = \\varphi\\big(\\Phi^{-1}(1 - K)\\big),

    the normal density at the liability threshold. With :math:`P = K` this is the
    Dempster-Lerner (1950) transformation :math:`h^2_l = h^2_o K(1-K)/z^2`. It assumes a
    normal liability and many small genetic effects. A probit GLMM (``family="bernoulli",
    link="probit"``) estimates :math:`h^2_l` directly for a random sample: its
    ``latent_proportion`` needs no conversion.

    Examples
    --------
    >>> float(liability_h2(0.3, prevalence=0.5).round(4))
    0.4712
    """
    h2 = np.asarray(h2_obs, dtype=float)
    K = _probability(prevalence, "prevalence")
    P = K if sample_prevalence is None else _probability(sample_prevalence, "sample_prevalence")
    z = stats.norm.pdf(stats.norm.isf(K))
    return h2 * (K**2 * (1 - K) ** 2) / (z**2 * P * (1 - P))


def _probability(value: float, name: str) -> float:
    v = float(value)
    if not 0 < v < 1:
        raise DataError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return v
