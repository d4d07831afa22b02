"""Map of a ``gp()`` field: posterior mean and posterior sd over the study region.

Built without ``pyplot`` (a bare :class:`matplotlib.figure.Figure`), like
:mod:`bayeslmm.results.plots`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..errors import SpecError
from .effects import draw_subset
from .gp_predict import field_at, find_field
from .tables import interval

__all__ = ["field_grid", "gp_map"]

DEFAULT_PROB = 0.94


def field_grid(fit: Any, term: Any, grid: int, level: Any = None) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """New rows on a regular grid over the data's bounding box (coordinates in data units).

    A factor ``by`` is set to ``level`` (default: its first level); a numeric ``by`` to 1, so
    the map shows the field itself.
    """
    data = fit.spec.data
    axes = [np.linspace(data[c].min(), data[c].max(), grid) for c in term.call.columns]
    mesh = np.meshgrid(*axes)
    frame = pd.DataFrame({c: m.ravel() for c, m in zip(term.call.columns, mesh)})
    if term.by_kind == "factor":
        if level is None:
            level = term.by_levels[0]
        if str(level) not in term.by_levels:
            raise SpecError(f"level {level!r} of {term.call.by!r} is not in the data; "
                            f"levels are {list(term.by_levels)}")
        frame[term.call.by] = str(level)
    elif term.by_kind == "numeric":
        frame[term.call.by] = 1.0
    return frame, mesh


def gp_map(fit: Any, term: str | None = None, level: Any = None, grid: int = 40, max_draws: int = 100,
           prob: float = DEFAULT_PROB, points: bool = True, seed: int = 0) -> Figure:
    """Posterior mean and sd of a ``gp()`` field on a grid over the data (kriging).

    Parameters
    ----------
    fit
        A :class:`~bayeslmm.Fit` with a ``gp()`` term.
    term
        Label (``"gp(x, y)"``) or key of the term; default the first.
    level
        Level of a factor ``by`` to map (default its first level).
    grid
        Points per coordinate (``grid**2`` locations in two dimensions).
    max_draws
        Posterior draws used (evenly spaced).
    prob
        Interval shown in one dimension.
    points
        Mark the data locations.

    Returns
    -------
    matplotlib.figure.Figure
        Two dimensions: two panels, the posterior mean (diverging colours centred on 0) and
        the posterior sd, with the data locations. One dimension: the mean with its
        interval, and the sd.

    Notes
    -----
    The field only: fixed effects and other random effects are left out. The sd is small
    near data and grows towards the prior sd :math:`\\sigma` away from them.
    """
    spec = fit.spec
    field = find_field(spec, term)
    frame, mesh = field_grid(fit, field, grid, level)
    draws = fit.field_draws(field)
    picks = draws.positions[draw_subset(draws.size, max_draws)]
    values = field_at(spec, draws, frame, picks, np.random.default_rng(seed))
    mean, sd = values.mean(axis=0), values.std(axis=0, ddof=1)
    fig = Figure(figsize=(11, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    title = field.label + (f", {field.call.by} = {frame[field.call.by].iloc[0]}" if field.by_kind == "factor" else "")
    cols = field.call.columns
    if field.dim == 1:
        x = frame[cols[0]].to_numpy()
        lo, hi = interval(values, prob)
        left.fill_between(x, lo, hi, alpha=0.25, color="#4C72B0", label=f"{int(prob * 100)}% interval")
        left.plot(x, mean, color="#4C72B0", lw=2, label="posterior mean")
        left.axhline(0, color="grey", lw=0.6)
        right.plot(x, sd, color="#DD8452", lw=2)
        if points:
            for ax in (left, right):
                ax.plot(spec.data[cols[0]], np.full(spec.n, ax.get_ylim()[0]), "|", color="k", alpha=0.4)
        left.legend(loc="best", fontsize=8)
        for ax in (left, right):
            ax.set_xlabel(cols[0])
    else:
        shape = mesh[0].shape
        limit = float(np.max(np.abs(mean))) or 1.0
        im = left.pcolormesh(mesh[0], mesh[1], mean.reshape(shape), cmap="RdBu_r", vmin=-limit, vmax=limit,
                             shading="auto")
        fig.colorbar(im, ax=left, label="posterior mean")
        im = right.pcolormesh(mesh[0], mesh[1], sd.reshape(shape), cmap="viridis", shading="auto")
        fig.colorbar(im, ax=right, label="posterior sd")
        for ax in (left, right):
            if points:
                ax.scatter(spec.data[cols[0]], spec.data[cols[1]], s=3, c="k", alpha=0.35, linewidths=0)
            ax.set_xlabel(cols[0])
            ax.set_ylabel(cols[1])
            ax.set_aspect("equal" if field.origin is None else 1.0 / np.cos(np.radians(field.origin[1])))
    left.set_title(f"{title}: posterior mean", fontsize=10, loc="left")
    right.set_title(f"{title}: posterior sd", fontsize=10, loc="left")
    return fig
