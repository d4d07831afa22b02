"""The ``bayeslmm`` command: fit a spec file, check one, or run the demo.

::

    bayeslmm fit models/heritability.toml --out reports/h2    # sample, write the report
    bayeslmm validate models/heritability.toml                # check spec and data, build the model
    bayeslmm demo --out demo-report                           # h² + m² on simulated data

Exit codes: 0 success; 1 the run failed (sampler, unexpected error); 2 a bad spec or bad
data, with a message naming the file and the key; 3 with ``--strict``, sampling
diagnostics failed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

__all__ = ["main", "DEMO_N", "demo_spec"]

EXIT_OK, EXIT_FAILED, EXIT_BAD_SPEC, EXIT_DIAGNOSTICS = 0, 1, 2, 3

DEMO_N = 600
"""Individuals in ``bayeslmm demo`` (see :func:`demo_spec` for how it was chosen)."""


def demo_spec(n: int = DEMO_N, seed: int = 2024) -> dict[str, Any]:
    """The spec of ``bayeslmm demo``: heritability plus microbiability on simulated data.

    ``n`` individuals with 1,000 markers and 100 taxa, ``h² = 0.4``, ``m² = 0.2``
    (:func:`bayeslmm.datasets.heritability`), model
    ``y ~ x + (1 | gr(id, cov=G)) + (1 | gr(id, cov=M))``, 4 chains x 1000 draws. ``n = 600``
    keeps the whole run (simulation, kernels, compile, sampling, report) under 2 minutes
    on 2 cores; the time is measured in ``docs/benchmarks.md``.
    """
    return {
        "title": "bayeslmm demo: heritability and microbiability",
        "description": (f"Simulated data: {n} individuals with 1,000 genotyped markers and 100 gut taxa; "
                        "true h² = 0.4 (genomic kernel G) and m² = 0.2 (microbiome kernel M), "
                        "a covariate x with effect 0.5. Do the intervals cover the truth?"),
        "data": {"simulate": "heritability", "args": {"n": n, "m": 1000, "h2": 0.4, "m2": 0.2, "seed": seed},
                 "quick": {"n": min(n, 150), "m": 300}},
        "model": {"formula": "y ~ x + (1 | gr(id, cov=G)) + (1 | gr(id, cov=M))"},
        "kernels": {"G": {"simulated": "G"}, "M": {"simulated": "M"}},
        "sampler": {"draws": 1000, "tune": 500, "chains": 4, "seed": seed},
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bayeslmm", description="Bayesian linear mixed models on structured data.",
        epilog="Exit codes: 0 ok, 1 run failed, 2 bad spec or data, 3 diagnostics failed (--strict).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{fit,validate,demo}")
    fit = sub.add_parser("fit", help="fit a TOML spec and write the report")
    fit.add_argument("spec", help="the spec file (TOML)")
    fit.add_argument("--out", help="report folder (default: [report] out of the spec, else ./<spec name>-report)")
    _common(fit)
    fit.add_argument("--strict", action="store_true", help="exit 3 when a sampling diagnostic fails")
    val = sub.add_parser("validate", help="check a spec and its data and build the model, without sampling")
    val.add_argument("spec", help="the spec file (TOML)")
    val.add_argument("--quick", action="store_true", help="check the quick-mode settings (see fit --quick)")
    demo = sub.add_parser("demo", help="simulate genotypes, microbiome and a phenotype; fit h² and m²; "
                                       "write the report")
    demo.add_argument("--out", default="bayeslmm-demo", help="report folder (default ./bayeslmm-demo)")
    demo.add_argument("--n", type=int, default=DEMO_N, help=f"individuals to simulate (default {DEMO_N})")
    _common(demo)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: small simulated data ([data] quick) and 2 chains x 200 draws "
                             "(also BAYESLMM_QUICK=1)")
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show the sampler's progress bar (default: when the terminal is interactive)")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")


def _say(message: str) -> None:
    print(f"bayeslmm: {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayeslmm`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args)
        if args.command == "fit":
            return _fit_command(args)
        return _demo(args)
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


def _load(args: argparse.Namespace, raw: dict[str, Any] | None = None):
    """Load the spec and build the model; on a bad spec print the error and return None."""
    from .errors import BayesLMMError, SamplingError
    from .specfile import load_spec, quick_requested, spec_from_dict

    quick = quick_requested(args.quick)
    try:
        if raw is not None:
            spec = spec_from_dict(raw, source="<demo>", quick=quick)
        else:
            spec = load_spec(args.spec, quick=quick)
        model = spec.model()
    except SamplingError:
        raise
    except BayesLMMError as err:
        _say(f"error: {err}")
        return None
    return spec, model


def _validate(args: argparse.Namespace) -> int:
    from .errors import BayesLMMError

    loaded = _load(args)
    if loaded is None:
        return EXIT_BAD_SPEC
    spec, model = loaded
    try:
        model.build()
    except BayesLMMError as err:
        _say(f"error: {spec.source}: [model] {err}")
        return EXIT_BAD_SPEC
    s = spec.sampler
    print(f"{spec.source}: valid")
    print(model)
    for name, kernel in model.spec.kernels.items():
        print(f"  kernel {name}: {kernel!r}")
    print(f"  sampler: {s['sampler']}, {s['chains']} chains x {s['draws']} draws (tune {s['tune']}), seed {s['seed']}")
    print("priors:")
    print(model.priors.table().to_string())
    return EXIT_OK


def _fit_command(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if loaded is None:
        return EXIT_BAD_SPEC
    spec, model = loaded
    out = Path(args.out) if args.out else (spec.out or Path.cwd() / f"{Path(spec.source).stem}-report")
    code = _run(spec, model, out, args)
    if code in (EXIT_OK, EXIT_DIAGNOSTICS):
        shutil.copyfile(spec.source, out / "spec.toml")
    return code


def _demo(args: argparse.Namespace) -> int:
    if args.n < 20:
        _say(f"error: --n must be at least 20, got {args.n}")
        return EXIT_BAD_SPEC
    raw = demo_spec(args.n)
    loaded = _load(args, raw)
    if loaded is None:
        return EXIT_BAD_SPEC
    spec, model = loaded
    return _run(spec, model, Path(args.out), args)


def _run(spec: Any, model: Any, out: Path, args: argparse.Namespace) -> int:
    """Sample, print the summary, write the report."""
    from .errors import SamplingError

    s = spec.sampler
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    _say(f"{spec.source}: {model.spec.n} rows ({model.spec.missing.describe()}); strategy {model.strategy}")
    _say(f"sampling: {s['chains']} chains x {s['draws']} draws after {s['tune']} tuning steps "
         f"({s['sampler']} sampler, seed {s['seed']})")
    start = time.perf_counter()
    try:
        fit = model.fit(draws=s["draws"], tune=s["tune"], chains=s["chains"], seed=s["seed"], sampler=s["sampler"],
                        progress=progress, target_accept=s["target_accept"], cores=s["cores"])
    except SamplingError as err:
        _say(f"error: sampling failed: {err}")
        return EXIT_FAILED
    _say(f"sampled in {time.perf_counter() - start:.1f} s; writing the report to {out}")
    from .results.report import ReportFigureWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the report states each problem on the page
        warnings.simplefilter("default", ReportFigureWarning)
        path = fit.report(out, title=spec.title, description=spec.description, truth=spec.truth,
                          labels=spec.labels or None, prob=spec.prob)
    print(fit)
    print(f"\nreport: {path}")
    if getattr(args, "strict", False) and not fit.ok:
        _say("sampling diagnostics failed (--strict): see the Diagnostics section of the report")
        return EXIT_DIAGNOSTICS
    return EXIT_OK


if __name__ == "__main__":  # python -m bayeslmm.cli
    sys.exit(main())
