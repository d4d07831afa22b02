"""Distributional residuals: a second formula ``sigma ~ ...`` for the residual scale.

The API follows brms (``bf(y ~ x, sigma ~ g)``) and Bambi
(``bmb.Formula("y ~ x", "sigma ~ g")``): the model formula may be a list whose first entry
is the mean formula and whose second is ``"sigma ~ <predictors>"``::

    bl.Model(["y ~ x + (1 | site)", "sigma ~ group"], data)

No PyMC import here: the backend reads :class:`SigmaDesign` from the ``ModelSpec``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError, SpecError
from .families import Family
from .formula import _split_top_level
from .priors import Prior

__all__ = ["SigmaDesign", "split_formulas", "check_sigma_family", "build_sigma_design", "sigma_priors", "formula_text"]


@dataclass(frozen=True)
class SigmaDesign:
    """Design of the log residual sd: :math:`\\sigma_i = \\sigma_{res} \\exp(W_i \\gamma)`.

    Attributes
    ----------
    formula
        The formula as written, e.g. ``"sigma ~ group"``.
    rhs
        Its right-hand side, e.g. ``"group"``.
    W
        ``(n, r)`` design without the intercept column: row ``i`` of the reference
        covariate pattern (reference level of each factor, 0 for numeric columns) is all 0.
    columns
        Names of the ``r`` columns (``"group[B]"``, ``"x"``); the priors are named
        ``"sigma:<column>"``.
    data_columns
        Data columns the formula uses (for the per-pattern table of residual sds).

    Notes
    -----
    The intercept of the log-sd regression is not a free parameter: it is
    :math:`\\log \\sigma_{res}` with :math:`\\sigma_{res} = \\sqrt{\\pi_{res}}\\,\\tau`, the
    residual share of the total variance. The variance proportions are therefore the
    shares at the reference pattern :math:`W_i = 0`; a row with another pattern has
    residual variance :math:`\\pi_{res}\\tau^2 e^{2 W_i\\gamma}`.
    """

    formula: str
    rhs: str
    W: np.ndarray
    columns: tuple[str, ...]
    data_columns: tuple[str, ...]
    design: Any = field(default=None, repr=False, compare=False)

    @property
    def prior_names(self) -> tuple[str, ...]:
        return tuple(f"sigma:{c}" for c in self.columns)

    def matrix(self, newdata: pd.DataFrame) -> np.ndarray:
        """:math:`W` for new rows, with the levels and transforms of the fit."""
        try:
            full = np.asarray(self.design.evaluate_new_data(newdata)).astype(float)
        except Exception as err:  # formulae raises bare Exceptions for unknown levels
            raise DataError(f"cannot evaluate {self.formula!r} on new data: {err}") from None
        return full[:, 1:]


def formula_text(formula: str | Sequence[str]) -> str:
    """One line for display and provenance: ``"y ~ x + (1 | g); sigma ~ group"``."""
    if isinstance(formula, str):
        return formula
    return "; ".join(str(f) for f in formula)


def split_formulas(formula: str | Sequence[str]) -> tuple[str, str | None]:
    """Split the ``formula`` argument into the mean formula and an optional sigma formula.

    Parameters
    ----------
    formula
        A string, or a list/tuple ``[mean formula, "sigma ~ ..."]``.

    Returns
    -------
    (mean formula, sigma formula or None)

    Examples
    --------
    >>> split_formulas(["y ~ x + (1 | g)", "sigma ~ group"])
    ('y ~ x + (1 | g)', 'sigma ~ group')
    """
    if isinstance(formula, str):
        return formula, None
    if not isinstance(formula, (list, tuple)) or not formula:
        raise FormulaError(
            f"formula must be a string or a list ['y ~ ...', 'sigma ~ ...'], got {formula!r}"
        )
    bad = [f for f in formula if not isinstance(f, str)]
    if bad:
        raise FormulaError(f"every formula must be a string; got {bad[0]!r}")
    main, extra = formula[0], list(formula[1:])
    if len(extra) > 1:
        raise FormulaError(
            f"at most one extra formula ('sigma ~ ...') is supported; got {extra!r}"
        )
    if not extra:
        return main, None
    sides = _split_top_level(extra[0], "~")
    if len(sides) != 2 or sides[0].strip() != "sigma":
        raise FormulaError(
            f"the second formula must model the residual sd as 'sigma ~ predictors'; got {extra[0]!r}"
        )
    return main, extra[0]


def check_sigma_family(text: str, family: Family) -> None:
    """Raise :class:`SpecError` unless ``family`` has a residual sd to model."""
    if family.name not in ("gaussian", "student_t"):
        raise SpecError(
            f"family {family.name!r} has no residual sd, so the sigma formula {text!r} cannot be used; "
            "a sigma formula needs family 'gaussian' or 'student_t'"
        )


def build_sigma_design(text: str, data: pd.DataFrame, family: Family) -> SigmaDesign:
    """Evaluate ``sigma ~ rhs`` on the rows used by the model.

    Raises
    ------
    SpecError
        If the family has no residual sd (only ``gaussian`` and ``student_t`` have one).
    FormulaError
        If the formula has random-effect terms, no intercept, or no predictor.
    """
    from .data import formula_columns
    from .terms import evaluate_design

    check_sigma_family(text, family)
    rhs = _split_top_level(text, "~")[1].strip()
    if "|" in rhs:
        raise FormulaError(f"random effects in the sigma formula {text!r} are not supported")
    if rhs.replace(" ", "") in ("", "1"):
        raise FormulaError(
            f"sigma formula {text!r} has no predictor; leave it out for a constant residual sd"
        )
    W_full, names, design = evaluate_design(rhs, data)
    if "Intercept" not in names:
        raise FormulaError(
            f"sigma formula {text!r} must keep its intercept (the reference residual sd is "
            "sqrt(pi_res) * tau); write 'sigma ~ group', not 'sigma ~ 0 + group'"
        )
    keep = [j for j, c in enumerate(names) if c != "Intercept"]
    W = W_full[:, keep]
    constant = [names[j] for j in keep if np.ptp(W_full[:, j]) == 0]
    if constant:
        raise DataError(f"sigma formula {text!r}: column {constant[0]!r} is constant in the rows used")
    return SigmaDesign(
        formula=text,
        rhs=rhs,
        W=W,
        columns=tuple(names[j] for j in keep),
        data_columns=tuple(formula_columns([rhs], data, set())),
        design=design,
    )


def sigma_priors(design: SigmaDesign) -> dict[str, Prior]:
    """Default Normal priors of the log-sd coefficients :math:`\\gamma`, named ``sigma:<col>``.

    Notes
    -----
    An indicator column (values 0 and 1, a factor level) gets :math:`N(0, 1)`: a level's
    residual sd lies within a factor :math:`e^{\\pm 2} \\approx 7.4` of the reference with
    95% prior probability. Another column :math:`w_j` gets :math:`N(0, 1/s_{w_j}^2)`: a
    one-sd change of :math:`w_j` multiplies the residual sd by at most about :math:`e^2`.
    """
    out: dict[str, Prior] = {}
    for j, name in enumerate(design.columns):
        col = design.W[:, j]
        if np.all(np.isin(col, (0.0, 1.0))):
            out[f"sigma:{name}"] = Prior("Normal", mu=0.0, sigma=1.0, why="log sd ratio to the reference level")
        else:
            sd = float(np.std(col))
            out[f"sigma:{name}"] = Prior("Normal", mu=0.0, sigma=1.0 / sd, why="1 / sd(x): log sd change per sd of x")
    return out
