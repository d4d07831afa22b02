"""Data checks: columns the formula uses, rows dropped for missing values, grouping factors.

Nothing is dropped silently: every dropped row is counted per column, reported in a
:class:`DroppedRowsWarning` and kept in :class:`MissingReport`.
"""

from __future__ import annotations

import io
import keyword
import tokenize
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError

__all__ = [
    "DroppedRowsWarning",
    "MissingReport",
    "formula_columns",
    "drop_missing",
    "factor_codes",
]

# Names that may appear in a formula without being columns: formulae's transforms and numpy.
_FUNCTIONS = {"C", "I", "np", "center", "scale", "standardize", "log", "exp", "sqrt", "p", "gr", "cov", "offset", "poly", "bs"}


class DroppedRowsWarning(UserWarning):
    """Rows were dropped because a used column is missing there."""


@dataclass(frozen=True)
class MissingReport:
    """Which rows were dropped before fitting, and why.

    Attributes
    ----------
    n_input, n_used
        Rows given and rows used.
    dropped_index
        Index labels (of the user's DataFrame) of the dropped rows.
    by_column
        Number of missing values in each used column (a row can count in several).
    """

    n_input: int
    n_used: int
    dropped_index: tuple
    by_column: dict[str, int]

    @property
    def n_dropped(self) -> int:
        return self.n_input - self.n_used

    def describe(self) -> str:
        """One sentence, e.g. ``"230 of 1084 rows dropped (missing: bwt 230)"``."""
        if self.n_dropped == 0:
            return f"all {self.n_input} rows used"
        why = ", ".join(f"{c} {k}" for c, k in self.by_column.items() if k)
        return f"{self.n_dropped} of {self.n_input} rows dropped (missing values: {why})"

    def as_frame(self) -> pd.DataFrame:
        """The dropped rows' index labels with the columns that were missing."""
        return pd.DataFrame({"row": list(self.dropped_index)})


def formula_columns(expressions: list[str], data: pd.DataFrame, kernels: set[str]) -> list[str]:
    """Data columns referenced by formula pieces, in order of first appearance.

    Raises :class:`FormulaError` naming an identifier that is neither a column, a known
    transform, nor a kernel name.
    """
    columns: list[str] = []
    for expr in expressions:
        for name in _identifiers(expr):
            if name in data.columns:
                if name not in columns:
                    columns.append(name)
            elif name not in _FUNCTIONS and name not in kernels and not keyword.iskeyword(name):
                close = [c for c in map(str, data.columns) if c.lower() == name.lower()]
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise FormulaError(
                    f"unknown column {name!r} in formula term {expr!r}{hint}; "
                    f"data columns are {list(map(str, data.columns))[:20]}"
                )
    return columns


def _identifiers(expr: str) -> list[str]:
    """Names in ``expr`` that are not function calls, attributes or keyword arguments."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(expr).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as err:
        raise FormulaError(f"cannot read formula term {expr!r}: {err}") from None
    names = []
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME:
            continue
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        prev = tokens[i - 1].string if i > 0 else ""
        if nxt == "(" or prev == "." or nxt == "=" or nxt == ".":
            continue
        names.append(tok.string)
    return names


def drop_missing(data: pd.DataFrame, columns: list[str], *, warn: bool = True) -> tuple[pd.DataFrame, MissingReport]:
    """Drop rows with a missing value in any of ``columns``; count and report them."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise DataError("data has no rows")
    used = data[columns]
    missing = used.isna()
    by_column = {c: int(missing[c].sum()) for c in columns}
    keep = ~missing.any(axis=1).to_numpy()
    report = MissingReport(
        n_input=len(data),
        n_used=int(keep.sum()),
        dropped_index=tuple(data.index[~keep]),
        by_column={c: k for c, k in by_column.items() if k},
    )
    if report.n_used == 0:
        raise DataError(
            f"no rows left after dropping rows with missing values ({report.describe()})"
        )
    if report.n_dropped and warn:
        warnings.warn(report.describe(), DroppedRowsWarning, stacklevel=3)
    return data.loc[keep].copy(), report


def check_finite(values: np.ndarray, what: str) -> None:
    """Raise :class:`DataError` naming the first non-finite value of ``what``."""
    bad = ~np.isfinite(values)
    if bad.any():
        pos = np.argwhere(bad)[0]
        raise DataError(
            f"{what} has {int(bad.sum())} non-finite values (first: {float(values[tuple(pos)])!r} at row {int(pos[0])})"
        )


def factor_codes(data: pd.DataFrame, factors: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and level labels of the interaction of ``factors``.

    Levels are labelled ``"a1:b2"`` for interactions; the order is the sorted order of
    first appearance-independent labels, so refits on reordered data agree.
    """
    for f in factors:
        if f not in data.columns:
            raise FormulaError(f"unknown grouping column {f!r}; data columns are {list(map(str, data.columns))[:20]}")
    labels = data[factors[0]].map(_label).astype(str)
    for f in factors[1:]:
        labels = labels + ":" + data[f].map(_label).astype(str)
    codes, levels = pd.factorize(labels, sort=True)
    return codes.astype(np.int64), np.asarray(levels, dtype=object).astype(str)


def _label(value) -> str:
    """Level label: integral floats print as integers (1029.0 -> "1029")."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)
