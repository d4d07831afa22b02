"""Plots of a fit: variance decomposition, proportions, trace, rank, posterior predictive
check, caterpillar, shrinkage and random-effect correlations.

Every function takes a :class:`~bayeslmm.Fit` and returns a ``matplotlib.figure.Figure``
built without ``pyplot``: no GUI backend is touched, nothing is kept in pyplot's figure
registry, and the functions work under the ``Agg`` backend in scripts and pipelines. In a
notebook the returned Figure displays itself; ``fig.savefig(path)`` writes it.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from matplotlib.figure import Figure

from ..errors import SpecError
from .gp_plots import gp_map
from .tables import interval, quantity_draws

__all__ = [
    "PLOTS",
    "plot",
    "component_labels",
    "proportion_draws",
    "variance_decomposition",
    "proportion_densities",
    "trace",
    "rank",
    "ppc",
    "caterpillar",
    "shrinkage",
    "correlation",
]

DEFAULT_PROB = 0.94
_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C",
           "#CCB974", "#64B5CD"]
_RESIDUAL_COLOR = "#BBBBBB"
_GENOMIC_NAMES = {"g", "a", "k", "grm", "kinship", "genomic", "ped", "pedigree", "nrm", "amat", "gmat"}
_MICROBIOME_NAMES = {"m", "mb", "micro", "microbiome", "microbiota", "otu", "asv", "taxa"}
_GENOMIC_SOURCES = ("grm(", "pedigree(", "loco(")
_MICROBIOME_SOURCES = ("microbiome(",)
_DISCRETE = ("bernoulli", "binomial", "poisson", "negativebinomial")


# -- labels and proportion draws -----------------------------------------------------------
def _kernel_kind(name: str, kernel: Any) -> str | None:
    """``"genomic"``, ``"microbiome"`` or ``None`` from a kernel's builder or its name."""
    source = str(getattr(kernel, "source", "") or "")
    if source.startswith(_GENOMIC_SOURCES):
        return "genomic"
    if source.startswith(_MICROBIOME_SOURCES):
        return "microbiome"
    names = {str(name).lower(), str(getattr(kernel, "name", "") or "").lower()}
    if names & _GENOMIC_NAMES:
        return "genomic"
    if names & _MICROBIOME_NAMES:
        return "microbiome"
    return None


def component_labels(fit: Any, labels: Mapping[str, str] | None = None) -> dict[str, str]:
    """Display label of every variance component, keyed by component (``"1|Subject"``).

    Parameters
    ----------
    fit
        A :class:`~bayeslmm.Fit`.
    labels
        Overrides, keyed by a component label (``"1|gr(id, cov=G)"``), a kernel name
        (``"G"``) or a grouping label (``"Subject"``); the first match wins in that order.

    Returns
    -------
    dict
        ``component -> label``. The random intercept of a kernel term is labelled ``h²``
        when the kernel is genomic or a pedigree and ``m²`` when it is a microbiome kernel;
        other components keep their names. Several ``h²`` components get the kernel name
        added (``"h² (A)"``, ``"h² (G)"``).

    Notes
    -----
    A kernel is genomic when it was built by :func:`~bayeslmm.kernels.grm`,
    :func:`~bayeslmm.kernels.pedigree` or :func:`~bayeslmm.kernels.loco` (its ``source``),
    or, for kernels read from a file, when its name is one of ``G``, ``A``, ``K``, ``GRM``,
    ``kinship``, ``genomic``, ``ped``, ``pedigree`` (case-insensitive). It is a microbiome
    kernel when built by :func:`~bayeslmm.kernels.microbiome` or named ``M``, ``microbiome``,
    ``micro``, ``mb``, ``otu``, ``asv`` or ``taxa``. A Hadamard product ``G o G`` is neither:
    its share is epistatic, not additive, and is labelled by its component name.
    """
    labels = dict(labels or {})
    spec = fit.spec
    out: dict[str, str] = {}
    kinds: dict[str, str | None] = {}
    for term in spec.terms:
        for column, comp in zip(term.columns, term.components):
            kind = None
            if term.kernel is not None and column == "Intercept":
                kind = _kernel_kind(term.kernel, spec.kernels[term.kernel])
            kinds[comp] = kind
            out[comp] = {"genomic": "h²", "microbiome": "m²"}.get(kind or "", comp)
    if spec.family.has_residual:
        out["Residual"] = "Residual"
    for symbol in ("h²", "m²"):
        same = [c for c, v in out.items() if v == symbol]
        if len(same) > 1:
            for c in same:
                term = next(t for t in spec.terms if c in t.components)
                out[c] = f"{symbol} ({term.kernel})"
    for term in spec.terms:
        for comp in term.components:
            for key in (comp, term.kernel, term.group):
                if key is not None and key in labels:
                    out[comp] = labels[key]
                    break
    for field in spec.gp_terms:  # gp() fields keep their label ("gp(x, y)") unless overridden
        out[field.label] = labels.get(field.label, field.label)
    if "Residual" in labels and "Residual" in out:
        out["Residual"] = labels["Residual"]
    return out


