"""Small simulated kernel data shared by the strategy tests (no sampling)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl


@pytest.fixture(scope="session")
def kernel_data():
    """n = 40 individuals: a GRM from 200 markers (full rank but for the 1-vector), a GRM from
    15 markers (low rank, with a factor), a positive-definite random kernel, a mother factor."""
    rng = np.random.default_rng(7)
    n = 40
    geno = bl.datasets.genotypes(n, 200, seed=1)
    G = bl.kernels.grm(geno)
    Gsmall = bl.kernels.grm(bl.datasets.genotypes(n, 15, seed=2))
    A = rng.standard_normal((n, n))
    P = bl.Kernel(A @ A.T / n + 0.5 * np.eye(n), ids=G.ids)
    df = pd.DataFrame({
        "id": G.ids,
        "x": rng.standard_normal(n),
        "mother": rng.integers(0, 8, n).astype(str),
        "y": rng.standard_normal(n) + 2.0,
    })
    return df, {"G": G, "S": Gsmall, "P": P}


@pytest.fixture(scope="session")
def shared_data_dir():
    """``../shared/data`` beside the repository (gryphon files); skip with a message where absent."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    if not (path / "gryphon.csv").exists():
        pytest.skip(f"gryphon reference data not found in {path} (read from ../shared/data, never copied)")
    return str(path)


@pytest.fixture(scope="session")
def grouped():
    """60 rows in 12 groups (sizes 1 to 9) crossed with 4 blocks and nested 2 plots per group."""
    rng = np.random.default_rng(11)
    n = 60
    g = np.sort(rng.choice(12, n, p=np.arange(1, 13) / 78.0))
    g[:12] = np.arange(12)  # every group has a row
    return pd.DataFrame({
        "y": rng.standard_normal(n) * 3 + 10, "x": rng.standard_normal(n) * 2, "w": rng.uniform(0, 5, n),
        "g": [f"g{k:02d}" for k in g], "h": [f"b{k}" for k in rng.integers(0, 4, n)],
        "p": [f"p{k}" for k in rng.integers(0, 2, n)],
    })
