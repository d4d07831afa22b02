"""Low-rank helpers on `Eigh`: truncation by trace fraction and factors ``W`` with K ≈ W W'."""

from __future__ import annotations

import numpy as np

from bayeslmm.errors import KernelError
from bayeslmm.linalg.eigh import Eigh

__all__ = ["truncate", "factor_of", "n_for_trace_fraction"]


def n_for_trace_fraction(eigh: Eigh, trace_fraction: float) -> int:
    """Smallest ``k`` whose leading eigenvalues keep at least ``trace_fraction`` of the trace.

    Parameters
    ----------
    eigh : Eigh
        Decomposition, values descending.
    trace_fraction : float
        Target in ``(0, 1]``.
    """
    if not (0.0 < trace_fraction <= 1.0):
        raise KernelError(f"trace_fraction must be in (0, 1], got {trace_fraction!r}")
    total = float(eigh.values.sum())
    if total <= 0:
        return 0
    cumulative = np.cumsum(eigh.values) / total
    # a small slack so that trace_fraction=1.0 does not fail on rounding
    k = int(np.searchsorted(cumulative, trace_fraction - 1e-12, side="left")) + 1
    return min(k, eigh.k)


def truncate(eigh: Eigh, trace_fraction: float) -> Eigh:
    """Keep the fewest leading eigenpairs that carry ``trace_fraction`` of the trace.

    Parameters
    ----------
    eigh : Eigh
        Complete or thin decomposition.
    trace_fraction : float
        Target in ``(0, 1]``, e.g. 0.99.

    Returns
    -------
    Eigh
        Thin decomposition with ``k`` columns.

    Notes
    -----
    :math:`k = \\min\\{j : \\sum_{i\\le j}\\lambda_i \\ge f \\sum_i \\lambda_i\\}`. A GRM of
    independent markers compresses poorly (99% of its trace needs about 77% of the
    eigenvectors), so truncation suits secondary kernels, not the main one.
    """
    k = n_for_trace_fraction(eigh, trace_fraction)
    return Eigh(vectors=eigh.vectors[:, :k].copy(), values=eigh.values[:k].copy(), n=eigh.n)


def factor_of(eigh: Eigh, *, rtol: float = 1e-10) -> np.ndarray:
    """Factor ``W = V sqrt(values)`` (n x r) over the eigenvalues above ``rtol * max``.

    Notes
    -----
    :math:`W W^\\top = V_r \\Lambda_r V_r^\\top`, equal to the kernel up to the dropped
    (numerically zero) eigenvalues.
    """
    r = eigh.rank_at(rtol)
    return eigh.vectors[:, :r] * np.sqrt(eigh.values[:r])