def proportion_draws(fit: Any, labels: Mapping[str, str] | None = None) -> tuple[dict[str, np.ndarray], str]:
    """Draws ``(S,)`` of each component's share of the variance, by display label.

    Returns
    -------
    draws, scale
        ``draws`` maps labels (see :func:`component_labels`) to draws; ``scale`` says on
        which scale the shares are (``"response scale"`` or ``"latent scale, ..."``).

    Notes
    -----
    Families with a residual (Gaussian, Student-t): the sampled proportions
    :math:`\\pi_k` of :math:`\\tau^2`. Families without one (binomial, Poisson, ...):
    latent-scale shares :math:`\\pi_k \\tau^2 / (\\tau^2 + v_d)` with the
    distribution-specific variance :math:`v_d` of
    :mod:`bayeslmm.results.latent_scale` (:math:`\\pi^2/3` for the logit link, 1 for
    probit, a lognormal approximation for log links; Nakagawa and Schielzeth 2010), shown
    as a separate ``"Distribution"`` share. Under the probit link the share of a
    genomic kernel is the liability-scale heritability.
    """
    from . import arviz_bridge as azb
    from .latent_scale import latent_proportion_draws, link_variance_draws, link_variance_label

    spec = fit.spec
    names = component_labels(fit, labels)
    out: dict[str, np.ndarray] = {}
    if spec.family.has_residual:
        prop = azb.draws(fit.idata, "proportions")
        for k, comp in enumerate(spec.components):
            out[names[comp]] = prop[:, k]
        return out, "response scale"
    latent = latent_proportion_draws(spec, fit.idata)
    for k, comp in enumerate(spec.components):
        out[names[comp]] = latent[:, k]
    vd = link_variance_draws(spec, fit.idata)
    tau2 = azb.draws(fit.idata, "tau") ** 2
    out["Distribution"] = vd / (tau2 + vd)
    return out, f"latent scale, link variance {link_variance_label(spec)}"


def _colors(labels: list[str]) -> dict[str, str]:
    colors, i = {}, 0
    for lab in labels:
        if lab in ("Residual", "Distribution"):
            colors[lab] = _RESIDUAL_COLOR
        else:
            colors[lab] = _COLORS[i % len(_COLORS)]
            i += 1
    return colors


