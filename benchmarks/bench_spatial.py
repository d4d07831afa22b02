"""Spatial fields (issue 9): exact GP against HSGP at n = 1,000, and an HSGP fit at n = 20,000.

Run: ``python benchmarks/bench_spatial.py`` (about 10 minutes on 2 shared cores; ``--quick``
for a smoke run). Data: ``bl.datasets.spatial_field`` (Matérn 3/2 field of sd 1 and
lengthscale 0.15 on the unit square, noise sd 0.5, environment effect 0.5).

Part 1, n = 1,000, the same data: ``gp(x, y, approx="exact")`` (dense strategy, the field
integrated out, O(n³) per gradient) against the default HSGP (``hsgp`` strategy, weights latent,
likelihood from sufficient statistics, O(Q²) per gradient). The exact fit is short (its
gradient costs seconds); ESS per second of sampling is compared, the exact fit being the
baseline measured in the same process.

Part 2, n = 20,000: one HSGP fit, wall time from formula to posterior (spec, build, compile,
sampling) and the recovered parameters.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import bayeslmm as bl

QUANTITIES = ["lengthscale(gp(x, y))", "sd(gp(x, y))", "sigma", "env"]


def fit(formula: str, data, draws: int, tune: int) -> tuple[object, float]:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = bl.Model(formula, data)
        result = model.fit(draws=draws, tune=tune, chains=2, seed=1, progress=False)
    return result, time.perf_counter() - start


def describe(name: str, result, wall: float, truth: dict) -> dict:
    table = result.summary(prob=0.9)
    attrs = result.idata.attrs
    sampling = float(attrs["sampling_seconds"])
    ess = table.loc[QUANTITIES, "ess_bulk"]
    row = {"fit": name, "strategy": result.strategy.name, "n": result.spec.n, "draws": 2 * attrs["draws"],
           "compile_s": float(attrs["compile_seconds"]), "sampling_s": sampling, "wall_s": wall,
           "min_ess": float(ess.min()), "ess_per_s": float(ess.min() / sampling),
           "divergences": int(result.idata.sample_stats["diverging"].sum())}
    for q, key in [("lengthscale(gp(x, y))", "lengthscale"), ("sd(gp(x, y))", "sd_field"), ("sigma", "sigma"),
                   ("env", "env")]:
        r = table.loc[q]
        row[q] = f"{r['mean']:.3f} [{r['lower']:.3f}, {r['upper']:.3f}] (truth {truth[key]})"
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    n_small, n_large = (300, 2000) if args.quick else (1000, 20000)
    rows = []

    small = bl.datasets.spatial_field(n_small, lengthscale=0.15, sd_field=1.0, sigma=0.5, env_effect=0.5, seed=2)
    truth = small.attrs["truth"]
    exact, wall = fit('response ~ env + gp(x, y, approx="exact")', small, draws=50, tune=50)
    rows.append(describe("exact", exact, wall, truth))
    hsgp, wall = fit("response ~ env + gp(x, y)", small, draws=500, tune=500)
    rows.append(describe("hsgp", hsgp, wall, truth))
    print(f"n = {n_small}: HSGP / exact ESS per second of sampling = "
          f"{rows[1]['ess_per_s'] / rows[0]['ess_per_s']:.0f}x "
          f"(min bulk ESS over {', '.join(QUANTITIES)})")

    large = bl.datasets.spatial_field(n_large, lengthscale=0.15, sd_field=1.0, sigma=0.5, env_effect=0.5, seed=2)
    big, wall = fit("response ~ env + gp(x, y)", large, draws=300, tune=300)
    rows.append(describe("hsgp", big, wall, large.attrs["truth"]))
    print(f"n = {n_large}: HSGP fit {wall:.0f} s from formula to posterior (goal < 300 s); "
          f"{big.strategy.reason.split('. ')[-1]}")

    import pandas as pd

    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(pd.DataFrame(rows).set_index("fit").T.to_string())


if __name__ == "__main__":
    main()
