"""Every ArviZ call bayeslmm makes, in one place, so a move to ArviZ 1 stays local."""

from __future__ import annotations

import warnings
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["summary", "draws", "rhat", "ess", "loo", "waic", "loo_from_loglik", "waic_from_loglik", "compare",
           "to_netcdf", "from_netcdf", "bfmi", "set_term_effects", "set_pointwise_loglik"]


def summary(idata: Any, var_names: list[str], hdi_prob: float) -> pd.DataFrame:
    """Posterior mean, sd, highest-density interval, r_hat and ESS of ``var_names``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.summary(idata, var_names=var_names, hdi_prob=hdi_prob, kind="all", round_to="none")


def draws(idata: Any, name: str, group: str = "posterior") -> np.ndarray:
    """Draws of ``name`` as an array ``(chains * draws, *shape)``."""
    da = idata[group][name]
    values = da.values
    return values.reshape((-1,) + values.shape[2:])


def rhat(idata: Any, var_names: list[str]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.rhat(idata, var_names=var_names)


def ess(idata: Any, var_names: list[str], method: str = "bulk") -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.ess(idata, var_names=var_names, method=method)


def bfmi(idata: Any) -> np.ndarray:
    """Energy Bayesian fraction of missing information per chain."""
    return np.atleast_1d(az.bfmi(idata))


def loo(idata: Any, pointwise: bool = True) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.loo(idata, pointwise=pointwise)


def waic(idata: Any, pointwise: bool = True) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.waic(idata, pointwise=pointwise)


def _loglik_idata(values: np.ndarray) -> Any:
    """InferenceData holding ``(S, n)`` pointwise log densities as one chain."""
    values = np.asarray(values, dtype=float)
    return az.from_dict(log_likelihood={"y": values[None]}, dims={"y": ["obs"]})


def loo_from_loglik(values: np.ndarray, reff: float) -> Any:
    """PSIS-LOO (``ELPDData``) from ``(S, n)`` pointwise log densities and a relative efficiency."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.loo(_loglik_idata(values), pointwise=True, reff=reff, scale="log")


def waic_from_loglik(values: np.ndarray) -> Any:
    """WAIC (``ELPDData``) from ``(S, n)`` pointwise log densities."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.waic(_loglik_idata(values), pointwise=True, scale="log")


def compare(elpds: dict[str, Any], ic: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.compare(elpds, ic=ic)


def to_netcdf(idata: Any, path: str) -> None:
    idata.to_netcdf(path, engine="h5netcdf")


def from_netcdf(path: str) -> Any:
    return az.from_netcdf(path, engine="h5netcdf")


def from_dict(**groups: Any) -> Any:
    return az.from_dict(**groups)


def from_groups(groups: dict[str, Any]) -> Any:
    """InferenceData from ``{group name: xarray.Dataset}``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return az.InferenceData(**groups)


def with_groups(idata: Any, groups: dict[str, Any]) -> Any:
    """A copy of ``idata`` with extra (custom) groups added."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = idata.copy()
        out.add_groups(groups)
    return out


def without_groups(idata: Any, prefix: str) -> Any:
    """A copy of ``idata`` without the groups whose name starts with ``prefix``."""
    keep = {g: idata[g] for g in idata.groups() if not g.startswith(prefix)}
    out = az.InferenceData(**keep)
    out.attrs.update(idata.attrs) if hasattr(out, "attrs") and hasattr(idata, "attrs") else None
    return out


def set_term_effects(idata: Any, key: str, levels: list, columns: list, values: np.ndarray) -> None:
    """Store a term's effect draws ``values`` (S, J, q) as ``posterior["u_<key>"]`` (chain, draw, level, coef)."""
    post = idata.posterior
    dims = ("chain", "draw", f"{key}_level", f"{key}_coef")
    post[f"u_{key}"] = xr.DataArray(
        values.reshape(post.sizes["chain"], post.sizes["draw"], *values.shape[1:]), dims=dims,
        coords={"chain": post["chain"], "draw": post["draw"], dims[2]: list(levels), dims[3]: list(columns)})


def set_pointwise_loglik(idata: Any, values: np.ndarray) -> None:
    """Store the pointwise log-likelihood ``values`` (S, n) as ``log_likelihood["y"]`` (chain, draw, obs)."""
    post = idata.posterior
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    pointwise = xr.Dataset({"y": (("chain", "draw", "obs"), values.reshape(chains, draws, values.shape[1]))},
                           coords={"chain": post["chain"], "draw": post["draw"], "obs": np.arange(values.shape[1])})
    if "log_likelihood" in idata.groups():
        idata.log_likelihood["y"] = pointwise["y"]
    else:
        idata.add_groups(log_likelihood=pointwise)
