"""Residual sds of a distributional model (``sigma ~ ...``), per row or per covariate pattern."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from . import arviz_bridge as azb

__all__ = ["residual_sd_draws", "residual_sd_table"]


def residual_sd_draws(spec: ModelSpec, idata: Any, newdata: pd.DataFrame | None = None) -> np.ndarray:
    """Draws ``(S, m)`` of the residual sd at ``m`` rows (default: the rows used in fitting).

    Notes
    -----
    :math:`\\sigma_i = \\sigma_{res} \\exp(W_i \\gamma)` with :math:`\\sigma_{res} =
    \\sqrt{\\pi_{res}}\\,\\tau`; without a sigma formula every row has :math:`\\sigma_{res}`.
    """
    if not spec.family.has_residual:
        raise SpecError(f"family {spec.family.name!r} has no residual sd")
    base = azb.draws(idata, "sd")[:, len(spec.components) - 1]
    rows = spec.n if newdata is None else len(newdata)
    if spec.sigma is None:
        return np.repeat(base[:, None], rows, axis=1)
    W = spec.sigma.W if newdata is None else spec.sigma.matrix(newdata)
    gamma = azb.draws(idata, "b_sigma")
    return base[:, None] * np.exp(gamma @ W.T)


def _patterns(spec: ModelSpec) -> pd.DataFrame:
    """Distinct values of the sigma formula's columns in the data, sorted."""
    cols = list(spec.sigma.data_columns)
    return spec.data[cols].drop_duplicates().sort_values(cols).reset_index(drop=True)


def residual_sd_table(spec: ModelSpec, idata: Any, prob: float, newdata: pd.DataFrame | None = None) -> pd.DataFrame:
    """Posterior residual sd per covariate pattern of the sigma formula.

    Rows: each distinct combination of the sigma formula's columns in the data (each level
    of ``group`` for ``sigma ~ group``), or the rows of ``newdata``. Columns: ``sd``
    (posterior mean), ``sd_lower``, ``sd_upper`` (interval), ``variance`` (mean of
    :math:`\\sigma_i^2`), ``proportion``, ``proportion_lower``, ``proportion_upper``: the
    residual share of the total variance at that pattern,
    :math:`\\sigma_i^2 / (\\sum_k \\pi_k\\tau^2 + \\sigma_i^2)` (the random-effect
    variance does not change with the pattern). Without a sigma formula, one row ``"all
    rows"``.
    """
    from .tables import interval

    if newdata is None:
        frame = _patterns(spec) if spec.sigma is not None else pd.DataFrame(index=["all rows"])
        sd = residual_sd_draws(spec, idata, frame if spec.sigma is not None else None)[:, :len(frame)]
    else:
        frame = newdata
        sd = residual_sd_draws(spec, idata, newdata)
    var = sd**2
    prop = azb.draws(idata, "proportions")
    tau2 = azb.draws(idata, "tau") ** 2
    random_var = (1.0 - prop[:, -1]) * tau2
    share = var / (random_var[:, None] + var)
    sd_lo, sd_hi = interval(sd, prob)
    p_lo, p_hi = interval(share, prob)
    table = pd.DataFrame({"sd": sd.mean(axis=0), "sd_lower": sd_lo, "sd_upper": sd_hi,
                          "variance": var.mean(axis=0), "proportion": share.mean(axis=0),
                          "proportion_lower": p_lo, "proportion_upper": p_hi})
    if spec.sigma is not None and newdata is None:
        table.index = pd.MultiIndex.from_frame(frame) if frame.shape[1] > 1 else pd.Index(frame.iloc[:, 0])
    else:
        table.index = frame.index
    return table
