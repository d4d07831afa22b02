"""Per-SNP generalised least squares in a kernel's eigenbasis, and Wakefield's approximate Bayes factor.

numpy/scipy only. The null model ``y = X b + g + e``, ``V = s² (h² K + (1 - h²) I)``, is
rotated once by the eigenvectors of K; every SNP is then tested with one matrix product
(the rotation of its genotypes) and O(n p) arithmetic, in blocks of SNPs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy import stats

from bayeslmm.errors import DataError
from bayeslmm.linalg.eigh import Eigh

__all__ = ["Rotated", "NullModel", "reml_log_likelihood", "prepare_block", "gls_block", "wakefield_log10_bf",
           "CHI2_MEDIAN", "COLLINEAR_RTOL", "BLOCK_FIELDS"]

CHI2_MEDIAN = float(stats.chi2.ppf(0.5, 1))
"""Median of the chi-square distribution with 1 degree of freedom (0.454936...), the lambda_GC divisor."""

COLLINEAR_RTOL = 1e-8
"""A SNP whose variance left after the covariates, g'Pg, is below this fraction of g'V⁻¹g is collinear."""

BLOCK_FIELDS = ("beta", "se", "chi2", "p", "log10_bf", "af", "n", "n_missing", "status")
"""Arrays returned by `gls_block`; ``status`` is 0 tested, 1 monomorphic, 2 collinear with covariates."""

TESTED, MONOMORPHIC, COLLINEAR = 0, 1, 2


@dataclass(frozen=True)
class Rotated:
    """Response and covariates rotated into the eigenbasis of a kernel.

    Attributes
    ----------
    vectors, values
        Eigenvectors (n x k) and eigenvalues (k) of the kernel; ``k < n`` for a thin
        decomposition, whose n - k missing directions have eigenvalue 0.
    X, y
        Covariates (n x p) and response (n) in sample order.
    Xr, yr
        ``U'X`` and ``U'y``.
    XtX, Xty, yty
        Gram products in the sample basis, for the complement of a thin decomposition.
    """

    vectors: np.ndarray
    values: np.ndarray
    X: np.ndarray
    y: np.ndarray
    Xr: np.ndarray
    yr: np.ndarray
    XtX: np.ndarray
    Xty: np.ndarray
    yty: float

    @classmethod
    def from_eigh(cls, eigh: Eigh, X: np.ndarray, y: np.ndarray) -> Rotated:
        """Rotate ``X`` and ``y`` by the eigenvectors of ``eigh``."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if X.shape[0] != eigh.n or y.shape[0] != eigh.n:
            raise DataError(f"kernel has {eigh.n} samples but X has {X.shape[0]} rows and y {y.shape[0]}")
        U = eigh.vectors
        return cls(U, eigh.values, X, y, U.T @ X, U.T @ y, X.T @ X, X.T @ y, float(y @ y))

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def complete(self) -> bool:
        return self.values.shape[0] == self.n

    def weights(self, h2: float) -> tuple[np.ndarray, float]:
        """Inverse eigenvalues of ``H = h² K + (1 - h²) I``: rotated directions and complement."""
        w = 1.0 / (h2 * self.values + (1.0 - h2))
        w0 = 0.0 if self.complete else 1.0 / (1.0 - h2)
        return w, w0

    def logdet(self, h2: float) -> float:
        """``log|H|``."""
        d = h2 * self.values + (1.0 - h2)
        return float(np.log(d).sum() + (self.n - self.values.shape[0]) * np.log1p(-h2))

    def grams(self, h2: float) -> tuple[np.ndarray, np.ndarray, float]:
        """``X'H⁻¹X``, ``X'H⁻¹y`` and ``y'H⁻¹y``."""
        w, w0 = self.weights(h2)
        WXr = self.Xr * w[:, None]
        XHX = self.Xr.T @ WXr
        XHy = WXr.T @ self.yr
        yHy = float(self.yr @ (w * self.yr))
        if w0:
            XHX = XHX + w0 * (self.XtX - self.Xr.T @ self.Xr)
            XHy = XHy + w0 * (self.Xty - self.Xr.T @ self.yr)
            yHy += w0 * (self.yty - float(self.yr @ self.yr))
        return XHX, XHy, yHy


