"""Posterior tables: the summary, fixed effects, variance components, correlations and
random effects, with rows named as users write the model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import SpecError
from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm
from . import arviz_bridge as azb

__all__ = [
    "summary_table",
    "fixed_effects_table",
    "variance_table",
    "correlation_table",
    "random_effects_table",
    "interval",
    "quantity_draws",
]


def interval(values: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Highest-density interval of ``values`` along axis 0 (one mode assumed).

    Notes
    -----
    The shortest window containing ``ceil(prob * S)`` sorted draws. For a variance at the
    boundary (a proportion near 0) it reaches down to the smallest draws, unlike a central
    interval.
    """
    x = np.sort(np.asarray(values, dtype=float), axis=0)
    s = x.shape[0]
    k = max(1, int(np.ceil(prob * s)))
    if k >= s:
        return x[0], x[-1]
    widths = x[k - 1 :] - x[: s - k + 1]
    start = np.argmin(widths, axis=0)
    lower = np.take_along_axis(x, start[None, ...], axis=0)[0]
    upper = np.take_along_axis(x, (start + k - 1)[None, ...], axis=0)[0]
    return lower, upper


def _describe(values: np.ndarray, prob: float) -> dict[str, Any]:
    lower, upper = interval(values, prob)
    return {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)),
            "lower": float(lower), "upper": float(upper)}


def quantity_draws(spec: ModelSpec, idata: Any) -> dict[str, np.ndarray]:
    """Draws ``(chain, draw)`` of every reported quantity under its readable name.

    Names: fixed-effect columns (``"Days"``), ``"sd(1|Subject)"``,
    ``"proportion(1|Subject)"``, ``"sigma"`` (residual sd), ``"tau"``,
    ``"cor(Intercept,Days|Subject)"`` and ``"lengthscale(gp(x, y))"``; ``"nu"``,
    ``"alpha"``, ``"sigma:<column>"`` (log-sd coefficients of a sigma formula) and, for
    families without a residual, ``"latent_proportion(1|herd)"`` (latent-scale ICC / h²).
    """
    post = idata.posterior
    out: dict[str, np.ndarray] = {}
    if spec.fixed_columns:
        b = post["b"].values
        for j, c in enumerate(spec.fixed_columns):
            out[c] = b[..., j]
    sd = post["sd"].values
    prop = post["proportions"].values
    for k, comp in enumerate(spec.components):
        if comp == "Residual":
            out["sigma"] = sd[..., k]
        else:
            out[f"sd({comp})"] = sd[..., k]
    for k, comp in enumerate(spec.components):
        if len(spec.components) > 1:
            out[f"proportion({comp})"] = prop[..., k]
    out["tau"] = post["tau"].values
    for field in spec.gp_terms:
        out[f"lengthscale({field.label})"] = post[f"ls_{field.key}"].values
    for term in spec.terms:
        if term.correlated:
            corr = post[f"corr_{term.key}"].values
            for i, j, name in _pairs(term):
                out[name] = corr[..., i, j]
    for extra in ("nu", "alpha"):
        if extra in post:
            out[extra] = post[extra].values
    if spec.sigma is not None:
        gamma = post["b_sigma"].values
        for j, name in enumerate(spec.sigma.prior_names):
            out[name] = gamma[..., j]
    if not spec.family.has_residual and spec.components:  # ICC / h² on the latent scale
        from .latent_scale import latent_proportion_draws

        latent = latent_proportion_draws(spec, idata).reshape(prop.shape)
        for k, comp in enumerate(spec.components):
            out[f"latent_proportion({comp})"] = latent[..., k]
    return out


def _pairs(term: GroupTerm) -> list[tuple[int, int, str]]:
    from ..backend.common import correlation_names

    return correlation_names(term)


def summary_table(spec: ModelSpec, idata: Any, prob: float) -> pd.DataFrame:
    """Every reported quantity: mean, sd, interval, r_hat, bulk and tail ESS."""
    draws = quantity_draws(spec, idata)
    import xarray as xr

    ds = xr.Dataset({name: (("chain", "draw"), v) for name, v in draws.items()})
    table = azb.summary(ds, var_names=list(draws), hdi_prob=prob)
    lo, hi = table.columns[2], table.columns[3]
    table = table.rename(columns={lo: "lower", hi: "upper"})
    return table[["mean", "sd", "lower", "upper", "r_hat", "ess_bulk", "ess_tail"]]


