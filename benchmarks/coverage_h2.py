"""Coverage study (issue 4): how often the 90% interval of h² covers the truth.

50 simulated datasets (n = 300 by default, a GRM of 2n markers, h² drawn from U(0.1, 0.7)), each fitted
with the default strategy (4 chains x 500 draws). Goal: coverage between 85% and 95%.

Run: ``python benchmarks/coverage.py [--datasets 50] [--n 400]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import bayeslmm as bl

warnings.filterwarnings("ignore")


def run(datasets: int, n: int, seed: int = 100) -> dict:
    rng = np.random.default_rng(seed)
    hits, widths, divergences = [], [], 0
    t0 = time.perf_counter()
    for i in range(datasets):
        h2 = float(rng.uniform(0.1, 0.7))
        data, kernels = bl.datasets.heritability(n=n, m=2 * n, h2=h2, taxa=0, seed=int(rng.integers(2**31)))
        fit = bl.Model("y ~ x + (1 | gr(id, cov=G))", data, kernels=kernels).fit(
            draws=500, tune=500, chains=4, seed=i, progress=False)
        draws = fit.draws()["proportion(1|gr(id, cov=G))"].to_numpy()
        lo, hi = np.quantile(draws, [0.05, 0.95])
        hits.append(lo <= h2 <= hi)
        widths.append(hi - lo)
        divergences += fit.diagnostics().divergences
        print(f"dataset {i:2d}: h2 {h2:.3f}  90% [{lo:.3f}, {hi:.3f}]  {'covered' if hits[-1] else 'MISSED'}", flush=True)
    out = {"datasets": datasets, "n": n, "coverage_90": float(np.mean(hits)), "mean_width": float(np.mean(widths)),
           "divergences_total": divergences, "wall_s": time.perf_counter() - t0}
    print(out)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=50)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    run(args.datasets, args.n)
