"""Save a fit to one NetCDF file and load it back, ready to predict again.

The file holds the InferenceData groups, the rows used in fitting (group ``bayeslmm_data``),
each kernel with its low-rank factor if it has one (group ``bayeslmm_kernel_<name>``) and the model definition as JSON in the
attributes. Loading rebuilds the model from these, so ``predict`` works unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..backend.choose import Strategy
from ..errors import DataError
from ..spec.data import MissingReport
from . import arviz_bridge as azb

__all__ = ["save_fit", "load"]

_DATA = "bayeslmm_data"
_KERNEL = "bayeslmm_kernel_"


def _prior_json(priors) -> dict[str, Any]:
    return {k: {"dist": p.dist, "params": {n: np.asarray(v).tolist() for n, v in p.params.items()}, "why": p.why}
            for k, p in priors.priors.items()}


def _data_dataset(data: pd.DataFrame) -> xr.Dataset:
    variables, meta = {}, {}
    for col in data.columns:
        values = data[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            meta[col] = {"categories": [str(c) for c in values.cat.categories], "ordered": bool(values.cat.ordered)}
            values = values.astype(str)
        elif not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            meta[col] = {"string": True}
            values = values.astype(str)
        variables[str(col)] = ("row", values.to_numpy())
    ds = xr.Dataset(variables, coords={"row": np.arange(len(data))})
    ds.attrs["columns"] = json.dumps([str(c) for c in data.columns])
    ds.attrs["meta"] = json.dumps(meta)
    return ds


def _data_frame(ds: xr.Dataset) -> pd.DataFrame:
    columns = json.loads(ds.attrs["columns"])
    meta = json.loads(ds.attrs["meta"])
    frame = pd.DataFrame({c: ds[c].values for c in columns})
    for col, info in meta.items():
        if "categories" in info:
            frame[col] = pd.Categorical(frame[col].astype(str), categories=info["categories"], ordered=info["ordered"])
        else:
            frame[col] = frame[col].astype(str)
    return frame


def save_fit(fit: Any, path: str) -> None:
    """Write ``fit`` to ``path`` (NetCDF via h5netcdf)."""
    idata = fit.idata.copy()
    spec = fit.spec
    idata.attrs["bayeslmm_model"] = json.dumps({
        "formula": fit.model.formula,
        "family": spec.family.name,
        "link": spec.family.link,
        "strategy": fit.strategy.name,
        "strategy_reason": fit.strategy.reason,
        "missing": _missing_json(spec.missing),
        "priors": _prior_json(spec.priors),
        "kernels": {name: {"describe": {k: str(v) for k, v in kern.describe().items()}} for name, kern in spec.kernels.items()},
    })
    groups = {_DATA: _data_dataset(spec.data)}
    for name, kern in spec.kernels.items():
        variables = {"matrix": (("id", "id2"), np.asarray(kern.matrix))}
        if kern.factor is not None:
            variables["factor"] = (("id", "factor_column"), np.asarray(kern.factor))
        ds = xr.Dataset(variables, coords={"id": np.asarray(kern.ids, dtype=str)})
        ds.attrs["scale"] = float(kern.scale)
        ds.attrs["source"] = kern.source
        groups[_KERNEL + name] = ds
    azb.to_netcdf(azb.with_groups(idata, groups), str(path))


def load(path: str):
    """Load a fit written by :meth:`Fit.save`.

    Examples
    --------
    >>> fit = bl.load("fit.nc")  # doctest: +SKIP
    """
    from ..kernels import Kernel
    from ..model import Model
    from ..spec.priors import Prior
    from .fit import Fit

    idata = azb.from_netcdf(str(path))
    if "bayeslmm_model" not in idata.attrs:
        raise DataError(f"{path} was not written by bayeslmm (no 'bayeslmm_model' attribute)")
    info = json.loads(idata.attrs["bayeslmm_model"])
    data = _data_frame(idata[_DATA])
    kernels = {}
    for name in info["kernels"]:
        ds = idata[_KERNEL + name]
        # the saved matrix is already scaled and PSD-checked; the low-rank factor, where the
        # kernel had one, comes back too (latent strategies and effect draws use it)
        factor = ds["factor"].values if "factor" in ds else None
        kernels[name] = Kernel(ds["matrix"].values, ds["id"].values, name=name, scale=False, psd="clip",
                               factor=factor, source=str(ds.attrs.get("source", "matrix")))
    priors = {k: Prior(v["dist"], why=v["why"], **{n: (np.asarray(x) if isinstance(x, list) else x) for n, x in v["params"].items()})
              for k, v in info["priors"].items()}
    model = Model(info["formula"], data, family=info["family"], link=info["link"], priors=priors,
                  kernels=kernels or None, strategy=info["strategy"])
    # the saved rows are already clean: restore the original report and the strategy's reason
    if "missing" in info:
        model.spec = model.spec.update(missing=MissingReport(**{**info["missing"], "dropped_index": tuple(info["missing"]["dropped_index"])}))
    if "strategy_reason" in info:
        model.strategy = Strategy(info["strategy"], info["strategy_reason"])
    return Fit(model, azb.without_groups(idata, prefix="bayeslmm_"))


def _missing_json(report: MissingReport) -> dict[str, Any]:
    """The dropped-rows report as JSON; index labels that JSON cannot hold become strings."""
    labels = [x.item() if isinstance(x, np.generic) else x for x in report.dropped_index]
    labels = [x if isinstance(x, (int, float, str)) else str(x) for x in labels]
    return {"n_input": report.n_input, "n_used": report.n_used, "dropped_index": labels,
            "by_column": {str(k): int(v) for k, v in report.by_column.items()}}