# -- variance -------------------------------------------------------------------------------
def variance_decomposition(fit: Any, prob: float = DEFAULT_PROB, labels: Mapping[str, str] | None = None) -> Figure:
    """Shares of the variance: a stacked bar of posterior means and an interval per share.

    Parameters
    ----------
    fit
        A fitted model.
    prob
        Probability of the highest-density intervals.
    labels
        Display labels (see :func:`component_labels`); genomic and microbiome kernels are
        labelled ``h²`` and ``m²`` by default.

    Notes
    -----
    Top: one bar split by the posterior means of the shares (they sum to 1, being means
    of points on the simplex). Bottom: each share's posterior mean and ``prob`` HDI, so
    the uncertainty hidden by the stacked bar is visible.
    """
    draws, scale = proportion_draws(fit, labels)
    names = list(draws)
    colors = _colors(names)
    means = np.array([draws[n].mean() for n in names])
    fig = Figure(figsize=(8, 1.6 + 0.45 * len(names)), layout="constrained")
    top, bottom = fig.subplots(2, 1, height_ratios=[1, max(1.5, 0.45 * len(names))])
    left = 0.0
    for name, m in zip(names, means):
        top.barh(0, m, left=left, color=colors[name], edgecolor="white", height=0.6)
        if m > 0.07:
            text = f"{name}\n{m:.2f}" if len(name) <= 40 * m else f"{m:.2f}"
            top.text(left + m / 2, 0, text, ha="center", va="center", fontsize=9, color="black")
        left += m
    top.set_xlim(0, 1)
    top.set_yticks([])
    top.set_title(f"Variance decomposition ({scale})", fontsize=11, loc="left")
    for s in ("top", "right", "left"):
        top.spines[s].set_visible(False)
    ys = np.arange(len(names))[::-1]
    for y, name in zip(ys, names):
        lo, hi = interval(draws[name], prob)
        bottom.plot([lo, hi], [y, y], color=colors[name], lw=3, solid_capstyle="round")
        bottom.plot(draws[name].mean(), y, "o", color="black", ms=5)
        note = f"{draws[name].mean():.2f} [{float(lo):.2f}, {float(hi):.2f}]"
        if hi < 0.75:
            bottom.text(float(hi) + 0.015, y, note, va="center", ha="left", fontsize=8)
        else:
            bottom.text(float(lo) - 0.015, y, note, va="center", ha="right", fontsize=8)
    bottom.set_yticks(ys, names)
    bottom.set_xlim(0, 1)
    bottom.set_ylim(-0.7, len(names) - 0.3)
    bottom.set_xlabel(f"share of variance (mean and {prob:.0%} HDI)")
    bottom.grid(axis="x", alpha=0.3)
    return fig


def _kde(x: np.ndarray, grid: np.ndarray, bw: float | None = None) -> np.ndarray:
    """Gaussian kernel density of ``x`` on an evenly spaced ``grid`` (Scott's bandwidth).

    Notes
    -----
    The draws are binned linearly onto the grid and convolved with the Gaussian kernel,
    :math:`O(n + g \\log g)`; scipy's ``gaussian_kde`` costs :math:`O(n g)` and was 20 ms
    per curve here, too slow for a predictive check with 60 curves.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    step = float(grid[1] - grid[0])
    out = np.zeros(len(grid))
    if x.size == 0:
        return out
    sd = float(np.std(x))
    if sd <= 0:
        out[int(np.clip(np.rint((x[0] - grid[0]) / step), 0, len(grid) - 1))] = 1.0 / step
        return out
    bw = max(bw if bw is not None else 1.06 * sd * x.size ** (-1 / 5), step)
    pos = (x - grid[0]) / step
    left = np.floor(pos).astype(int)
    frac = pos - left
    counts = np.zeros(len(grid) + 2)
    np.add.at(counts, np.clip(left, -1, len(grid)) + 1, 1 - frac)
    np.add.at(counts, np.clip(left + 1, -1, len(grid)) + 1, frac)
    counts = counts[1:-1]
    half = int(np.ceil(4 * bw / step))
    offsets = np.arange(-half, half + 1) * step
    kernel = np.exp(-0.5 * (offsets / bw) ** 2) / (bw * np.sqrt(2 * np.pi))
    return np.convolve(counts, kernel)[half : half + len(grid)] / x.size


def _kde01(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Kernel density on [0, 1] (``grid`` spans [0, 1]), reflected at both ends so mass
    near a boundary stays inside: :math:`\\hat f(x) = k(x) + k(-x) + k(2 - x)`."""
    step = float(grid[1] - grid[0])
    ext = np.arange(-0.5, 1.5 + step / 2, step)
    dens = _kde(x, ext)
    return np.interp(grid, ext, dens) + np.interp(-grid, ext, dens) + np.interp(2.0 - grid, ext, dens)


def proportion_densities(fit: Any, labels: Mapping[str, str] | None = None, prob: float = DEFAULT_PROB) -> Figure:
    """Posterior density of each variance share (h², m², ICC, residual share) on [0, 1].

    Notes
    -----
    Gaussian kernel density with reflection at 0 and 1,
    :math:`\\hat f(x) = k(x) + k(-x) + k(2 - x)`, so a share piled up near a boundary is
    not drawn leaking outside [0, 1]. The shaded band is the ``prob`` HDI.
    """
    draws, scale = proportion_draws(fit, labels)
    colors = _colors(list(draws))
    grid = np.linspace(0, 1, 401)
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    for name, x in draws.items():
        dens = _kde01(x, grid)
        ax.plot(grid, dens, color=colors[name], lw=2, label=f"{name}: {x.mean():.2f}")
        lo, hi = interval(x, prob)
        band = (grid >= lo) & (grid <= hi)
        ax.fill_between(grid[band], dens[band], color=colors[name], alpha=0.15)
    ax.set_xlim(0, 1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"share of variance ({scale})")
    ax.set_ylabel("posterior density")
    ax.set_title(f"Posterior of the variance shares (shaded: {prob:.0%} HDI)", fontsize=11, loc="left")
    ax.legend(frameon=False, fontsize=9)
    return fig


