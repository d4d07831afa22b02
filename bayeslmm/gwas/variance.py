"""Variance components of a scan's null model, one per (LOCO) kernel.

Default ``variance="reml"``: the maximiser of the REML likelihood over h² in the kernel's
eigenbasis (the fixed effects and the total variance profiled out), which is what GCTA,
FaST-LMM and EMMAX plug in. ``variance="posterior"`` fits the Bayesian kernel model
``y ~ covariates + (1 | gr(id, cov=K))`` with NUTS and plugs in the posterior mean of h².
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from bayeslmm.errors import SpecError
from bayeslmm.gwas.gls import NullModel, Rotated, reml_log_likelihood
from bayeslmm.kernels.kernel import Kernel

__all__ = ["VARIANCE_METHODS", "H2_UPPER", "reml_h2", "posterior_h2", "fit_null", "DEFAULT_FIT_OPTIONS"]

VARIANCE_METHODS = ("reml", "posterior")

H2_UPPER = 0.999
"""Upper bound of h² in the search: at h² = 1 the null-space directions of a GRM get zero variance."""

DEFAULT_FIT_OPTIONS: Mapping[str, Any] = {"draws": 500, "tune": 500, "chains": 2, "seed": 0, "progress": False}
"""Sampler settings of ``variance="posterior"`` unless ``fit_options`` overrides them."""

_GRID = 64


def reml_h2(rotated: Rotated, *, grid: int = _GRID) -> tuple[float, float]:
    """REML estimate of h² (and its log-likelihood) for one kernel.

    Parameters
    ----------
    rotated : Rotated
        Response and covariates in the kernel's eigenbasis.
    grid : int
        Points of the initial grid on [0, `H2_UPPER`].

    Returns
    -------
    h2, log_likelihood : float

    Notes
    -----
    The profiled REML log-likelihood :math:`\\ell(h^2)` (see `NullModel.at`) costs
    O(k p²) per evaluation once the data are rotated. It is evaluated on a grid, and the
    best grid point is refined by bounded Brent search between its neighbours (FaST-LMM
    does the same on :math:`\\log \\delta`). The maximiser is also the posterior mode
    of h² under flat priors on h² and the fixed effects and Jeffreys' prior on the total
    variance, because integrating :math:`s^2` out with :math:`p(s^2) \\propto 1/s^2`
    leaves :math:`(y^\\top P y)^{-(n-p)/2}`, the same function of h² as profiling it.
    """
    points = np.linspace(0.0, H2_UPPER, grid)
    values = np.array([reml_log_likelihood(rotated, h) for h in points])
    best = int(np.argmax(values))
    low, high = points[max(best - 1, 0)], points[min(best + 1, grid - 1)]
    result = minimize_scalar(lambda h: -reml_log_likelihood(rotated, h), bounds=(low, high), method="bounded",
                             options={"xatol": 1e-7})
    if result.success and -result.fun >= values[best]:
        return float(result.x), float(-result.fun)
    return float(points[best]), float(values[best])


def posterior_h2(frame: pd.DataFrame, response: str, fixed: str, id_column: str, kernel: Kernel,
                 fit_options: Mapping[str, Any] | None = None) -> float:
    """Posterior mean of the kernel's variance proportion in ``response ~ fixed + (1 | gr(id, cov=K))``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The analysed rows with the response, the covariates and ``id_column``.
    response, fixed : str
        Left-hand side and fixed part of the scan's formula.
    id_column : str
        Column of sample ids (the kernel's ids).
    kernel : Kernel
        The (LOCO) kernel of the null model.
    fit_options : mapping, optional
        Arguments of `bayeslmm.Model.fit`, over `DEFAULT_FIT_OPTIONS`.
    """
    from bayeslmm.model import Model

    options = {**DEFAULT_FIT_OPTIONS, **(fit_options or {})}
    model = Model(f"{response} ~ {fixed} + (1 | gr({id_column}, cov=K))", frame, kernels={"K": kernel})
    table = model.fit(**options).variance_components()
    row = table[table["kernel"] == "K"]
    return float(row["proportion"].iloc[0])


def fit_null(rotated: Rotated, *, method: str, prior_sd: float, h2: float | None = None) -> NullModel:
    """The null model of one kernel: REML h², or a given ``h2`` (the posterior mean)."""
    if method not in VARIANCE_METHODS:
        raise SpecError(f"variance must be one of {VARIANCE_METHODS}, got {method!r}")
    if h2 is None:
        h2, _ = reml_h2(rotated)
    return NullModel.at(rotated, min(max(float(h2), 0.0), H2_UPPER), prior_sd=prior_sd, method=method)