def fixed_effects_table(spec: ModelSpec, idata: Any, prob: float) -> pd.DataFrame:
    """Posterior of the fixed effects, index = design column names."""
    if not spec.fixed_columns:
        return pd.DataFrame(columns=["mean", "sd", "lower", "upper"])
    b = azb.draws(idata, "b")
    rows = {c: _describe(b[:, j], prob) for j, c in enumerate(spec.fixed_columns)}
    return pd.DataFrame.from_dict(rows, orient="index")


def variance_table(spec: ModelSpec, idata: Any, prob: float, scale: str | None = None) -> pd.DataFrame:
    """One row per variance component plus ``Residual``.

    Columns ``group``, ``term``, ``kernel``, ``variance``, ``sd``, ``proportion``,
    ``proportion_lower``, ``proportion_upper`` (posterior means and the ``prob`` interval)
    and ``scale`` (``"response"`` for Gaussian families). Families without a residual add
    ``latent_proportion*`` columns and a ``Distribution`` row (see
    :mod:`~bayeslmm.results.latent_scale`). With a sigma formula the ``Residual`` row is the
    reference pattern (term ``"reference"``); ``Fit.residual_sd()`` has every pattern.
    """
    sd = azb.draws(idata, "sd")
    prop = azb.draws(idata, "proportions")
    rows = []
    labels = []
    for term in spec.terms:
        for c, comp in zip(term.columns, term.components):
            k = spec.components.index(comp)
            rows.append(_component_row(term.group, "Intercept" if c == "Intercept" else c, term.kernel,
                                       sd[:, k], prop[:, k], prob))
            labels.append(comp)
    for field in spec.gp_terms:  # group: the term; term: its covariance function
        k = spec.components.index(field.label)
        rows.append(_component_row(field.label, field.cov, None, sd[:, k], prop[:, k], prob))
        labels.append(field.label)
    if spec.family.has_residual:
        k = len(spec.components) - 1
        term = "" if spec.sigma is None else "reference"
        rows.append(_component_row("Residual", term, None, sd[:, k], prop[:, k], prob))
        labels.append("Residual")
    table = pd.DataFrame(rows, index=labels)
    table["scale"] = scale or ("response" if spec.family.has_residual else "latent (link)")
    if not spec.family.has_residual and spec.components:
        from .latent_scale import add_latent_scale

        table = add_latent_scale(table, spec, idata, prob)
    return table


def _component_row(group, term, kernel, sd, prop, prob) -> dict[str, Any]:
    lower, upper = interval(prop, prob)
    return {"group": group, "term": term, "kernel": kernel, "variance": float(np.mean(sd**2)),
            "sd": float(np.mean(sd)), "proportion": float(np.mean(prop)),
            "proportion_lower": float(lower), "proportion_upper": float(upper)}


def correlation_table(spec: ModelSpec, idata: Any, prob: float) -> pd.DataFrame:
    """Correlations of random intercepts and slopes (one row per pair)."""
    rows = {}
    for term in spec.terms:
        if term.correlated:
            corr = azb.draws(idata, f"corr_{term.key}")
            for i, j, name in _pairs(term):
                rows[name] = {"group": term.group, **_describe(corr[:, i, j], prob)}
    return pd.DataFrame.from_dict(rows, orient="index")


def find_term(spec: ModelSpec, group: str) -> list[GroupTerm]:
    """Terms whose group label, grouping column or key is ``group``."""
    found = [t for t in spec.terms if group in (t.group, t.key, ":".join(t.formula.factors))]
    if not found:
        raise SpecError(f"no random effect grouped by {group!r}; groups are {[t.group for t in spec.terms]}")
    return found


def random_effects_table(term: GroupTerm, u: np.ndarray, prob: float) -> pd.DataFrame:
    """Posterior mean, sd and interval of each level's effects; ``u`` is ``(S, J, q)``."""
    lower, upper = interval(u, prob)
    frames = []
    for c, col in enumerate(term.columns):
        frames.append(pd.DataFrame({
            "level": term.levels, "term": col, "mean": u[:, :, c].mean(axis=0),
            "sd": u[:, :, c].std(axis=0, ddof=1), "lower": lower[:, c], "upper": upper[:, c],
        }))
    table = pd.concat(frames, ignore_index=True)
    if len(term.columns) == 1:
        return table.drop(columns="term").set_index("level")
    return table.set_index(["level", "term"]).sort_index(level=0, sort_remaining=False)