# -- sampler ----------------------------------------------------------------------------------
def _trace_vars(fit: Any, var_names: list[str] | None, max_vars: int) -> dict[str, np.ndarray]:
    q = quantity_draws(fit.spec, fit.idata)
    if var_names is None:
        keep = [k for k in q if k != "tau" and not k.startswith("proportion(")]
        keep += [k for k in q if k.startswith("proportion(")]
        var_names = keep[:max_vars]
    unknown = [v for v in var_names if v not in q]
    if unknown:
        raise SpecError(f"unknown quantities {unknown}; plot one of {list(q)}")
    return {v: q[v] for v in var_names}


def trace(fit: Any, var_names: list[str] | None = None, max_vars: int = 10) -> Figure:
    """Trace of each chain (left) and each chain's density (right) for the main quantities.

    ``var_names`` uses the names of :meth:`~bayeslmm.Fit.summary` (``"Days"``,
    ``"sd(1|Subject)"``, ``"sigma"``, ``"proportion(Residual)"``, ...); by default fixed
    effects, standard deviations, correlations and proportions, at most ``max_vars``.
    Chains that wander apart or stick show up here before R-hat flags them.
    """
    q = _trace_vars(fit, var_names, max_vars)
    height = 1.5 * len(q) + 0.8
    fig = Figure(figsize=(10, height))
    axes = np.atleast_2d(fig.subplots(len(q), 2, width_ratios=[3, 1], squeeze=False))
    fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.55 / height, bottom=0.45 / height, hspace=0.55, wspace=0.05)
    for row, (name, x) in zip(axes, q.items()):
        lo, hi = np.quantile(x, [0.001, 0.999])
        pad = 0.1 * (hi - lo) if hi > lo else 1.0
        grid = np.linspace(lo - pad, hi + pad, 200)
        for c in range(x.shape[0]):
            color = _COLORS[c % len(_COLORS)]
            row[0].plot(x[c], lw=0.6, alpha=0.8, color=color)
            if np.ptp(x[c]) > 0:
                row[1].plot(_kde(x[c], grid), grid, lw=1.2, color=color)
        row[0].set_title(name, fontsize=8, loc="left", pad=2)
        row[0].tick_params(labelsize=7)
        row[1].tick_params(labelsize=7)
        row[1].set_yticks([])
        row[1].set_ylim(row[0].get_ylim())
    axes[-1, 0].set_xlabel("draw (after tuning)")
    fig.suptitle("Trace per chain (left) and density per chain (right)", fontsize=11, x=0.06, ha="left",
                 y=1 - 0.1 / height)
    return fig


def rank(fit: Any, var_names: list[str] | None = None, max_vars: int = 10, bins: int = 20) -> Figure:
    """Rank plots: histograms of each chain's draws ranked among all chains.

    Notes
    -----
    Vehtari et al. (2021): rank all draws of a quantity jointly, then histogram each
    chain's ranks. When the chains sample the same distribution every histogram is flat
    around the dashed line :math:`S_c / \\text{bins}`; a chain stuck high or low tilts.
    """
    from scipy.stats import rankdata

    q = _trace_vars(fit, var_names, max_vars)
    ncol = 2 if len(q) > 1 else 1
    nrow = int(np.ceil(len(q) / ncol))
    height = 1.7 * nrow + 0.8
    fig = Figure(figsize=(10, height))
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False).ravel())
    fig.subplots_adjust(left=0.03, right=0.98, top=1 - 0.6 / height, bottom=0.35 / height, hspace=0.5, wspace=0.08)
    for ax, (name, x) in zip(axes, q.items()):
        chains, draws = x.shape
        ranks = rankdata(x.ravel()).reshape(x.shape)
        edges = np.linspace(0, chains * draws, bins + 1)
        for c in range(chains):
            counts, _ = np.histogram(ranks[c], bins=edges)
            ax.stairs(counts + c * 2.2 * draws / bins, edges, baseline=c * 2.2 * draws / bins,
                      fill=True, alpha=0.7, color=_COLORS[c % len(_COLORS)])
            ax.axhline(c * 2.2 * draws / bins + draws / bins, color="black", ls="--", lw=0.7)
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    for ax in axes[len(q):]:
        ax.set_visible(False)
    fig.suptitle("Rank plots (one row per chain; flat = chains agree)", fontsize=11, x=0.03, ha="left",
                 y=1 - 0.1 / height)
    return fig