def _solve_fixed(XHX: np.ndarray, XHy: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Inverse of X'H⁻¹X, the GLS estimate and log|X'H⁻¹X| (Cholesky; p = 0 allowed)."""
    p = XHX.shape[0]
    if p == 0:
        return np.zeros((0, 0)), 0.0, np.zeros(0)
    try:
        factor = scipy.linalg.cho_factor(XHX, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        raise DataError("the fixed-effects design is rank deficient (collinear covariates)") from None
    inverse = scipy.linalg.cho_solve(factor, np.eye(p), check_finite=False)
    logdet = 2.0 * float(np.log(np.diagonal(factor[0])).sum())
    return inverse, logdet, inverse @ XHy


@dataclass(frozen=True)
class NullModel:
    """The null model of one kernel, ready to test SNPs.

    Attributes
    ----------
    h2
        Kernel share of the variance after the fixed effects, plugged in for every SNP.
    sigma2
        Total variance ``s²`` at ``h2`` (REML estimate ``y'Py / (n - p)``).
    prior_var
        Wakefield prior variance W of a SNP effect (phenotype units squared).
    log_likelihood
        REML log-likelihood at ``h2``.
    method
        How ``h2`` was obtained (``"reml"``, ``"posterior"``).
    """

    h2: float
    sigma2: float
    prior_var: float
    log_likelihood: float
    method: str
    vectors: np.ndarray
    w: np.ndarray
    w0: float
    X: np.ndarray
    Xr: np.ndarray
    y: np.ndarray
    yr: np.ndarray
    XHX_inv: np.ndarray
    XHy: np.ndarray
    yPy: float

    @classmethod
    def at(cls, rotated: Rotated, h2: float, *, prior_sd: float, method: str) -> NullModel:
        """Null model at a given ``h2``; ``prior_sd`` is in phenotype standard deviations.

        Notes
        -----
        With :math:`H = h^2 K + (1 - h^2) I` and
        :math:`P = H^{-1} - H^{-1} X (X^\\top H^{-1} X)^{-1} X^\\top H^{-1}`, the REML
        log-likelihood profiled over :math:`s^2` is

        .. math::

            \\ell(h^2) = -\\tfrac12 \\left[(n - p)\\left(\\log 2\\pi \\hat s^2 + 1\\right)
                + \\log|H| + \\log|X^\\top H^{-1} X|\\right], \\qquad
            \\hat s^2 = \\frac{y^\\top P y}{n - p},

        and the prior variance of a SNP effect is :math:`W = (\\text{prior\\_sd}\\,\\hat s)^2`:
        ``prior_sd`` per-allele effect in standard deviations of the phenotype after
        the covariates (the kernel has mean diagonal 1, so :math:`\\hat s^2` is that variance).
        """
        n, p = rotated.n, rotated.p
        XHX, XHy, yHy = rotated.grams(h2)
        inverse, logdet_x, beta = _solve_fixed(XHX, XHy)
        yPy = max(yHy - float(XHy @ beta), 0.0)
        sigma2 = yPy / (n - p)
        if not sigma2 > 0:
            raise DataError("the phenotype has no variance left after the fixed effects")
        loglik = -0.5 * ((n - p) * (np.log(2 * np.pi * sigma2) + 1.0) + rotated.logdet(h2) + logdet_x)
        w, w0 = rotated.weights(h2)
        return cls(
            h2=float(h2), sigma2=float(sigma2), prior_var=float((prior_sd**2) * sigma2),
            log_likelihood=float(loglik), method=method, vectors=rotated.vectors, w=w, w0=w0,
            X=rotated.X, Xr=rotated.Xr, y=rotated.y, yr=rotated.yr, XHX_inv=inverse, XHy=XHy, yPy=yPy,
        )

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])


def reml_log_likelihood(rotated: Rotated, h2: float) -> float:
    """Profiled REML log-likelihood at ``h2`` (see `NullModel.at`)."""
    n, p = rotated.n, rotated.p
    XHX, XHy, yHy = rotated.grams(h2)
    _, logdet_x, beta = _solve_fixed(XHX, XHy)
    yPy = max(yHy - float(XHy @ beta), 1e-300)
    return float(-0.5 * ((n - p) * (np.log(2 * np.pi * yPy / (n - p)) + 1.0) + rotated.logdet(h2) + logdet_x))


def prepare_block(block: np.ndarray, first_column: int = 0) -> dict[str, np.ndarray]:
    """Mean-impute missing genotypes and centre a block in place.

    Parameters
    ----------
    block : numpy.ndarray, shape (n, b)
        float64 allele counts in [0, 2], NaN for missing; overwritten by the centred block.
    first_column : int
        Index of the block's first SNP, for error messages.

    Returns
    -------
    dict
        ``af`` (frequency of the counted allele among observed genotypes), ``n``
        (observed genotypes), ``n_missing`` and ``informative`` (not monomorphic).
    """
    n = block.shape[0]
    sums = block.sum(axis=0)
    missing_cols = np.flatnonzero(np.isnan(sums))
    n_missing = np.zeros(block.shape[1], dtype=np.int64)
    if missing_cols.size:
        sub = block[:, missing_cols]
        mask = np.isnan(sub)
        n_missing[missing_cols] = mask.sum(axis=0)
        with np.errstate(invalid="ignore"):
            means = np.nansum(sub, axis=0) / (n - n_missing[missing_cols])
        block[:, missing_cols] = np.where(mask, np.nan_to_num(means), sub)
        sums[missing_cols] = block[:, missing_cols].sum(axis=0)
    low, high = block.min(axis=0), block.max(axis=0)
    bad = np.flatnonzero((low < 0) | (high > 2))
    if bad.size:
        j = int(bad[0])
        i = int(np.argmax((block[:, j] < 0) | (block[:, j] > 2)))
        raise DataError(
            f"genotypes must be allele counts in [0, 2] (NaN for missing); SNP {first_column + j} has "
            f"{float(block[i, j])!r} at sample row {i}"
        )
    n_obs = n - n_missing
    mean = sums / n
    block -= mean
    with np.errstate(invalid="ignore", divide="ignore"):
        af = np.where(n_obs > 0, mean / 2.0, np.nan)
    return {"af": af, "n": n_obs, "n_missing": n_missing, "informative": (high > low) & (n_obs > 1)}


def wakefield_log10_bf(chi2: np.ndarray, se: np.ndarray, prior_var: float) -> np.ndarray:
    """log10 of Wakefield's approximate Bayes factor for an effect against no effect.

    Notes
    -----
    With estimate :math:`\\hat\\beta`, :math:`V = \\mathrm{se}^2`, :math:`z^2 = \\hat\\beta^2 / V`
    and prior :math:`\\beta \\sim N(0, W)` (Wakefield 2009, Genet Epidemiol 33:79),

    .. math::

        \\mathrm{ABF}_{10} = \\sqrt{\\frac{V}{V + W}} \\exp\\left(\\frac{z^2}{2} \\frac{W}{V + W}\\right).

    Examples
    --------
    >>> import numpy as np
    >>> wakefield_log10_bf(np.array([25.0, 0.0]), np.array([0.05, 0.05]), prior_var=0.04).round(2)
    array([ 4.49, -0.62])
    """
    r = prior_var / (se**2 + prior_var)
    return (0.5 * np.log1p(-r) + 0.5 * chi2 * r) / np.log(10.0)


def gls_block(block: np.ndarray, null: NullModel, first_column: int = 0) -> dict[str, np.ndarray]:
    """Test every SNP of a genotype block against the null model.

    Parameters
    ----------
    block : numpy.ndarray, shape (n, b)
        float64 allele counts of the null model's samples (NaN = missing); overwritten.
    null : NullModel
    first_column : int
        Index of the block's first SNP, for error messages.

    Returns
    -------
    dict of str to numpy.ndarray
        `BLOCK_FIELDS`: ``beta``, ``se``, ``chi2``, ``p``, ``log10_bf`` (NaN where not
        tested), ``af``, ``n``, ``n_missing`` and ``status``.

    Notes
    -----
    Rotate the centred genotypes, :math:`G^* = U^\\top G` (the O(n² b) step). With
    weights :math:`w_i = 1/(h^2 s_i + 1 - h^2)` and, for a thin decomposition, the
    complement weight :math:`w_0 = 1/(1 - h^2)`,
    :math:`a^\\top H^{-1} b = \\sum_i w_i a^*_i b^*_i + w_0 (a^\\top b - a^{*\\top} b^*)`.
    Each SNP is added to the null model's covariates with :math:`h^2` fixed (EMMAX;
    Kang et al. 2010) and, by Frisch-Waugh-Lovell,

    .. math::

        \\hat\\beta = \\frac{g^\\top P y}{g^\\top P g}, \\quad
        \\hat s^2_g = \\frac{y^\\top P y - \\hat\\beta\\, g^\\top P y}{n - p - 1}, \\quad
        \\mathrm{se}^2 = \\frac{\\hat s^2_g}{g^\\top P g}, \\quad
        \\chi^2 = \\hat\\beta^2 / \\mathrm{se}^2,

    with :math:`g^\\top P g = g^\\top H^{-1} g - g^\\top H^{-1} X (X^\\top H^{-1} X)^{-1}
    X^\\top H^{-1} g`. The p-value is the chi-square(1) tail. These equal the dense GLS
    of ``y`` on ``[X, g]`` with covariance :math:`\\hat s^2_g H`.
    """
    info = prepare_block(block, first_column)
    U, w, w0 = null.vectors, null.w, null.w0
    Gr = U.T @ block
    WGr = Gr * w[:, None]
    gHg = np.einsum("ij,ij->j", Gr, WGr)
    XHg = null.Xr.T @ WGr
    gHy = WGr.T @ null.yr
    if w0:
        gHg += w0 * (np.einsum("ij,ij->j", block, block) - np.einsum("ij,ij->j", Gr, Gr))
        XHg += w0 * (null.X.T @ block - null.Xr.T @ Gr)
        gHy += w0 * (block.T @ null.y - Gr.T @ null.yr)
    gPg = gHg - np.einsum("ij,ij->j", XHg, null.XHX_inv @ XHg)
    gPy = gHy - XHg.T @ (null.XHX_inv @ null.XHy)
    informative = info["informative"]
    collinear = informative & ~(gPg > COLLINEAR_RTOL * gHg)
    tested = informative & ~collinear
    dof = null.n - null.p - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        beta = np.where(tested, gPy / gPg, np.nan)
        sigma2 = np.maximum(null.yPy - beta * gPy, 0.0) / dof
        se = np.sqrt(sigma2 / gPg)
        chi2 = beta**2 / se**2
        log10_bf = wakefield_log10_bf(chi2, se, null.prior_var)
    status = np.full(block.shape[1], TESTED, dtype=np.int8)
    status[~informative] = MONOMORPHIC
    status[collinear] = COLLINEAR
    return {
        "beta": beta, "se": np.where(tested, se, np.nan), "chi2": chi2,
        "p": stats.chi2.sf(chi2, 1), "log10_bf": log10_bf, "af": info["af"], "n": info["n"],
        "n_missing": info["n_missing"], "status": status,
    }
