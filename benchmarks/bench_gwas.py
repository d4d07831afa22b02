"""Benchmark of bl.gwas.scan (issue 8): n = 2,000 samples, 100,000 SNPs on 5 chromosomes, LOCO.

Goal: under 60 s on 2 cores once the genotypes are in memory, peak memory under 4 GB.
Baseline in the same run: a naive per-SNP GLS with a dense inverse of V (one inverse per
LOCO kernel, then ``[X g]' V^-1 [X g]`` for each SNP), timed on a subset of SNPs and
extrapolated to all of them, plus the LOCO kernels it needs.

    python benchmarks/bench_gwas.py [--n 2000] [--m 100000] [--naive 300]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

import bayeslmm as bl


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads): the work, whatever the machine's load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def simulate(n: int, m: int, n_chrom: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Independent int8 genotypes (Hardy-Weinberg, frequencies 0.05-0.5), a covariate and 5 causal SNPs."""
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.05, 0.5, m)
    G = np.empty((n, m), dtype=np.int8)
    for start in range(0, m, 5000):
        G[:, start : start + 5000] = rng.binomial(2, freq[start : start + 5000], size=(n, min(5000, m - start)))
    chromosomes = np.repeat(np.arange(1, n_chrom + 1), m // n_chrom)
    x = rng.standard_normal(n)
    causal = rng.choice(m, 5, replace=False)
    y = 0.3 * x + G[:, causal].astype(float) @ np.full(5, 0.25) + rng.standard_normal(n)
    return G, chromosomes, pd.DataFrame({"id": np.arange(n).astype(str), "y": y, "x": x})


def naive_gls(G: np.ndarray, X: np.ndarray, y: np.ndarray, K: np.ndarray, h2: float, columns: np.ndarray):
    """Dense reference: V^-1 once, then one GLS fit of y on [X, g] per SNP.

    Returns wall and CPU seconds of the SNP loop and of the inverse, and the estimates.
    """
    n = len(y)
    t0, c0 = time.perf_counter(), cpu_seconds()
    Vinv = np.linalg.inv(h2 * K + (1.0 - h2) * np.eye(n))
    t_inv, c_inv = time.perf_counter() - t0, cpu_seconds() - c0
    beta, se = [], []
    t0, c0 = time.perf_counter(), cpu_seconds()
    for j in columns:
        g = G[:, j].astype(float)
        g -= g.mean()
        Xf = np.column_stack([X, g])
        VX = Vinv @ Xf
        A = Xf.T @ VX
        b = np.linalg.solve(A, VX.T @ y)
        r = y - Xf @ b
        s2 = r @ Vinv @ r / (n - Xf.shape[1])
        beta.append(b[-1])
        se.append(np.sqrt(s2 * np.linalg.inv(A)[-1, -1]))
    return time.perf_counter() - t0, cpu_seconds() - c0, t_inv, c_inv, np.array(beta), np.array(se)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--m", type=int, default=100_000)
    parser.add_argument("--chromosomes", type=int, default=5)
    parser.add_argument("--naive", type=int, default=300, help="SNPs timed with the naive GLS")
    args = parser.parse_args()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"n={args.n} m={args.m} chromosomes={args.chromosomes} cpus={os.cpu_count()} OPENBLAS_NUM_THREADS={threads} "
          f"load={os.getloadavg()[0]:.1f}")
    G, chrom, data = simulate(args.n, args.m, args.chromosomes)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"genotypes in memory: {G.nbytes / 1e6:.0f} MB int8; process peak RSS so far {rss_before:.0f} MB")

    tracemalloc.start()
    t0, c0 = time.perf_counter(), cpu_seconds()
    result = bl.gwas.scan(data, "y ~ x", G, chrom)
    t_scan, c_scan = time.perf_counter() - t0, cpu_seconds() - c0
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bl.gwas.scan: {t_scan:.1f} s wall, {c_scan:.1f} s CPU for {result.report.n_tested} SNPs; "
          f"lambda_GC {result.lambda_gc:.3f}; "
          f"peak traced allocations {traced_peak / 1e6:.0f} MB; process peak RSS {rss_peak:.0f} MB")
    print(result.null[["chromosome", "h2", "n_snps"]].to_string(index=False))

    # the naive baseline on chromosome 1: same LOCO kernel and h2, dense inverse, one GLS per SNP
    t0, c0 = time.perf_counter(), cpu_seconds()
    kernels = bl.kernels.loco(G, chrom, ids=data["id"])
    t_kernels, c_kernels = time.perf_counter() - t0, cpu_seconds() - c0
    K = kernels["1"].matrix
    h2 = float(result.null.loc[result.null["chromosome"] == "1", "h2"].iloc[0])
    X = np.column_stack([np.ones(args.n), data["x"].to_numpy()])
    columns = np.flatnonzero(chrom == 1)[: args.naive]
    t_snps, c_snps, t_inv, c_inv, beta, se = naive_gls(G, X, data["y"].to_numpy(), K, h2, columns)
    per_snp = t_snps / columns.size
    naive_total = t_kernels + args.chromosomes * t_inv + per_snp * args.m
    naive_cpu = c_kernels + args.chromosomes * c_inv + c_snps / columns.size * args.m
    ours = result.table.iloc[columns]
    print(f"naive: LOCO kernels {t_kernels:.1f} s, dense inverse {t_inv:.2f} s x {args.chromosomes}, "
          f"{per_snp * 1e3:.2f} ms per SNP ({columns.size} timed) -> {naive_total:.0f} s wall, {naive_cpu:.0f} s CPU "
          f"for {args.m} SNPs")
    print(f"agreement on the {columns.size} SNPs: max rel diff beta "
          f"{np.max(np.abs(ours['beta'].to_numpy() - beta) / np.abs(beta)):.1e}, "
          f"se {np.max(np.abs(ours['se'].to_numpy() - se) / se):.1e}")
    print(f"ratio naive / bl.gwas.scan: {naive_total / t_scan:.1f}x wall, {naive_cpu / c_scan:.1f}x CPU "
          "(goal: scan < 60 s, peak memory < 4 GB)")


if __name__ == "__main__":
    main()