# -- posterior predictive check -------------------------------------------------------------
def ppc(fit: Any, n_draws: int = 60, seed: int = 0) -> Figure:
    """Posterior predictive check: replicated data sets against the observed response.

    Replicates come from ``fit.predict(kind="response", return_draws=True)`` on the data
    used in fitting (random effects of the fitted levels included). Continuous families:
    densities of ``n_draws`` replicates (thin) against the observed density (black).
    Discrete families: observed frequency of each value (bars) against the replicates'
    median and 94% interval.
    """
    yrep = np.asarray(fit.predict(kind="response", return_draws=True, seed=seed))
    y = np.asarray(fit.spec.y, dtype=float)
    rng = np.random.default_rng(seed)
    pick = rng.choice(yrep.shape[0], size=min(n_draws, yrep.shape[0]), replace=False)
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    if fit.spec.family.name in _DISCRETE:
        _ppc_discrete(ax, y, yrep)
    else:
        _ppc_density(ax, y, yrep[pick])
    ax.set_title(f"Posterior predictive check ({fit.spec.response}, {len(y)} rows)", fontsize=11, loc="left")
    return fig


def _ppc_density(ax: Any, y: np.ndarray, yrep: np.ndarray) -> None:
    lo, hi = np.quantile(np.concatenate([y, yrep.ravel()]), [0.002, 0.998])
    pad = 0.05 * (hi - lo)
    grid = np.linspace(lo - pad, hi + pad, 300)
    for i, row in enumerate(yrep):
        if np.ptp(row) > 0:
            ax.plot(grid, _kde(row, grid), color=_COLORS[0], alpha=0.15, lw=0.8,
                    label="replicated (posterior predictive)" if i == 0 else None)
    ax.plot(grid, _kde(y, grid), color="black", lw=2, label="observed")
    ax.set_xlabel("response")
    ax.set_ylabel("density")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=9)


def _ppc_discrete(ax: Any, y: np.ndarray, yrep: np.ndarray) -> None:
    top = int(min(max(y.max(), np.quantile(yrep, 0.99)), y.max() + 30))
    values = np.arange(0, top + 1)
    obs = np.array([(y == v).mean() for v in values])
    rep = np.stack([(yrep == v).mean(axis=1) for v in values], axis=1)
    med = np.median(rep, axis=0)
    lo, hi = np.quantile(rep, [0.03, 0.97], axis=0)
    ax.bar(values, obs, color="#999999", width=0.8, label="observed")
    ax.errorbar(values, med, yerr=[med - lo, hi - med], fmt="o", color=_COLORS[0], ms=4, capsize=3,
                label="replicated: median and 94% interval")
    ax.set_xlabel("response value")
    ax.set_ylabel("share of rows")
    if len(values) <= 15:
        ax.set_xticks(values)
    ax.legend(frameon=False, fontsize=9)


# -- random effects -----------------------------------------------------------------------------
def _term(fit: Any, group: str | None):
    from .tables import find_term

    if not fit.spec.terms:
        raise SpecError("the model has no random effects to plot")
    if group is None:
        return fit.spec.terms[0]
    terms = find_term(fit.spec, group)
    return terms[0]


def _coef_index(term: Any, coef: str | None) -> int:
    if coef is None:
        return 0
    if coef not in term.columns:
        raise SpecError(f"term ({term.formula.expr} | {term.group}) has no coefficient {coef!r}; "
                        f"it has {list(term.columns)}")
    return term.columns.index(coef)


