"""QQ and Manhattan plots of a scan; each returns a matplotlib Figure."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy import stats

from bayeslmm.errors import DataError
from bayeslmm.gwas.genotypes import chromosome_sort_key

__all__ = ["qq_plot", "manhattan_plot", "GENOME_WIDE", "SUGGESTIVE"]

GENOME_WIDE = 5e-8
SUGGESTIVE = 1e-5


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _pvalues(p: Any) -> np.ndarray:
    values = np.asarray(p, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise DataError("no finite p-value to plot")
    return np.clip(values, np.finfo(float).tiny, 1.0)


def qq_plot(p: Any, *, lambda_gc: float | None = None, ax: Axes | None = None, title: str | None = None,
            band: float = 0.95) -> Figure:
    """Observed against expected -log10 p under the uniform null, with lambda_GC printed.

    Parameters
    ----------
    p : array_like
        p-values (NaN ignored).
    lambda_gc : float, optional
        Printed on the plot; default: computed from ``p`` as median chi-square / 0.4549.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of a new Figure.
    title : str, optional
    band : float
        Pointwise interval of the order statistics under the null (Beta(i, m - i + 1)),
        drawn in grey; 0 for none.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = qq_plot(np.random.default_rng(0).uniform(size=1000))
    >>> fig.axes[0].get_xlabel()
    'expected -log10(p)'
    """
    values = np.sort(_pvalues(p))
    m = values.size
    if lambda_gc is None:
        lambda_gc = float(np.median(stats.chi2.isf(values, 1)) / stats.chi2.ppf(0.5, 1))
    rank = np.arange(1, m + 1)
    expected = -np.log10((rank - 0.5) / m)
    fig, ax = _axes(ax, (5.0, 5.0))
    if band:
        tail = (1.0 - band) / 2.0
        lower = -np.log10(stats.beta.ppf(1.0 - tail, rank, m - rank + 1))
        upper = -np.log10(stats.beta.ppf(tail, rank, m - rank + 1))
        ax.fill_between(expected, lower, upper, color="0.85", lw=0, label=f"{band:.0%} null band")
    ax.scatter(expected, -np.log10(values), s=6, color="C0", rasterized=m > 5000)
    top = expected[0]
    ax.plot([0, top], [0, top], color="C3", lw=1)
    ax.set_xlabel("expected -log10(p)")
    ax.set_ylabel("observed -log10(p)")
    ax.text(0.05, 0.95, f"$\\lambda_{{GC}}$ = {lambda_gc:.3f}", transform=ax.transAxes, va="top", fontsize=11)
    if title:
        ax.set_title(title)
    return fig


def manhattan_plot(table: pd.DataFrame, *, genome_wide: float = GENOME_WIDE, suggestive: float | None = SUGGESTIVE,
                   ax: Axes | None = None, title: str | None = None) -> Figure:
    """-log10 p along the genome, chromosomes in natural order, with significance lines.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``chromosome``, ``position`` (may be missing: SNP order is used) and ``p``.
    genome_wide : float
        Genome-wide significance threshold (red dashed line), default 5e-8.
    suggestive : float or None
        Suggestive threshold (blue dotted line), default 1e-5; None for no line.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> table = pd.DataFrame({"chromosome": ["1"] * 50 + ["2"] * 50, "position": list(range(1, 51)) * 2,
    ...                       "p": np.random.default_rng(0).uniform(size=100)})
    >>> [t.get_text() for t in manhattan_plot(table).axes[0].get_xticklabels()]
    ['1', '2']
    """
    missing = {"chromosome", "position", "p"} - set(table.columns)
    if missing:
        raise DataError(f"manhattan_plot needs columns {sorted(missing)}; the table has {list(table.columns)}")
    frame = table[["chromosome", "position", "p"]].copy()
    frame = frame[np.isfinite(frame["p"].to_numpy(dtype=float))]
    if frame.empty:
        raise DataError("no finite p-value to plot")
    fig, ax = _axes(ax, (11.0, 4.0))
    chroms = sorted(frame["chromosome"].astype(str).unique(), key=chromosome_sort_key)
    offset, ticks = 0.0, []
    for k, chrom in enumerate(chroms):
        part = frame[frame["chromosome"].astype(str) == chrom]
        pos = part["position"].to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(pos).any():
            pos = np.arange(1, len(part) + 1, dtype=float)
        start, span = pos.min(), max(pos.max() - pos.min(), 1.0)
        x = offset + (pos - start)
        ax.scatter(x, -np.log10(np.clip(part["p"].to_numpy(dtype=float), np.finfo(float).tiny, 1.0)), s=4,
                   color=("C0" if k % 2 == 0 else "0.45"), rasterized=len(part) > 5000)
        ticks.append(offset + span / 2.0)
        offset += span * 1.02 + 1.0
    ax.axhline(-np.log10(genome_wide), color="C3", ls="--", lw=1, label=f"genome-wide {genome_wide:g}")
    if suggestive:
        ax.axhline(-np.log10(suggestive), color="C0", ls=":", lw=1, label=f"suggestive {suggestive:g}")
    ax.set_xticks(ticks, chroms)
    ax.set_xlim(-0.01 * offset, offset)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("chromosome")
    ax.set_ylabel("-log10(p)")
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    return fig
