"""Spatial covariance kernels from coordinates (Euclidean or great-circle distance)."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.distance import pdist, squareform

from bayeslmm.errors import KernelError
from bayeslmm.kernels._tabular import as_table
from bayeslmm.kernels.kernel import Kernel

__all__ = ["spatial", "haversine", "COVARIANCES", "EARTH_RADIUS_KM"]

EARTH_RADIUS_KM = 6371.0088
COVARIANCES = ("exponential", "matern32", "matern52", "gaussian")


def haversine(lonlat: np.ndarray) -> np.ndarray:
    """Great-circle distances in km between points given as (longitude, latitude) degrees.

    Notes
    -----
    :math:`d = 2R\\arcsin\\sqrt{\\sin^2\\frac{\\Delta\\phi}{2} + \\cos\\phi_1\\cos\\phi_2
    \\sin^2\\frac{\\Delta\\lambda}{2}}` with R = 6371.0088 km (mean Earth radius).
    """
    lon, lat = np.radians(lonlat[:, 0]), np.radians(lonlat[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _covariance(r: np.ndarray, cov: str) -> np.ndarray:
    if cov == "exponential":
        return np.exp(-r)
    if cov == "matern32":
        s = np.sqrt(3.0) * r
        return (1.0 + s) * np.exp(-s)
    if cov == "matern52":
        s = np.sqrt(5.0) * r
        return (1.0 + s + s * s / 3.0) * np.exp(-s)
    return np.exp(-0.5 * r * r)


def spatial(
    coords: Any,
    ids: Any = None,
    cov: str = "exponential",
    lengthscale: float | None = None,
    lonlat: bool = False,
    *,
    name: str | None = None,
    scale: bool = True,
    psd: str = "error",
) -> Kernel:
    """Spatial correlation kernel ``k(d / lengthscale)`` over sample locations.

    Parameters
    ----------
    coords : array_like or pandas.DataFrame, shape (n, d)
        Coordinates (DataFrame index = ids). With ``lonlat=True``: two columns,
        longitude then latitude, in degrees.
    ids : sequence, optional
    cov : {"exponential", "matern32", "matern52", "gaussian"}
    lengthscale : float, optional
        Positive range parameter, in coordinate units (km for ``lonlat``). Default: the
        median distance between distinct locations (recorded in ``source``).
    lonlat : bool
        Use great-circle (haversine) distance in km.
    name : str, optional
    scale : bool
        The diagonal is already 1; scaling divides by 1.
    psd : {"error", "clip", "jitter"}
        Policy for numerically negative eigenvalues (the Gaussian kernel is nearly
        singular for long lengthscales; Matérn and Gaussian kernels on great-circle
        distance need not be PSD).

    Returns
    -------
    Kernel

    Notes
    -----
    With :math:`r = d / \\ell`: exponential :math:`e^{-r}`; Matérn 3/2
    :math:`(1 + \\sqrt3 r) e^{-\\sqrt3 r}`; Matérn 5/2
    :math:`(1 + \\sqrt5 r + \\tfrac53 r^2) e^{-\\sqrt5 r}`; Gaussian :math:`e^{-r^2/2}`.
    All are positive definite for Euclidean distance in any dimension; on the sphere the
    exponential stays valid with great-circle distance, the others are checked.

    Examples
    --------
    >>> import pandas as pd
    >>> coords = pd.DataFrame({"x": [0.0, 1.0, 3.0], "y": [0.0, 0.0, 0.0]}, index=["s1", "s2", "s3"])
    >>> S = spatial(coords, cov="exponential", lengthscale=1.0)
    >>> S.matrix[0].round(4).tolist()          # exp(-d / lengthscale)
    [1.0, 0.3679, 0.0498]
    """
    if cov not in COVARIANCES:
        raise KernelError(f"cov must be one of {COVARIANCES}, got {cov!r}")
    x, norm_ids = as_table(coords, ids, "coordinates")
    if not np.all(np.isfinite(x)):
        r, c = np.argwhere(~np.isfinite(x))[0]
        raise KernelError(f"coordinate {int(c)} of {str(norm_ids[r])!r} is {float(x[r, c])!r}")
    if lonlat:
        if x.shape[1] != 2:
            raise KernelError(f"lonlat=True needs 2 columns (longitude, latitude), got {x.shape[1]}")
        bad = np.flatnonzero((np.abs(x[:, 1]) > 90) | (np.abs(x[:, 0]) > 360))
        if bad.size:
            raise KernelError(
                f"location {str(norm_ids[bad[0]])!r} has longitude {float(x[bad[0], 0])!r}, latitude {float(x[bad[0], 1])!r}: "
                "outside [-360, 360] x [-90, 90] (are the columns swapped?)"
            )
        distances = haversine(x)
    else:
        distances = squareform(pdist(x))
    if lengthscale is None:
        positive = distances[np.triu_indices_from(distances, 1)]
        positive = positive[positive > 0]
        if positive.size == 0:
            raise KernelError("all locations coincide; pass lengthscale explicitly")
        lengthscale = float(np.median(positive))
    elif not (isinstance(lengthscale, (int, float)) and np.isfinite(lengthscale) and lengthscale > 0):
        raise KernelError(f"lengthscale must be a finite number > 0, got {lengthscale!r}")
    matrix = _covariance(distances / float(lengthscale), cov)
    unit = " km (great-circle)" if lonlat else ""
    return Kernel(
        matrix, norm_ids, name, scale=scale, psd=psd, _owned=True,
        source=f"spatial({cov}, lengthscale {lengthscale:.4g}{unit})",
    )