def caterpillar(fit: Any, group: str | None = None, coef: str | None = None, prob: float = DEFAULT_PROB,
                label_limit: int = 60) -> Figure:
    """Posterior mean and ``prob`` HDI of every level's effect, sorted.

    Parameters
    ----------
    group
        Grouping label (``"Subject"``, ``"gr(id, cov=G)"``) or column; default the first term.
    coef
        Which coefficient of the term (``"Intercept"``, ``"Days"``); default the first.
    label_limit
        Level names are written when there are at most this many levels.
    """
    term = _term(fit, group)
    c = _coef_index(term, coef)
    u = fit.effect_draws(term)[:, :, c]
    mean = u.mean(axis=0)
    lo, hi = interval(u, prob)
    order = np.argsort(mean)
    J = len(order)
    fig = Figure(figsize=(7, min(2.0 + 0.16 * J, 12) if J <= label_limit else 5), layout="constrained")
    ax = fig.subplots()
    ypos = np.arange(J)
    ax.hlines(ypos, lo[order], hi[order], color=_COLORS[0], lw=1.2 if J <= 200 else 0.5, alpha=0.8)
    ax.plot(mean[order], ypos, "o", color="black", ms=3 if J <= 200 else 1)
    ax.axvline(0, color="grey", ls="--", lw=0.8)
    if J <= label_limit:
        ax.set_yticks(ypos, np.asarray(term.levels)[order], fontsize=7)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{J} levels, sorted")
    ax.set_ylim(-1, J)
    ax.set_xlabel(f"effect ({term.columns[c]}; mean and {prob:.0%} HDI)")
    ax.set_title(f"Random effects: {term.columns[c]} | {term.group}", fontsize=11, loc="left")
    return fig


