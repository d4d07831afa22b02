"""Parent-of-origin kernels: time of bl.kernels.pedigree(parent_of_origin=True) against A.

The gametic relationship matrix is 2n x 2n, so its tabular recursion does about 4x the work
of A's; the ratio printed is (Am, Ap) time / A time, both built in this process from the
same simulated pedigree (``bl.datasets.imprinting``-style factorial matings).

    python benchmarks/bench_imprinting.py            # n of about 2,000 and 5,000 animals
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

import bayeslmm as bl


def factorial_pedigree(n_sires: int, n_dams: int, generations: int, seed: int = 0) -> pd.DataFrame:
    """Every dam mated to two random sires, two offspring each, for ``generations``."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str | None, str | None]] = []
    males = [f"m0_{i}" for i in range(n_sires)]
    females = [f"f0_{i}" for i in range(n_dams)]
    rows += [(i, None, None) for i in males + females]
    for g in range(1, generations + 1):
        born_m, born_f = [], []
        for d in females:
            for s in rng.choice(males, size=2, replace=False):
                for _ in range(2):
                    male = rng.uniform() < 0.5
                    name = f"{'m' if male else 'f'}{g}_{len(rows)}"
                    rows.append((name, str(s), d))
                    (born_m if male else born_f).append(name)
        males = list(rng.choice(born_m, size=n_sires, replace=False))
        females = list(rng.choice(born_f, size=n_dams, replace=False))
    return pd.DataFrame(rows, columns=["id", "sire", "dam"])


def best_of(f, repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    print("| animals | A (s) | (Am, Ap) (s) | ratio |")
    print("| ---: | ---: | ---: | ---: |")
    for n_sires, n_dams, gens in ((50, 150, 3), (100, 400, 3)):
        ped = factorial_pedigree(n_sires, n_dams, gens)
        t_a = best_of(lambda: bl.kernels.pedigree(ped, scale=False))
        t_po = best_of(lambda: bl.kernels.pedigree(ped, parent_of_origin=True))
        print(f"| {len(ped)} | {t_a:.2f} | {t_po:.2f} | {t_po / t_a:.2f} |", flush=True)


if __name__ == "__main__":
    main()
