"""Rotation of a Gaussian model into a kernel's eigenbasis (numpy only).

For :math:`y \\sim N(Xb, \\sigma_g^2 K + \\sigma_e^2 I)` with :math:`K = U \\Lambda U'`
(``U`` with ``k <= n`` orthonormal columns, :math:`\\lambda_i > 0`), the rotated data
:math:`y^* = U'y`, :math:`X^* = U'X` are independent:
:math:`y^*_i \\sim N(X^*_i b, \\sigma_g^2 \\lambda_i + \\sigma_e^2)`, and the
:math:`n - k` directions orthogonal to ``U`` carry the residual variance only, with
sufficient statistic :math:`\\lVert r \\rVert^2 - \\lVert U'r \\rVert^2`, :math:`r = y - Xb`.
Everything needed per gradient is precomputed here, so a gradient costs :math:`O(kp)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .eigh import Eigh, eigh_from_factor, eigh_of

__all__ = ["Rotation", "rotate", "observed_eigh"]

_NULL_TOL = 1e-8


def observed_eigh(kernel, index: np.ndarray) -> Eigh:
    """Eigendecomposition of :math:`K[j(i), j(i')]`, the kernel on the rows of the data.

    ``index`` maps each data row to a kernel row (one record per id). When the data use every
    kernel id the kernel's cached decomposition is reused with its rows permuted; otherwise
    the principal submatrix (or the factor's rows) is decomposed once and cached on the
    kernel, keyed by ``index``.
    """
    index = np.asarray(index)
    full = kernel.eigh if (len(index) == kernel.n) else None
    if full is not None and np.array_equal(np.sort(index), np.arange(kernel.n)):
        return Eigh(full.vectors[index], full.values, len(index))
    cache = kernel.__dict__.setdefault("_observed_eigh", {})
    key = index.tobytes()
    if key not in cache:
        if kernel.factor is not None and kernel.factor.shape[1] < len(index):
            cache[key] = eigh_from_factor(kernel.factor[index])
        else:
            cache[key] = eigh_of(np.asarray(kernel.matrix)[np.ix_(index, index)])
    return cache[key]


@dataclass(frozen=True)
class Rotation:
    """Data rotated into a kernel's eigenbasis, with what the likelihood needs.

    Attributes
    ----------
    vectors, values
        :math:`U` (n, k) and :math:`\\lambda` (k,) over the positive eigenvalues.
    y_rot, X_rot
        :math:`U'y`, :math:`U'X_{\\text{model}}` (the model's fixed columns: all of ``X``,
        or all but the intercept when it is absorbed).
    cyy, cXy, cXX
        :math:`y'My`, :math:`X'My`, :math:`X'MX` for the complement's quadratic form, with
        :math:`M = I - UU' [- 11'/n]` (bracket when the intercept is absorbed); :math:`My`
        and :math:`MX` are formed explicitly once, so :math:`r'Mr` needs no cancellation
        of large sums.
    complement
        Number of directions with residual variance only (:math:`n - k`, minus one when
        the intercept is absorbed).
    absorbed
        Whether the intercept is integrated out with a flat prior (see :func:`rotate`).
    intercept_column
        Position of ``Intercept`` in the full ``X`` (``None`` if absent).
    model_columns
        Positions in the full ``X`` of the columns kept as parameters.
    """

    vectors: np.ndarray
    values: np.ndarray
    y_rot: np.ndarray
    X_rot: np.ndarray
    complement: int
    absorbed: bool
    intercept_column: int | None
    model_columns: tuple[int, ...]
    cyy: float
    cXy: np.ndarray
    cXX: np.ndarray
    n: int

    @property
    def k(self) -> int:
        return len(self.values)


def rotate(eigh: Eigh, y: np.ndarray, X: np.ndarray, columns: tuple[str, ...], *, absorb: bool = True) -> Rotation:
    """Precompute the rotated likelihood of ``y ~ N(X b, s_g² K + s_e² I)``.

    Parameters
    ----------
    eigh
        Eigendecomposition of the kernel on the data rows (:func:`observed_eigh`).
    y, X, columns
        Response, fixed design and its column names.
    absorb
        Integrate the intercept out when the all-ones vector lies in the kernel's null space.

    Notes
    -----
    A GRM of centred markers has :math:`K 1 = 0`: the intercept then lives only in the
    direction :math:`v = 1/\\sqrt n`, whose variance is :math:`\\sigma_e^2` alone, and as
    :math:`h^2 \\to 1` the intercept fits it exactly while its variance goes to 0 — a funnel
    that NUTS cannot follow at small n (DESIGN.md section 5). With a flat prior on the
    intercept, :math:`\\int N(v'r; 0, \\sigma_e^2)\\, d b_0 = 1/\\sqrt n`: the direction
    drops out of the likelihood (REML-like), and the intercept is drawn after sampling from
    :math:`b_0 \\mid \\cdot \\sim N(\\bar y - \\bar x_{-0}' b_{-0}, \\sigma_e^2 / n)`.
    """
    n = len(y)
    keep = eigh.values > max(eigh.values.max(initial=0.0), 0.0) * 1e-10
    U, lam = eigh.vectors[:, keep], eigh.values[keep]
    intercept = columns.index("Intercept") if "Intercept" in columns else None
    absorbed = False
    if absorb and intercept is not None:
        ones = np.ones(n) / np.sqrt(n)
        absorbed = bool(np.linalg.norm(U.T @ ones) < _NULL_TOL) and bool(np.allclose(X[:, intercept], 1.0))
    model_columns = tuple(j for j in range(X.shape[1]) if not (absorbed and j == intercept))
    Xm = X[:, list(model_columns)]
    complement = n - U.shape[1] - (1 if absorbed else 0)

    def project(v: np.ndarray) -> np.ndarray:  # M v; U is orthogonal to 1 when absorbed
        w = v - U @ (U.T @ v)
        return w - w.mean(axis=0) if absorbed else w

    My, MX = project(y), project(Xm)
    return Rotation(
        vectors=U,
        values=lam,
        y_rot=U.T @ y,
        X_rot=U.T @ Xm,
        complement=complement,
        absorbed=absorbed,
        intercept_column=intercept,
        model_columns=model_columns,
        cyy=float(My @ My),
        cXy=MX.T @ My,
        cXX=MX.T @ MX,
        n=n,
    )
