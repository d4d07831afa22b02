"""A posterior report: one self-contained HTML page, the summary table and the posterior.

``fit.report("out/")`` writes

- ``report.html``: the model (formula, family, kernels with size, scaling and PSD handling,
  priors, strategy and why), the data (rows used, rows dropped and why), fixed effects,
  variance components and proportions, diagnostics with plain-language verdicts, LOO,
  and the figures of :mod:`bayeslmm.results.plots` embedded as base64 PNG, so the page
  can be mailed or archived as one file;
- ``figures/*.png``: the same figures as files;
- ``summary.csv``: :meth:`~bayeslmm.Fit.summary`;
- ``posterior.nc``: :meth:`~bayeslmm.Fit.save` (reload with :func:`bayeslmm.load`).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import warnings
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from .diagnostics import BFMI_MIN, ESS_MIN_PER_CHAIN, RHAT_MAX

__all__ = ["write_report", "SECTIONS", "ReportFigureWarning"]

SECTIONS = {
    "model": "Model",
    "data": "Data",
    "fixed-effects": "Fixed effects",
    "variance": "Variance components",
    "diagnostics": "Diagnostics",
    "loo": "Predictive accuracy (LOO)",
    "ppc": "Posterior predictive check",
    "random-effects": "Random effects",
    "files": "Files",
}
"""Section ids of the page and their headings, in order."""

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1d2330; background: #f5f6f8; margin: 0; line-height: 1.45; font-size: 15px; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 60px; background: #fff;
       box-shadow: 0 0 12px rgba(0,0,0,.06); }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.3em; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #e3e6ec; }
h3 { font-size: 1.05em; margin: 20px 0 8px; color: #34405a; }
code, .formula { font-family: "SFMono-Regular", Menlo, Consolas, monospace; font-size: .93em; }
.formula { background: #f0f2f6; padding: 8px 12px; border-radius: 6px; display: block; margin: 8px 0;
           overflow-x: auto; }
.meta { color: #5b6478; font-size: .9em; }
.description { margin: 10px 0; }
nav { margin: 14px 0 6px; font-size: .92em; }
nav a { margin-right: 14px; color: #2b59c3; text-decoration: none; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: .88em; }
.scroll { overflow-x: auto; max-width: 100%; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e8ee; text-align: right; vertical-align: top; }
th { background: #f0f2f6; font-weight: 600; }
td.text, th.text { text-align: left; }
tbody tr:nth-child(even) { background: #fafbfc; }
.kv th { text-align: left; width: 190px; background: none; color: #5b6478; font-weight: 500; }
.kv td { text-align: left; }
.verdict { padding: 10px 14px; border-radius: 6px; margin: 12px 0; font-weight: 600; }
.verdict.ok { background: #e7f5ea; color: #1e6b35; border-left: 5px solid #2e9e4f; }
.verdict.bad { background: #fdf0e4; color: #8a4a0b; border-left: 5px solid #e08a1e; }
ul.checks { list-style: none; padding-left: 0; }
ul.checks li { margin: 6px 0; padding-left: 28px; position: relative; }
ul.checks li::before { position: absolute; left: 0; font-weight: 700; }
ul.checks li.pass::before { content: "\\2713"; color: #2e9e4f; }
ul.checks li.fail::before { content: "\\26A0"; color: #e08a1e; }
figure { margin: 14px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eceef2; border-radius: 4px; }
figcaption { color: #5b6478; font-size: .88em; margin-top: 4px; }
.note { color: #5b6478; font-size: .9em; }
.missing { background: #fff6e0; padding: 8px 12px; border-radius: 6px; }
details summary { cursor: pointer; color: #2b59c3; margin: 6px 0; }
"""


class ReportFigureWarning(UserWarning):
    """A figure of the report could not be drawn; the page says so in its place."""


# -- small HTML helpers -----------------------------------------------------------------------
def _esc(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.3e}"
        return f"{v:.4g}" if abs(v) >= 100 else f"{v:.3f}"
    return str(value)


