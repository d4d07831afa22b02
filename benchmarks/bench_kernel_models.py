"""Kernel-model benchmarks (issue 4): bayeslmm's strategies against a dense MvNormal model
in the same process, and the large-n end-to-end goals.

Run: ``python benchmarks/bench_kernel_models.py [--only 1,2,3,4]``. Prints one table per
case; the numbers in docs/benchmarks.md come from this script.

1. n = 500, one GRM: h² ESS/s, spectral (nutpie) vs dense MvNormal (nutpie) -> ratio.
2. n = 10,000, GRM from 5,000 markers, end to end (kernel, model, 4 x 1,000 draws).
3. n = 10,000, a full-rank (spatial Matérn 3/2) kernel, eigendecomposition included.
4. Two kernels (GRM + microbiome) at n = 2,000: wall, ESS_bulk per proportion, divergences.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import bayeslmm as bl
from bayeslmm.results import arviz_bridge as azb

warnings.filterwarnings("ignore")


def _ess(fit, label: str) -> float:
    return float(fit.summary().loc[f"proportion({label})", "ess_bulk"])


def case_dense_vs_spectral(n: int = 500, spectral_repeats: int = 3) -> dict:
    """Spectral fits are timed ``spectral_repeats`` times (seeds 1, 2, ...; the median ESS/s is
    used): their sampling takes under a second, so one run's ESS/s moves with a few ms of
    scheduling. The dense fit takes a minute and runs once."""
    data, kernels = bl.datasets.heritability(n=n, m=2 * n, h2=0.5, taxa=0, seed=1)
    formula = "y ~ x + (1 | gr(id, cov=G))"
    out = {}
    runs = [("spectral", seed, dict(draws=1000, tune=1000, chains=4)) for seed in range(1, spectral_repeats + 1)]
    runs.append(("dense", 1, dict(draws=150, tune=150, chains=2)))
    spectral_rows = []
    for strategy, seed, kw in runs:
        t0 = time.perf_counter()
        fit = bl.Model(formula, data, kernels=kernels, strategy=strategy).fit(seed=seed, progress=False, **kw)
        wall = time.perf_counter() - t0
        ess = _ess(fit, "1|gr(id, cov=G)")
        samp = fit.idata.attrs.get("sampling_seconds", wall)
        row = {"wall_s": wall, "compile_s": fit.idata.attrs.get("compile_seconds"),
               "sampling_s": samp, "ess_h2": ess, "ess_per_s": ess / samp,
               "h2_mean": fit.variance_components().iloc[0]["proportion"],
               "divergences": fit.diagnostics().divergences}
        if strategy == "spectral":
            spectral_rows.append(row)
            out[f"spectral (seed {seed})"] = row
        else:
            out[strategy] = row
    median = float(np.median([r["ess_per_s"] for r in spectral_rows]))
    table = pd.DataFrame(out).T
    print(f"\n[1] n = {n}, one GRM: spectral vs dense MvNormal (same process, nutpie)")
    print(table.round(3).to_string())
    dense = out["dense"]["ess_per_s"]
    each = ", ".join(f"{r['ess_per_s'] / dense:.0f}x" for r in spectral_rows)
    print(f"ESS/s ratio spectral (median of {len(spectral_rows)}) / dense: {median / dense:.0f}x; per spectral run: {each}")
    return out


def case_large_lowrank(n: int = 10_000, m: int = 5_000) -> dict:
    t0 = time.perf_counter()
    rng = np.random.default_rng(2)
    geno = bl.datasets.genotypes(n, m, seed=2)
    t_geno = time.perf_counter() - t0
    t1 = time.perf_counter()
    G = bl.kernels.grm(geno)
    t_kernel = time.perf_counter() - t1
    eig = G.eigh
    t_eig = time.perf_counter() - t1 - t_kernel
    g = eig.vectors @ (np.sqrt(0.5 * eig.values) * rng.standard_normal(len(eig.values)))
    data = pd.DataFrame({"id": G.ids, "x": rng.standard_normal(n)})
    data["y"] = 1 + 0.3 * data.x + g + np.sqrt(0.5) * rng.standard_normal(n)
    t2 = time.perf_counter()
    model = bl.Model("y ~ x + (1 | gr(id, cov=G))", data, kernels={"G": G})
    fit = model.fit(draws=1000, tune=1000, chains=4, seed=2, progress=False)
    t_fit = time.perf_counter() - t2
    total = time.perf_counter() - t1
    row = {"strategy": model.strategy.name, "kernel_s": t_kernel, "thin_svd_s": t_eig, "fit_s": t_fit,
           "compile_s": fit.idata.attrs.get("compile_seconds"), "sampling_s": fit.idata.attrs.get("sampling_seconds"),
           "end_to_end_s (after genotypes)": total, "ess_h2": _ess(fit, "1|gr(id, cov=G)"),
           "h2_mean": fit.variance_components().iloc[0]["proportion"], "divergences": fit.diagnostics().divergences}
    print(f"\n[2] n = {n}, GRM from {m} markers, end to end (genotype simulation {t_geno:.1f} s not counted)")
    print(pd.Series(row).to_string())
    return row


def case_large_fullrank(n: int = 10_000) -> dict:
    rng = np.random.default_rng(3)
    coords = rng.uniform(0, 100, size=(n, 2))
    ids = [f"s{i:05d}" for i in range(n)]
    t1 = time.perf_counter()
    K = bl.kernels.spatial(pd.DataFrame(coords, index=ids), cov="matern32", lengthscale=10.0)
    t_kernel = time.perf_counter() - t1
    eig = K.eigh
    t_eig = time.perf_counter() - t1 - t_kernel
    f = eig.vectors @ (np.sqrt(0.4 * np.clip(eig.values, 0, None)) * rng.standard_normal(len(eig.values)))
    data = pd.DataFrame({"id": K.ids, "y": 2 + f + np.sqrt(0.6) * rng.standard_normal(n)})
    t2 = time.perf_counter()
    model = bl.Model("y ~ 1 + (1 | gr(id, cov=K))", data, kernels={"K": K})
    fit = model.fit(draws=1000, tune=1000, chains=4, seed=3, progress=False)
    t_fit = time.perf_counter() - t2
    row = {"strategy": model.strategy.name, "kernel_s": t_kernel, "eigh_s": t_eig, "fit_s": t_fit,
           "compile_s": fit.idata.attrs.get("compile_seconds"), "sampling_s": fit.idata.attrs.get("sampling_seconds"),
           "total_s (eigh included)": time.perf_counter() - t1, "ess_share": _ess(fit, "1|gr(id, cov=K)"),
           "share_mean": fit.variance_components().iloc[0]["proportion"], "divergences": fit.diagnostics().divergences}
    print(f"\n[3] n = {n}, full-rank spatial kernel (eigendecomposition included)")
    print(pd.Series(row).to_string())
    return row


def case_two_kernels(n: int = 2_000) -> dict:
    data, kernels = bl.datasets.heritability(n=n, m=2 * n, h2=0.4, m2=0.2, taxa=300, seed=4)
    t0 = time.perf_counter()
    model = bl.Model("y ~ x + (1 | gr(id, cov=G)) + (1 | gr(id, cov=M))", data, kernels=kernels)
    fit = model.fit(draws=1000, tune=1000, chains=4, seed=4, progress=False)
    wall = time.perf_counter() - t0
    vc = fit.variance_components()
    row = {"strategy": model.strategy.name, "wall_s": wall, "compile_s": fit.idata.attrs.get("compile_seconds"),
           "sampling_s": fit.idata.attrs.get("sampling_seconds"),
           "ess_h2": _ess(fit, "1|gr(id, cov=G)"), "ess_m2": _ess(fit, "1|gr(id, cov=M)"),
           "h2 (truth 0.4)": vc.loc["1|gr(id, cov=G)", "proportion"], "m2 (truth 0.2)": vc.loc["1|gr(id, cov=M)", "proportion"],
           "divergences": fit.diagnostics().divergences, "max_rhat": float(fit.summary()["r_hat"].max())}
    print(f"\n[4] two kernels at n = {n} (GRM {2 * n} markers, microbiome 300 taxa)")
    print(pd.Series(row).to_string())
    return row


CASES = {"1": case_dense_vs_spectral, "2": case_large_lowrank, "3": case_large_fullrank, "4": case_two_kernels}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="1,2,3,4", help="comma-separated case numbers")
    args = parser.parse_args()
    for key in args.only.split(","):
        CASES[key.strip()]()
