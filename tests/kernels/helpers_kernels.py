"""Independent reference implementations used by the kernel tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def shared_file(name: str) -> Path:
    path = (SHARED_DATA / name).resolve()
    if not path.is_file():
        pytest.skip(f"reference data {name} not found at {path} (expected in ../shared/data)")
    return path


def vanraden(x: np.ndarray) -> np.ndarray:
    """VanRaden (2008) method 1 written out: Z = X - 2p, G = ZZ' / (2 sum p(1-p))."""
    p = np.nanmean(x, axis=0) / 2.0
    z = np.where(np.isnan(x), 0.0, x - 2.0 * p)
    keep = (p > 0) & (p < 1)
    z = z[:, keep]
    return z @ z.T / (2.0 * np.sum(p[keep] * (1.0 - p[keep])))


def dense_recursion(ids: list[str], sire: list[str | None], dam: list[str | None]) -> np.ndarray:
    """Textbook tabular method, one element at a time (ids must be parents-first)."""
    pos = {k: i for i, k in enumerate(ids)}
    n = len(ids)
    a = np.zeros((n, n))
    for i in range(n):
        s = pos.get(sire[i]) if sire[i] is not None else None
        d = pos.get(dam[i]) if dam[i] is not None else None
        for j in range(i):
            val = 0.0
            if s is not None:
                val += 0.5 * a[j, s]
            if d is not None:
                val += 0.5 * a[j, d]
            a[i, j] = a[j, i] = val
        a[i, i] = 1.0 + (0.5 * a[s, d] if s is not None and d is not None else 0.0)
    return a
