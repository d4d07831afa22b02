"""Random-effect terms with their design: predictors Z, level index, and kernel alignment."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import formulae
import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError, KernelError
from .data import factor_codes
from .formula import RandomTermFormula

__all__ = ["GroupTerm", "build_group_term", "evaluate_design"]


@dataclass(frozen=True)
class GroupTerm:
    """A random-effect term ``(expr | group)`` evaluated on the data.

    The term contributes :math:`\\sum_c Z_{ic} u_{j[i], c}` to the linear predictor of row
    :math:`i`, with :math:`u_j \\sim N(0, \\Sigma)` across levels (iid terms) or
    :math:`\\text{vec}(u) \\sim N(0, \\Sigma \\otimes K)` for a kernel term.

    Attributes
    ----------
    formula
        The parsed ``(expr | group)`` block.
    columns
        Names of the coefficients: ``"Intercept"`` and slope columns.
    Z
        ``(n, q)`` predictor values per row.
    index
        ``(n,)`` level of each row (position in ``levels``).
    levels
        Level labels. For a kernel term: all kernel ids, including ids without data.
    x_scale
        ``(q,)`` sd of each predictor column (1 for the intercept), for slope priors.
    """

    formula: RandomTermFormula
    columns: tuple[str, ...]
    Z: np.ndarray
    index: np.ndarray
    levels: np.ndarray
    x_scale: np.ndarray
    key: str = ""
    design: Any = field(repr=False, compare=False, default=None)

    @property
    def group(self) -> str:
        return self.formula.group

    @property
    def kernel(self) -> str | None:
        return self.formula.kernel

    @property
    def correlated(self) -> bool:
        return self.formula.correlated and len(self.columns) > 1

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def components(self) -> tuple[str, ...]:
        """Variance-component labels of this term, e.g. ``("1|Subject", "Days|Subject")``."""
        return tuple(f"{_coef_label(c)}|{self.group}" for c in self.columns)

    @property
    def is_intercept_only(self) -> bool:
        return self.columns == ("Intercept",)


def _coef_label(column: str) -> str:
    return "1" if column == "Intercept" else column


def evaluate_design(expr: str, data: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...], Any]:
    """Evaluate a one-sided formulae expression; return matrix, column names, design."""
    try:
        dm = formulae.design_matrices(expr, data)
    except Exception as err:  # formulae raises bare Exceptions, KeyErrors and ParseErrors
        raise FormulaError(f"cannot evaluate formula term {expr!r}: {err}") from None
    if dm.common is None:
        raise FormulaError(f"formula term {expr!r} has no columns")
    frame = dm.common.as_dataframe()
    return np.asarray(frame, dtype=float), tuple(map(str, frame.columns)), dm.common


def build_group_term(
    term: RandomTermFormula, data: pd.DataFrame, kernels: Mapping[str, Any], key: str = "term"
) -> GroupTerm:
    """Evaluate ``term`` on ``data`` (rows already cleaned of missing values).

    Raises
    ------
    DataError
        If an iid grouping factor has a single level (its variance is not identified).
    KernelError
        If ``gr(id, cov=K)`` names an unknown kernel or ids are missing from the kernel.
    """
    Z, columns, design = evaluate_design(term.expr, data)
    if term.kernel is None:
        index, levels = factor_codes(data, term.factors)
        if len(levels) < 2:
            raise DataError(
                f"grouping factor {term.group!r} has a single level ({str(levels[0])!r}) in the rows used; "
                "a random effect needs at least two levels"
            )
    else:
        if term.kernel not in kernels:
            raise KernelError(
                f"formula term gr({term.factors[0]}, cov={term.kernel}) names kernel {term.kernel!r}, "
                f"but kernels has {sorted(kernels) or 'no entries'}"
            )
        column = term.factors[0]
        if column not in data.columns:
            raise FormulaError(f"unknown id column {column!r} in gr({column}, cov={term.kernel})")
        kernel = kernels[term.kernel]
        index = np.asarray(kernel.align(data[column].to_numpy()), dtype=np.int64)
        levels = np.asarray(kernel.ids).astype(str)
    sds = Z.std(axis=0)
    x_scale = np.where((sds > 0) & (np.array(columns) != "Intercept"), sds, 1.0)
    return GroupTerm(term, columns, Z, index, levels, x_scale, key=key, design=design)


def term_keys(terms: list[RandomTermFormula]) -> list[str]:
    """Unique identifier-safe names for terms (``"Subject"``, ``"gr_animal_A"``, ``"g_2"``)."""
    keys: list[str] = []
    for t in terms:
        base = "_".join(t.factors) + (f"_{t.kernel}" if t.kernel else "")
        base = re.sub(r"\W+", "_", base).strip("_") or "term"
        key, i = base, 2
        while key in keys:
            key, i = f"{base}_{i}", i + 1
        keys.append(key)
    return keys


def check_kernel_type(kernels: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate the ``kernels`` argument: a mapping of names to :class:`~bayeslmm.Kernel`."""
    from ..kernels import Kernel

    if kernels is None:
        return {}
    if not isinstance(kernels, Mapping):
        raise KernelError(f"kernels must be a dict name -> Kernel, got {type(kernels).__name__}")
    out = {}
    for name, k in kernels.items():
        if not isinstance(k, Kernel):
            raise KernelError(
                f"kernel {name!r} is a {type(k).__name__}; wrap matrices as bl.Kernel(matrix, ids)"
            )
        out[str(name)] = k if k.name == name else k.with_name(str(name))
    return out
