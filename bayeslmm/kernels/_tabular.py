"""Shared helpers for builders that take a samples x features table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayeslmm.errors import KernelError
from bayeslmm.kernels.ids import normalize_ids

__all__ = ["as_table", "gram_kernel_inputs"]


def as_table(values: Any, ids: Any, label: str) -> tuple[np.ndarray, np.ndarray]:
    """Float64 copy of an n x p table and its normalized ids (DataFrame index by default)."""
    if isinstance(values, pd.DataFrame):
        if ids is None:
            ids = values.index
        try:
            array = values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        except (TypeError, ValueError) as exc:
            raise KernelError(f"{label} has non-numeric columns: {exc}") from None
    else:
        try:
            array = np.array(values, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as exc:
            raise KernelError(f"{label} cannot be converted to floats: {exc}") from None
    if array.ndim != 2:
        raise KernelError(f"{label} must be 2-D (samples x features), got shape {array.shape}")
    n, p = array.shape
    if n < 2 or p < 1:
        raise KernelError(f"{label} needs at least 2 samples and 1 feature, got shape {array.shape}")
    norm = np.arange(n).astype(str) if ids is None else normalize_ids(ids)
    if norm.shape[0] != n:
        raise KernelError(f"{label} has {n} rows but {norm.shape[0]} ids were given")
    return array, norm


def gram_kernel_inputs(z: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``Z Z' / p`` and, when p < n, the factor ``Z / sqrt(p)``."""
    n, p = z.shape
    w = z / np.sqrt(p)
    matrix = w @ w.T
    return matrix, (w if p < n else None)
