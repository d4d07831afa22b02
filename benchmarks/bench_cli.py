"""Benchmark of the command line and the report (issue 7).

1. ``bayeslmm demo`` end to end in a fresh process (what a new user runs), against the
   2-minute budget; wall and CPU seconds, and the stages (simulation with kernels, model
   build, compile + sampling, report) measured in this process.
2. The report's kernel density estimate (binned, convolved with the Gaussian kernel) against
   ``scipy.stats.gaussian_kde`` on a posterior predictive check's 60 curves.

Prints a table; with ``--write`` puts it under "## Command line and reports (issue 7)" in
docs/benchmarks.md. Run: ``python benchmarks/bench_cli.py --write``
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from _benchmarks_page import cpu_model, write_section

HEADING = "## Command line and reports (issue 7)"
BUDGET_S = 120.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def demo_end_to_end(out: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of ``bayeslmm demo`` in a new process (import included)."""
    exe = Path(sys.executable).with_name("bayeslmm")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "bayeslmm.cli"]
    cpu0, start = _children_cpu(), time.perf_counter()
    run = subprocess.run(cmd + ["demo", "--out", str(out), "--no-progress"], capture_output=True, text=True)
    return time.perf_counter() - start, _children_cpu() - cpu0, run.returncode


def demo_stages(out: Path) -> list[tuple[str, float, float]]:
    """(stage, wall, cpu) of the demo's steps in this process."""
    from bayeslmm.cli import demo_spec
    from bayeslmm.specfile import spec_from_dict

    rows = []

    def step(name, fn):
        c0, w0 = time.process_time(), time.perf_counter()
        value = fn()
        rows.append((name, time.perf_counter() - w0, time.process_time() - c0))
        return value

    spec = step("simulate data, build G and M", lambda: spec_from_dict(demo_spec()))
    model = step("model spec and PyMC graph", lambda: _built(spec))
    s = spec.sampler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = step("compile and sample (4 x 1000 draws)", lambda: model.fit(
            draws=s["draws"], tune=s["tune"], chains=s["chains"], seed=s["seed"], progress=False))
        step("report (figures, LOO, NetCDF)", lambda: fit.report(out, truth=spec.truth))
    return rows


def _built(spec):
    model = spec.model()
    model.build()
    return model


def kde_ratio(repeat: int = 3) -> tuple[float, float]:
    from scipy.stats import gaussian_kde

    from bayeslmm.results.plots import _kde

    rng = np.random.default_rng(0)
    curves = rng.standard_normal((60, 600))
    grid = np.linspace(-4, 4, 300)

    def ours():
        return [_kde(c, grid) for c in curves]

    def scipy_kde():
        return [gaussian_kde(c)(grid) for c in curves]

    best = {}
    for name, fn in (("ours", ours), ("scipy", scipy_kde)):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        best[name] = min(times)
    return best["ours"], best["scipy"]


def machine() -> str:
    name = cpu_model()
    load = os.getloadavg()[0]
    return f"{name}, {os.cpu_count()} cores, load average {load:.1f} at the start"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    where = machine()
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu, rc = demo_end_to_end(Path(tmp) / "demo")
        stages = demo_stages(Path(tmp) / "stages")
    ours, scipy_t = kde_ratio()
    lines = [
        f"`python benchmarks/bench_cli.py --write` on {where}; seconds.",
        "",
        "| what | wall s | CPU s | ratio / note |",
        "| --- | ---: | ---: | --- |",
        f"| `bayeslmm demo` end to end (n = 600, 4 x 1000 draws, new process) | {wall:.1f} | {cpu:.1f} | "
        f"{wall / BUDGET_S:.2f} of the 2-minute budget (exit code {rc}) |",
    ]
    lines += [f"| demo stage: {name} | {w:.1f} | {c:.1f} | |" for name, w, c in stages]
    lines += [f"| KDE of 60 curves x 600 points on 300 grid points: bayeslmm binned | {ours:.3f} | | 1.00 |",
              f"| same with scipy.stats.gaussian_kde | {scipy_t:.3f} | | {scipy_t / ours:.1f} (scipy / ours) |"]
    lines += ["", "Wall seconds depend on other jobs sharing the 2 cores (load average above); CPU seconds do "
              "not. The demo's CPU total is the bound on its wall time on 2 idle cores (nutpie runs the chains in "
              "parallel, so the wall time there is lower)."]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section(HEADING, f"{HEADING}\n\n{table}\n")


if __name__ == "__main__":
    main()
