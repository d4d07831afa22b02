"""bayeslmm vs brms ``(1 | gr(id, cov = K))`` on the same simulated data (issue 4, item 5).

brms is not a dependency: this script runs ``Rscript`` when it is installed (Debian:
``apt-get install r-cran-brms``) and prints wall time and h² ESS/s of both, with the ratio.
Run: ``python benchmarks/bench_brms.py [--n 500] [--draws 1000]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import bayeslmm as bl

warnings.filterwarnings("ignore")

R_SCRIPT = r"""
suppressMessages({library(brms); library(posterior)})
# Debian's r-cran-bh ships Boost in /usr/include, where rstan does not look by default
if (!file.exists(rstan::rstan_options("boost_lib"))) rstan::rstan_options(boost_lib = "/usr/include")
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(file.path(args[1], "data.csv")); K <- as.matrix(read.csv(file.path(args[1], "K.csv"), row.names = 1))
colnames(K) <- rownames(K) <- d$id
K <- K + diag(1e-4, nrow(K))  # brms needs a positive-definite matrix; a centred GRM is singular
draws <- as.integer(args[2])
t0 <- Sys.time()
fit <- brm(y ~ x + (1 | gr(id, cov = K)), data = d, data2 = list(K = K), chains = 4, cores = 2,
           iter = 2 * draws, warmup = draws, seed = 1, refresh = 0, silent = 2)
wall <- as.numeric(difftime(Sys.time(), t0, units = "secs"))
times <- rstan::get_elapsed_time(fit$fit)
dr <- as_draws_df(fit)
h2 <- dr$sd_id__Intercept^2 / (dr$sd_id__Intercept^2 + dr$sigma^2)
np <- nuts_params(fit)
out <- list(wall = wall, sampling = max(rowSums(times)), ess_h2 = ess_bulk(h2), h2 = mean(h2),
            divergences = sum(np$Value[np$Parameter == "divergent__"]), rhat = rhat(h2))
cat(jsonlite::toJSON(out, auto_unbox = TRUE))
"""


def main(n: int, draws: int) -> None:
    data, kernels = bl.datasets.heritability(n=n, m=2 * n, h2=0.5, taxa=0, seed=1)
    G = kernels["G"]
    t0 = time.perf_counter()
    fit = bl.Model("y ~ x + (1 | gr(id, cov=G))", data, kernels=kernels).fit(draws=draws, tune=draws, chains=4, seed=1, progress=False)
    ours_wall = time.perf_counter() - t0
    ours_ess = float(fit.summary().loc["proportion(1|gr(id, cov=G))", "ess_bulk"])
    ours = {"wall": ours_wall, "sampling": fit.idata.attrs.get("sampling_seconds"), "ess_h2": ours_ess,
            "h2": float(fit.variance_components().iloc[0]["proportion"]), "divergences": fit.diagnostics().divergences}
    rows = {"bayeslmm": ours}
    if shutil.which("Rscript") is None:
        print("Rscript not found: brms comparison skipped (apt-get install r-cran-brms)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            data.to_csv(Path(tmp) / "data.csv", index=False)
            pd.DataFrame(G.matrix, index=G.ids, columns=G.ids).to_csv(Path(tmp) / "K.csv")
            (Path(tmp) / "run.R").write_text(R_SCRIPT)
            proc = subprocess.run(["Rscript", str(Path(tmp) / "run.R"), tmp, str(draws)], capture_output=True, text=True)
            if proc.returncode != 0:
                print("brms failed:", proc.stderr[-2000:])
            else:
                rows["brms"] = json.loads(proc.stdout.strip().splitlines()[-1])
    table = pd.DataFrame(rows).T
    table["ess_per_s_wall"] = table["ess_h2"].astype(float) / table["wall"].astype(float)
    table["ess_per_s_sampling"] = table["ess_h2"].astype(float) / table["sampling"].astype(float)
    print(f"n = {n}, y ~ x + (1 | gr(id, cov = K)), 4 chains x {draws} draws")
    print(table.to_string())
    if "brms" in rows:
        print(f"wall ratio brms / bayeslmm: {table.loc['brms', 'wall'] / table.loc['bayeslmm', 'wall']:.1f}x; "
              f"h² ESS/s ratio bayeslmm / brms: {table.loc['bayeslmm', 'ess_per_s_wall'] / table.loc['brms', 'ess_per_s_wall']:.0f}x "
              f"(wall), {table.loc['bayeslmm', 'ess_per_s_sampling'] / table.loc['brms', 'ess_per_s_sampling']:.0f}x (sampling only)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()
    main(args.n, args.draws)