def _table(frame: pd.DataFrame, index_name: str | None = None, text_columns: tuple[str, ...] = ()) -> str:
    """An HTML table with numbers formatted for reading; text columns left-aligned."""
    if frame is None or len(frame) == 0:
        return '<p class="note">none</p>'
    head = [f'<th class="text">{_esc(index_name or frame.index.name or "")}</th>']
    for col in frame.columns:
        cls = ' class="text"' if col in text_columns or not pd.api.types.is_numeric_dtype(frame[col]) else ""
        head.append(f"<th{cls}>{_esc(col)}</th>")
    text = [col in text_columns or not pd.api.types.is_numeric_dtype(frame[col]) for col in frame.columns]
    columns = [frame[col].tolist() for col in frame.columns]
    rows = []
    for i, idx in enumerate(frame.index):
        label = " / ".join(map(str, idx)) if isinstance(idx, tuple) else idx
        cells = [f'<td class="text">{_esc(label)}</td>']
        for is_text, values in zip(text, columns):
            value = _esc(_fmt(values[i]))
            cells.append(f'<td class="text">{value}</td>' if is_text else f"<td>{value}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table><thead><tr>{"".join(head)}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _kv(pairs: list[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def _figure_html(name: str, draw: Callable[[], Any], caption: str, out_dir: Path | None) -> str:
    """Render a figure to PNG, embed it as base64 and optionally write it to ``out_dir``."""
    try:
        fig = draw()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
    except Exception as err:  # a figure must not take the whole report down; the page says why
        warnings.warn(f"figure {name!r} could not be drawn: {type(err).__name__}: {err}", ReportFigureWarning,
                      stacklevel=3)
        return (f'<figure class="missing" data-figure="{_esc(name)}"><p>Figure <b>{_esc(name)}</b> could not be '
                f"drawn: {_esc(type(err).__name__)}: {_esc(err)}</p></figure>")
    data = buf.getvalue()
    if out_dir is not None:
        (out_dir / f"{name}.png").write_bytes(data)
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<figure data-figure="{_esc(name)}"><img alt="{_esc(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


# -- sections -----------------------------------------------------------------------------------
def _formula(fit: Any) -> str:
    f = fit.model.formula
    return f if isinstance(f, str) else "; ".join(map(str, f))


def _model_section(fit: Any) -> str:
    spec = fit.spec
    attrs = fit.idata.attrs
    pairs = [
        ("formula", f'<code>{_esc(_formula(fit))}</code>'),
        ("family", _esc(f"{spec.family.name} (link {spec.family.link})")),
        ("response", f"<code>{_esc(spec.response)}</code>"),
        ("variance components", _esc(", ".join(spec.components))),
        ("likelihood strategy", f"<b>{_esc(attrs.get('strategy', fit.strategy.name))}</b>: "
                                f"{_esc(attrs.get('strategy_reason', fit.strategy.reason))}"),
        ("sampler", _esc(f"{attrs.get('sampler')}: {attrs.get('chains')} chains x {attrs.get('draws')} draws "
                         f"after {attrs.get('tune')} tuning steps, seed {attrs.get('seed')}")),
    ]
    parts = [_kv(pairs)]
    if spec.kernels:
        rows = []
        for name, kernel in spec.kernels.items():
            d = kernel.describe()
            rows.append({"kernel": name, "ids": int(d["n"]), "built by": d.get("source", ""),
                         "scaling": (f"divided by {float(d['scale']):.4g} (mean diagonal 1)"
                                     if float(d.get("scale", 1.0)) != 1.0 else "none (mean diagonal as given)"),
                         "PSD handling": d.get("psd", ""),
                         "rank": d.get("rank", d.get("factor_columns", ""))})
        frame = pd.DataFrame(rows).set_index("kernel")
        frame["rank"] = frame["rank"].astype(str)
        text = ("built by", "scaling", "PSD handling", "rank")
        parts.append("<h3>Kernels</h3>" + _table(frame, "kernel", text_columns=text))
    prior_table = fit.model.priors.table()
    parts.append("<h3>Priors</h3>" + _table(prior_table, "parameter", text_columns=tuple(prior_table.columns)))
    return "".join(parts)


def _int_if_whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def _data_section(fit: Any, truth: Mapping[str, Any] | None) -> str:
    spec = fit.spec
    missing = fit.dropped_rows
    pairs = [("rows used", _fmt(missing.n_used)), ("rows given", _fmt(missing.n_input)),
             ("rows dropped", _esc("none" if missing.n_dropped == 0 else missing.describe()))]
    parts = [_kv(pairs)]
    if missing.by_column:
        frame = pd.DataFrame({"missing values": missing.by_column}).rename_axis("column")
        parts.append("<h3>Why rows were dropped</h3>" + _table(frame, "column")
                     + '<p class="note">A row is dropped when any column the model uses is missing there; '
                       "a row can count in several columns.</p>")
    rows = []
    for term in spec.terms:
        with_data = int(np.unique(term.index).size)
        per_level = np.bincount(term.index)[np.unique(term.index)]
        rows.append({"term": f"({term.formula.expr} | {term.group})", "levels with data": with_data,
                     "levels in model": int(term.n_levels),
                     "rows per level (median)": _int_if_whole(np.median(per_level))})
    if rows:
        parts.append("<h3>Grouping</h3>" + _table(pd.DataFrame(rows).set_index("term"), "term"))
        if any(t.kernel for t in spec.terms):
            parts.append('<p class="note">For a kernel term every id of the kernel is a level; ids without '
                         "data get effects predicted from their relatives.</p>")
    if truth:
        frame = pd.DataFrame({"value": {str(k): _fmt(v) for k, v in truth.items()}}).rename_axis("quantity")
        parts.append("<h3>Simulation truth</h3><p>The data were simulated; these are the values used, to "
                     "compare with the estimates below.</p>" + _table(frame, "quantity", text_columns=("value",)))
    return "".join(parts)


def _fixed_section(fit: Any, prob: float) -> str:
    fe = fit.fixed_effects(prob)
    if not len(fe):
        return '<p class="note">The model has no fixed effects.</p>'
    return (_table(fe, "coefficient")
            + f'<p class="note">Posterior mean, sd and {prob:.0%} highest-density interval.</p>')


def _variance_section(fit: Any, prob: float, labels: Mapping[str, str] | None, fig_dir: Path | None) -> str:
    from .plots import component_labels, proportion_densities, variance_decomposition

    vc = fit.variance_components(prob)
    names = component_labels(fit, labels)
    vc = vc.copy()
    vc.insert(0, "label", [names.get(i, i) for i in vc.index])
    scale = vc.pop("scale").iloc[0] if "scale" in vc.columns else ""
    parts = [_table(vc, "component", text_columns=("label", "group", "term", "kernel")),
             f'<p class="note">Scale: {_esc(scale)}. variance and sd are posterior means; proportion is the '
             f"posterior mean share of the total variance with its {prob:.0%} interval.</p>"]
    corr = fit.correlations(prob)
    if len(corr):
        parts.append("<h3>Correlations of random coefficients</h3>"
                     + _table(corr, "correlation", text_columns=("group",)))
    sigma = getattr(fit.spec, "sigma", None)
    if sigma is not None and hasattr(fit, "residual_sd"):
        parts.append(f"<h3>Residual sd by <code>{_esc(sigma.formula)}</code></h3>"
                     + _table(fit.residual_sd(prob=prob), "pattern")
                     + '<p class="note">The Residual row above is the reference pattern; each row here is the '
                       "residual sd of one pattern of the sigma formula.</p>")
    parts.append(_figure_html("variance", lambda: variance_decomposition(fit, prob, labels),
                              "Shares of the variance: posterior means (bar) and intervals.", fig_dir))
    parts.append(_figure_html("proportions", lambda: proportion_densities(fit, labels, prob),
                              "Posterior densities of the variance shares.", fig_dir))
    return "".join(parts)


def _diagnostic_checks(diag: Any, chains: int) -> list[tuple[bool, str]]:
    table = diag.table
    checks: list[tuple[bool, str]] = []
    rmax = float(table["r_hat"].max())
    worst = table["r_hat"].idxmax()
    if chains < 2:
        checks.append((False, "Only one chain was run, so R-hat cannot compare chains; run at least 2."))
    elif rmax <= RHAT_MAX:
        checks.append((True, f"The chains agree: the largest R-hat is {rmax:.3f} (at most {RHAT_MAX})."))
    else:
        checks.append((False, f"The chains disagree: R-hat reaches {rmax:.3f} for {worst} (above {RHAT_MAX}). "
                              "Do not trust these numbers yet; run longer."))
    need = ESS_MIN_PER_CHAIN * chains
    ess = float(min(table["ess_bulk"].min(), table["ess_tail"].min()))
    low = table.index[(table["ess_bulk"] < need) | (table["ess_tail"] < need)].tolist()
    if not low:
        checks.append((True, f"Enough independent draws: the smallest effective sample size is {ess:.0f} "
                             f"(at least {need}, {ESS_MIN_PER_CHAIN} per chain)."))
    else:
        checks.append((False, f"Too few independent draws for {', '.join(map(str, low[:4]))}"
                              f"{' and others' if len(low) > 4 else ''}: effective sample size down to {ess:.0f} "
                              f"(want {need}). Intervals may move on a rerun; draw more."))
    if diag.divergences == 0:
        checks.append((True, "No divergent transitions: the sampler explored the posterior without trouble."))
    else:
        checks.append((False, f"{diag.divergences} divergent transitions: parts of the posterior may be missed. "
                              "Raise target_accept or reconsider terms whose variance is near zero."))
    if diag.tree_depth_hits == 0:
        checks.append((True, "No draw hit the maximum tree depth."))
    else:
        checks.append((False, f"{diag.tree_depth_hits} draws hit the maximum tree depth: sampling was slow "
                              "and may be incomplete."))
    bfmi = np.asarray(diag.bfmi)
    if bfmi.size:
        if np.all(bfmi >= BFMI_MIN):
            checks.append((True, f"Energy (E-BFMI {float(bfmi.min()):.2f}, at least {BFMI_MIN}): the variance "
                                 "parameters were explored well."))
        else:
            checks.append((False, f"Low energy (E-BFMI {float(bfmi.min()):.2f} < {BFMI_MIN}): the sampler moved "
                                  "slowly through the variance parameters."))
    return checks


def _diagnostics_section(fit: Any, fig_dir: Path | None) -> tuple[str, str]:
    from .plots import rank, trace

    diag = fit.diagnostics()
    chains = int(fit.idata.posterior.sizes["chain"])
    checks = _diagnostic_checks(diag, chains)
    ok = all(p for p, _ in checks)
    banner = ('<div class="verdict ok">All sampling checks pass: the summaries below can be used.</div>' if ok else
              f'<div class="verdict bad">{sum(not p for p, _ in checks)} sampling check(s) failed: read the '
              "diagnostics before using these numbers.</div>")
    items = "".join(f'<li class="{"pass" if p else "fail"}">{_esc(text)}</li>' for p, text in checks)
    parts = [banner, f'<ul class="checks">{items}</ul>']
    if diag.problems:
        advice = "".join(f"<li>{_esc(p)}</li>" for p in diag.problems)
        parts.append(f"<h3>What to do</h3><ul>{advice}</ul>")
    parts.append("<details><summary>R-hat and effective sample size of every quantity</summary>"
                 + _table(diag.table, "quantity") + "</details>")
    parts.append(_figure_html("trace", lambda: trace(fit), "Trace and density of each chain.", fig_dir))
    parts.append(_figure_html("rank", lambda: rank(fit), "Rank plots: flat histograms mean the chains agree.", fig_dir))
    return banner, "".join(parts)


def _loo_section(fit: Any, max_draws: int | None) -> str:
    if not hasattr(fit, "loo"):
        return '<p class="missing">LOO not available: this version of bayeslmm has no <code>Fit.loo()</code>.</p>'
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = fit.loo(max_draws=max_draws)
    except Exception as err:  # the report states why LOO is missing instead of failing
        return (f'<p class="missing">LOO not available: {_esc(type(err).__name__)}: {_esc(err)}</p>')
    notes = [str(w.message) for w in caught if "loo" in type(w.message).__name__.lower()
             or "pareto" in str(w.message).lower()]
    parts = []
    if hasattr(result, "to_frame"):
        frame = result.to_frame()
        text = tuple(c for c in frame.columns if c in ("kind", "method"))
        parts.append(_table(frame, "criterion", text_columns=text))
        kind = getattr(result, "kind", None)
        if kind is not None:
            try:
                from .criteria import KINDS

                parts.append(f"<p>Kind shown: <b>{_esc(kind)}</b> ({_esc(KINDS.get(kind, ''))}).</p>")
            except ImportError:
                parts.append(f"<p>Kind shown: <b>{_esc(kind)}</b>.</p>")
        bad = getattr(result, "bad_k", None)
        if bad is not None:
            thr = getattr(result, "k_threshold", 0.7)
            verdict = ": their LOO terms are unreliable." if len(bad) else ": the estimate is reliable."
            parts.append(f"<p>{len(bad)} of {getattr(result, 'n_obs', '?')} observations have Pareto k above "
                         f"{float(thr):.2f}{verdict}</p>")
    elif isinstance(result, pd.DataFrame):
        parts.append(_table(result))
    else:
        parts.append(f"<pre>{_esc(result)}</pre>")
    for note in notes:
        parts.append(f'<p class="note">{_esc(note)}</p>')
    thinned = f"The report uses at most {max_draws} draws (every k-th of each chain); " if max_draws else ""
    parts.append('<p class="note">elpd: expected log predictive density of a left-out observation, summed; '
                 "higher is better when comparing models fitted to the same data. "
                 f"{thinned}<code>fit.loo()</code> computes it from the full posterior.</p>")
    return "".join(parts)


def _random_effects_section(fit: Any, prob: float, fig_dir: Path | None) -> str:
    from .plots import caterpillar, correlation, shrinkage

    spec = fit.spec
    if not spec.terms:
        return '<p class="note">The model has no random effects.</p>'
    parts = []
    for i, term in enumerate(spec.terms):
        parts.append(f"<h3>({_esc(term.formula.expr)} | {_esc(term.group)})</h3>")
        for c, coef in enumerate(term.columns):
            parts.append(_figure_html(
                f"caterpillar_{i}_{c}", lambda t=term, cf=coef: caterpillar(fit, t.group, cf, prob),
                f"Every level's {coef} effect, sorted, with its {prob:.0%} interval.", fig_dir))
        parts.append(_figure_html(
            f"shrinkage_{i}", lambda t=term: shrinkage(fit, t.group),
            "Raw per-level estimates against posterior means: partial pooling pulls levels with little data "
            "towards 0.", fig_dir))
        if len(term.columns) > 1:
            parts.append(_figure_html(
                f"correlation_{i}", lambda t=term: correlation(fit, t.group),
                "Per-level coefficients and the posterior of their correlation.", fig_dir))
    return "".join(parts)


# -- the page -------------------------------------------------------------------------------------
def write_report(
    fit: Any,
    directory: str | Path,
    *,
    title: str | None = None,
    description: str | None = None,
    truth: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    prob: float = 0.94,
    loo_draws: int | None = 400,
) -> Path:
    """Write the report of ``fit`` into ``directory`` (created if needed).

    Parameters
    ----------
    fit
        A :class:`~bayeslmm.Fit`.
    directory
        Output folder; ``report.html``, ``summary.csv``, ``posterior.nc`` and ``figures/``
        are written there (existing files of those names are replaced).
    title, description
        Heading and a paragraph under it (e.g. what the analysis is for).
    truth
        Known values used to simulate the data, listed next to the data summary.
    labels
        Display labels of variance components (see
        :func:`bayeslmm.results.plots.component_labels`).
    prob
        Probability of every interval.
    loo_draws
        Posterior draws used for LOO (every k-th of each chain; ``None``: as
        :meth:`~bayeslmm.Fit.loo` decides). The marginal LOO of a kernel model costs one
        :math:`O(n^3)` solve per draw, so the report caps it; 400 draws are enough for
        Pareto-smoothed importance sampling, and the page says how many were used.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    fit.summary(prob).to_csv(out / "summary.csv", index_label="quantity")
    fit.save(str(out / "posterior.nc"))

    from .plots import ppc

    banner, diagnostics = _diagnostics_section(fit, fig_dir)
    body = {
        "model": _model_section(fit),
        "data": _data_section(fit, truth),
        "fixed-effects": _fixed_section(fit, prob),
        "variance": _variance_section(fit, prob, labels, fig_dir),
        "diagnostics": diagnostics,
        "loo": _loo_section(fit, loo_draws),
        "ppc": _figure_html("ppc", lambda: ppc(fit), "Replicated data from the posterior predictive "
                            "distribution against the observed response.", fig_dir),
        "random-effects": _random_effects_section(fit, prob, fig_dir),
        "files": _files_section(out),
    }
    page = _page(fit, title, description, banner, body)
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def _files_section(out: Path) -> str:
    return ("<ul><li><code>report.html</code>: this page (figures embedded).</li>"
            "<li><code>summary.csv</code>: every reported quantity with mean, sd, interval, R-hat and ESS.</li>"
            "<li><code>posterior.nc</code>: the posterior, data, kernels and model definition as NetCDF; "
            "reload with <code>bayeslmm.load(\"posterior.nc\")</code>.</li>"
            "<li><code>figures/</code>: the figures as PNG files.</li></ul>"
            f'<p class="note">Written to {_esc(out.resolve())}.</p>')


def _page(fit: Any, title: str | None, description: str | None, banner: str, body: dict[str, str]) -> str:
    from .. import __version__

    attrs = fit.idata.attrs
    heading = title or f"Posterior report: {_formula(fit)}"
    now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#{k}">{_esc(v)}</a>' for k, v in SECTIONS.items())
    sections = "".join(f'<section id="{k}"><h2>{_esc(SECTIONS[k])}</h2>{body[k]}</section>' for k in SECTIONS)
    desc = f'<p class="description">{_esc(description)}</p>' if description else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_esc(heading)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{_esc(heading)}</h1>"
        f'<p class="meta">bayeslmm {_esc(__version__)} &middot; written {now} &middot; fitted '
        f"{_esc(attrs.get('created_at', ''))}</p>{desc}"
        f'<code class="formula">{_esc(_formula(fit))}</code>{banner}<nav>{nav}</nav>{sections}'
        "</main></body></html>\n"
    )
