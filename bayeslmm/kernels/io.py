"""Read and write precomputed kernel matrices with their ids."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayeslmm.errors import KernelError
from bayeslmm.kernels.ids import format_ids, normalize_ids
from bayeslmm.kernels.kernel import Kernel

__all__ = ["read_matrix", "write_matrix"]

_TEXT = {".csv": ",", ".tsv": "\t", ".txt": None}


def _ids_file(path: Path) -> Path | None:
    for candidate in (path.with_suffix(".ids"), path.with_suffix(".ids.txt"), Path(str(path) + ".ids")):
        if candidate.is_file():
            return candidate
    return None


def _read_ids(value: Any, path: Path) -> np.ndarray:
    if value is None:
        found = _ids_file(path)
        if found is None:
            raise KernelError(
                f"no ids for {str(path)!r}: pass ids=[...] or a file with one id per line, "
                f"or put one next to it as {path.with_suffix('.ids').name!r}"
            )
        value = found
    if isinstance(value, (str, os.PathLike)):
        lines = Path(value).read_text().splitlines()
        return normalize_ids([line for line in lines if line.strip()])
    return normalize_ids(value)


def read_matrix(path: str | os.PathLike[str], ids: Any = None, name: str | None = None, **kernel_options: Any) -> Kernel:
    """Read a precomputed kernel matrix with its ids.

    Parameters
    ----------
    path : str or os.PathLike
        ``.csv`` / ``.tsv`` / ``.txt``: a square table whose first column holds the row ids
        and whose header holds the same ids (columns are reordered to the rows if needed);
        ``.npy``: the matrix, with ids from ``ids``.
    ids : sequence or path, optional
        For ``.npy``: the ids, or a text file with one id per line. Default: a sibling file
        ``<stem>.ids`` or ``<stem>.ids.txt``.
    name : str, optional
        Kernel name; default the file stem.
    **kernel_options
        Passed to `Kernel` (``psd``, ``scale``, ``sym_tol``).

    Returns
    -------
    Kernel

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from bayeslmm.kernels import Kernel, write_matrix
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "K.csv"
    >>> _ = write_matrix(Kernel(np.array([[2.0, 1.0], [1.0, 2.0]]), ids=["a", "b"]), path)
    >>> read_matrix(path).ids.tolist()
    ['a', 'b']
    """
    p = Path(path)
    if not p.is_file():
        raise KernelError(f"kernel file {str(p)!r} does not exist")
    suffix = p.suffix.lower()
    label = name if name is not None else p.name.split(".")[0]
    if suffix == ".npy":
        try:
            matrix = np.load(p, allow_pickle=False)
        except ValueError as exc:
            raise KernelError(f"{str(p)!r} is not a numeric .npy array: {exc}") from None
        row_ids = _read_ids(ids, p)
    elif suffix in _TEXT:
        frame = pd.read_csv(p, sep=_TEXT[suffix], index_col=0, engine="python" if _TEXT[suffix] is None else "c")
        row_ids = normalize_ids(frame.index)
        col_ids = normalize_ids(frame.columns)
        if frame.shape[0] != frame.shape[1]:
            raise KernelError(f"{str(p)!r} holds a {frame.shape[0]} x {frame.shape[1]} table; a kernel must be square")
        if not np.array_equal(row_ids, col_ids):
            only_rows = np.setdiff1d(row_ids, col_ids)
            if only_rows.size or np.unique(col_ids).size != col_ids.size:
                raise KernelError(
                    f"{str(p)!r}: header ids differ from row ids ({only_rows.size} row ids not in the header: "
                    f"{format_ids(only_rows)})"
                )
            position = {key: i for i, key in enumerate(col_ids.tolist())}
            frame = frame.iloc[:, [position[k] for k in row_ids.tolist()]]
        try:
            matrix = frame.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise KernelError(f"{str(p)!r} has non-numeric entries: {exc}") from None
        if ids is not None:
            raise KernelError(f"{str(p)!r} carries its own ids; do not pass ids=")
    else:
        raise KernelError(f"unsupported kernel file type {suffix!r} for {str(p)!r}; use .csv, .tsv, .txt or .npy")
    options = {"source": f"read_matrix({p.name})", **kernel_options}
    return Kernel(matrix, row_ids, label, _owned=True, **options)


def write_matrix(kernel: Kernel, path: str | os.PathLike[str]) -> Path:
    """Write a kernel's matrix: ``.csv`` with ids in index and header, or ``.npy`` + ``.ids``.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> from bayeslmm.kernels import Kernel
    >>> K = Kernel(np.eye(2), ids=["a", "b"])
    >>> write_matrix(K, pathlib.Path(tempfile.mkdtemp()) / "K.npy").suffix   # and K.ids next to it
    '.npy'
    """
    p = Path(path)
    if p.suffix.lower() == ".npy":
        np.save(p, kernel.matrix)
        p.with_suffix(".ids").write_text("\n".join(kernel.ids.tolist()) + "\n")
    elif p.suffix.lower() == ".csv":
        kernel.to_frame().to_csv(p, float_format="%.17g")
    else:
        raise KernelError(f"unsupported kernel file type {p.suffix!r}; use .csv or .npy")
    return p
