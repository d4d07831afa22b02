"""Benchmark of the marginal leave-one-out densities (issue 6).

The exact :math:`\\log p(y_i \\mid y_{-i}, \\theta)` per draw through the structure of the
covariance against the dense baseline (one Cholesky factorisation and triangular inverse of
the n x n covariance per draw), measured in the same process on the same draws:

- one kernel, one record per id (n = 1,000, 200 draws): the eigendecomposition path,
  :math:`O(n^2)` per draw and vectorised over draws;
- iid random intercepts (n = 2,000 rows in 200 groups, 200 draws): the block-diagonal path.

Prints a table and, with ``--write``, puts it under "## LOO and WAIC (issue 6)" in
docs/benchmarks.md.

Run: ``python benchmarks/bench_loo.py --write``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import xarray as xr
from _benchmarks_page import cpu_model, write_section
from threadpoolctl import threadpool_limits

import bayeslmm as bl
from bayeslmm.results import arviz_bridge as azb
from bayeslmm.results.pointwise import marginal_loglik, normal_loo_from_cov
from bayeslmm.spec.model_spec import build_spec

HEADING = "## LOO and WAIC (issue 6)"


def posterior(spec, draws: int, seed: int = 0):
    """Plausible parameter draws (one chain): proportions from a flat Dirichlet, tau ~ sd(y)."""
    rng = np.random.default_rng(seed)
    K = len(spec.components)
    tau = spec.y_scale * rng.uniform(0.5, 1.5, size=(1, draws))
    prop = rng.dirichlet(np.ones(K), size=(1, draws))
    sd = np.sqrt(prop) * tau[..., None]
    b = rng.normal(spec.y_center, 0.1, size=(1, draws, spec.X.shape[1]))
    ds = xr.Dataset({"tau": (("chain", "draw"), tau), "proportions": (("chain", "draw", "component"), prop),
                     "sd": (("chain", "draw", "component"), sd), "b": (("chain", "draw", "coef"), b)})
    return azb.from_groups({"posterior": ds})


def dense_baseline(spec, idata) -> np.ndarray:
    """The same densities from the full covariance, one draw at a time."""
    sd = azb.draws(idata, "sd")
    b = azb.draws(idata, "b")
    from bayeslmm.backend.dense import row_covariance

    G = [row_covariance(spec, t) for t in spec.terms]
    out = np.empty((sd.shape[0], spec.n))
    for s in range(sd.shape[0]):
        V = sd[s, -1] ** 2 * np.eye(spec.n) + sum(sd[s, k] ** 2 * g for k, g in enumerate(G))
        out[s] = normal_loo_from_cov(V, spec.y - spec.X @ b[s])
    return out


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def case(name: str, spec, draws: int) -> dict:
    idata = posterior(spec, draws)
    marginal_loglik(spec, posterior(spec, 2))  # warm caches (eigendecomposition) outside the timing
    t_fast, fast = timed(lambda: marginal_loglik(spec, idata))
    t_dense, dense = timed(lambda: dense_baseline(spec, idata))
    return {"case": name, "n": spec.n, "draws": draws, "path": fast.method,
            "ms per draw": 1e3 * t_fast / draws, "dense ms per draw": 1e3 * t_dense / draws,
            "speed-up": t_dense / t_fast, "max abs diff": float(np.abs(fast.values - dense).max())}


def markdown(table: pd.DataFrame) -> str:
    def cell(v) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * table.shape[1]]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def run_cases() -> list[dict]:
    data, kernels = bl.datasets.heritability(n=1000, m=2000, h2=0.5, taxa=0, seed=1)
    spec = build_spec("y ~ x + (1 | gr(id, cov=G))", data, kernels=kernels)
    rows = [case("one kernel (1 | gr(id, cov=G))", spec, 200)]
    df = bl.datasets.random_slopes(n_groups=200, n_per_group=10, seed=1)
    rows.append(case("iid intercepts (1 | g), 200 groups", build_spec("y ~ t + (1 | g)", df), 200))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    with threadpool_limits(limits=1, user_api="blas"):
        table = pd.DataFrame(run_cases())
    text = markdown(table)
    print(text)
    if args.write:
        block = (f"{HEADING}\n\nMarginal LOO densities, structured path vs one dense factorisation per draw "
                 f"(`python benchmarks/bench_loo.py`; {cpu_model()}, 2 cores shared with "
                 "other jobs, so BLAS is limited to one thread for both sides).\n\n"
                 f"{text}\n")
        write_section(HEADING, block)


if __name__ == "__main__":
    main()