def _raw_effects(fit: Any, term: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per level: least-squares coefficients of the fixed-effect residuals on the term's
    columns (the group mean for an intercept), and the number of rows.

    Non-identity links work on the empirical link scale of each level's mean.
    """
    spec = fit.spec
    fe = fit.fixed_effects()
    b = fe["mean"].to_numpy() if len(fe) else np.zeros(0)
    eta_fixed = spec.X @ b if len(b) else np.zeros(spec.n)
    q = len(term.columns)
    raw = np.full((term.n_levels, q), np.nan)
    counts = np.bincount(term.index, minlength=term.n_levels)
    y = np.asarray(spec.y, dtype=float)
    link = spec.family.link
    for j in np.flatnonzero(counts):
        rows = term.index == j
        if link == "identity":
            target = y[rows] - eta_fixed[rows]
        else:
            if q > 1:
                continue
            target = np.array([_empirical_link(y[rows], spec, rows, link)]) - eta_fixed[rows].mean()
            raw[j, 0] = target[0]
            continue
        Z = term.Z[rows]
        if rows.sum() < q:
            continue
        coef, *_ = np.linalg.lstsq(Z, target, rcond=None)
        raw[j] = coef
    return raw, counts


def _empirical_link(y: np.ndarray, spec: Any, rows: np.ndarray, link: str) -> float:
    from scipy.stats import norm

    if spec.trials is not None:
        p = (y.sum() + 0.5) / (spec.trials[rows].sum() + 1.0)
    else:
        p = (y.sum() + 0.5) / (len(y) + 1.0)
    if link == "logit":
        return float(np.log(p / (1 - p)))
    if link == "probit":
        return float(norm.ppf(p))
    return float(np.log((y.sum() + 0.5) / len(y)))


def shrinkage(fit: Any, group: str | None = None, coef: str | None = None) -> Figure:
    """Raw per-level estimates against posterior means: how far each level is pulled to 0.

    Notes
    -----
    Raw estimate of level :math:`j`: least squares of :math:`y - X\\bar b` on the term's
    columns within the level (the mean residual for a random intercept; on the empirical
    link scale for non-Gaussian families). Points on the dashed identity line are not
    shrunk; points on the horizontal axis are shrunk completely. Levels with few rows
    (small markers) are shrunk more, which is partial pooling at work.
    """
    term = _term(fit, group)
    c = _coef_index(term, coef)
    raw, counts = _raw_effects(fit, term)
    post = fit.effect_draws(term)[:, :, c].mean(axis=0)
    keep = np.isfinite(raw[:, c])
    fig = Figure(figsize=(6.5, 5), layout="constrained")
    ax = fig.subplots()
    if not keep.any():
        ax.text(0.5, 0.5, "no level has enough rows for a raw estimate", ha="center", transform=ax.transAxes)
        return fig
    x, yv, n = raw[keep, c], post[keep], counts[keep]
    size = 30.0 if n.max() == n.min() else 12 + 60 * (n - n.min()) / (n.max() - n.min())
    ax.scatter(x, yv, s=size, color=_COLORS[0], alpha=0.7, edgecolor="white", lw=0.5)
    lim = max(np.abs(x).max(), np.abs(yv).max()) * 1.08
    ax.plot([-lim, lim], [-lim, lim], ls="--", color="grey", lw=1, label="no shrinkage (y = x)")
    ax.axhline(0, color="black", lw=0.6)
    slope = float(np.polyfit(x, yv, 1)[0]) if len(x) > 2 and np.ptp(x) > 0 else float("nan")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("raw estimate (per-level residual fit)")
    ax.set_ylabel("posterior mean")
    ax.set_title(f"Shrinkage: {term.columns[c]} | {term.group} (slope {slope:.2f})", fontsize=11, loc="left")
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    return fig


def correlation(fit: Any, group: str | None = None, coefs: tuple[str, str] | None = None) -> Figure:
    """Random intercepts against slopes per level, and the posterior of their correlation.

    Left: posterior means of two coefficients of each level. Right (correlated terms
    only): posterior density of the correlation parameter of the LKJ prior's matrix.
    """
    term = _term(fit, group) if group is not None else next(
        (t for t in fit.spec.terms if len(t.columns) > 1), None)
    if term is None or len(term.columns) < 2:
        raise SpecError("correlation plot needs a term with at least two coefficients, e.g. (1 + t | g)")
    i, j = (0, 1) if coefs is None else (_coef_index(term, coefs[0]), _coef_index(term, coefs[1]))
    u = fit.effect_draws(term).mean(axis=0)
    fig = Figure(figsize=(10, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.scatter(u[:, i], u[:, j], s=14, color=_COLORS[0], alpha=0.7)
    left.axhline(0, color="grey", lw=0.6)
    left.axvline(0, color="grey", lw=0.6)
    left.set_xlabel(f"{term.columns[i]} effect (posterior mean)")
    left.set_ylabel(f"{term.columns[j]} effect (posterior mean)")
    left.set_title(f"Per level of {term.group}", fontsize=10, loc="left")
    if term.correlated:
        from . import arviz_bridge as azb

        r = azb.draws(fit.idata, f"corr_{term.key}")[:, i, j]
        grid = np.linspace(-1, 1, 401)
        dens = _kde01((r + 1) / 2, (grid + 1) / 2) / 2
        right.plot(grid, dens, color=_COLORS[1], lw=2)
        lo, hi = interval(r, DEFAULT_PROB)
        band = (grid >= lo) & (grid <= hi)
        right.fill_between(grid[band], dens[band], color=_COLORS[1], alpha=0.2)
        right.axvline(0, color="grey", lw=0.6)
        right.set_xlim(-1, 1)
        right.set_ylim(bottom=0)
        right.set_xlabel(f"cor({term.columns[i]}, {term.columns[j]})")
        right.set_title(f"Posterior: mean {r.mean():.2f}, 94% HDI [{float(lo):.2f}, {float(hi):.2f}]",
                        fontsize=10, loc="left")
    else:
        right.text(0.5, 0.5, "uncorrelated term (||): no correlation parameter", ha="center", va="center",
                   transform=right.transAxes)
        right.set_axis_off()
    return fig


PLOTS: dict[str, Callable[..., Figure]] = {
    "variance": variance_decomposition,
    "proportions": proportion_densities,
    "trace": trace,
    "rank": rank,
    "ppc": ppc,
    "caterpillar": caterpillar,
    "shrinkage": shrinkage,
    "correlation": correlation,
    "gp_map": gp_map,
}


def plot(fit: Any, kind: str, **kwargs: Any) -> Figure:
    """Dispatch ``fit.plot(kind, **kwargs)`` to the plot function named ``kind``."""
    if kind not in PLOTS:
        raise SpecError(f"unknown plot kind {kind!r}; use one of {sorted(PLOTS)}")
    return PLOTS[kind](fit, **kwargs)
