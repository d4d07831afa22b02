"""One canonical string form for ids, used for every match between data and kernels.

Pedigree files often store ids as numbers that pandas reads as floats (``1029.0`` when a
column has NA), while data frames hold ``1029`` or ``"1029"``; all three must match.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from bayeslmm.errors import KernelError

__all__ = ["normalize_ids", "format_ids"]


def _one(value: object, position: int) -> str:
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise KernelError(f"id at position {position} is an empty string")
        return text
    if value is None or value is pd.NA or value is pd.NaT:
        raise KernelError(f"id at position {position} is missing ({value!r})")
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not np.isfinite(number):
            raise KernelError(f"id at position {position} is not a usable id ({value!r})")
        if number.is_integer():
            return str(int(number))
        return repr(number)
    return str(value).strip()


def normalize_ids(values: Iterable[object] | np.ndarray | pd.Index | pd.Series) -> np.ndarray:
    """Canonical string ids: integers and integral floats as ``"1029"``, strings stripped.

    Parameters
    ----------
    values : sequence, numpy array, pandas Index or Series
        Ids of any scalar type.

    Returns
    -------
    numpy.ndarray of str
        One-dimensional, same length and order as ``values``.

    Raises
    ------
    KernelError
        For a missing (None, NaN, NA) or empty id, naming its position.

    Examples
    --------
    >>> normalize_ids([1029, 1029.0, " 1029 ", "a7"]).tolist()
    ['1029', '1029', '1029', 'a7']
    """
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    elif isinstance(values, (str, bytes)):
        raise KernelError(f"ids must be a sequence of ids, got the single string {values!r}")
    if isinstance(values, np.ndarray):
        array = values
    else:
        items = list(values)
        array = np.empty(len(items), dtype=object)
        array[:] = items
    if array.ndim != 1:
        raise KernelError(f"ids must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        return np.array([], dtype=str)
    if array.dtype.kind in "iu":
        return array.astype(np.int64).astype(str) if array.dtype.kind == "i" else array.astype(str)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.int64).astype(str)
    if array.dtype.kind == "U":
        stripped = np.char.strip(array)
        empty = np.flatnonzero(stripped == "")
        if empty.size:
            raise KernelError(f"id at position {int(empty[0])} is an empty string")
        return stripped.astype(str)
    return np.array([_one(v, i) for i, v in enumerate(array.tolist())], dtype=str)


def format_ids(ids: Iterable[str], total: int | None = None, limit: int = 10) -> str:
    """``"'a', 'b', ... (12 in all)"``: up to ``limit`` ids for an error message."""
    shown = list(ids)
    count = len(shown) if total is None else total
    text = ", ".join(repr(str(i)) for i in shown[:limit])
    if count > limit:
        text += f", ... ({count} in all)"
    return text
