"""Positive semi-definiteness: check a kernel, report its smallest eigenvalue, act on policy.

Whatever is done (nothing, clipping, jitter) is returned as a `PSDReport` that the kernel
keeps and fit summaries print, so a correction is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
import scipy.sparse.linalg
from scipy.linalg import lapack

from bayeslmm.errors import KernelError
from bayeslmm.linalg.eigh import Eigh

__all__ = ["PSDReport", "check_psd", "DEFAULT_PSD_TOL", "PSD_POLICIES"]

DEFAULT_PSD_TOL = 1e-8
"""Relative tolerance: eigenvalues below ``-tol * mean(|diag|)`` count as negative."""

PSD_POLICIES = ("error", "clip", "jitter")
PSDPolicy = Literal["error", "clip", "jitter"]

_EXACT_BELOW = 300  # below this size the spectrum is computed exactly (cheap)


@dataclass(frozen=True)
class PSDReport:
    """What the PSD check found and what was done about it.

    Attributes
    ----------
    min_eigenvalue : float
        Smallest eigenvalue of the matrix as given (before any correction).
    action : {"none", "clipped", "jittered"}
        Correction applied.
    n_negative : int
        Number of eigenvalues below ``-threshold`` (material negatives).
    amount : float
        Jitter added to the diagonal, or the total mass of the clipped negative eigenvalues;
        0.0 when nothing was done.
    threshold : float
        Absolute tolerance used, ``tol * mean(|diag|)``.
    note : str
        Extra context, e.g. why a builder knows the matrix is PSD by construction.
    """

    min_eigenvalue: float
    action: Literal["none", "clipped", "jittered"]
    n_negative: int
    amount: float
    threshold: float = 0.0
    note: str = ""

    def describe(self) -> str:
        """One human sentence, e.g. ``"PSD: min eigenvalue -2.1e-03; clipped 3 ..."``."""
        head = f"PSD: min eigenvalue {self.min_eigenvalue:.2g}"
        if self.action == "clipped":
            body = (
                f"clipped {self.n_negative} negative eigenvalue"
                f"{'s' if self.n_negative != 1 else ''} to 0 (total {self.amount:.2g})"
            )
        elif self.action == "jittered":
            body = f"added jitter {self.amount:.2g} to the diagonal"
        else:
            body = "no correction"
        sentence = f"{head}; {body}"
        if self.note:
            sentence += f" ({self.note})"
        return sentence

    @classmethod
    def by_construction(cls, min_eigenvalue: float, note: str) -> PSDReport:
        """Report for a matrix a builder knows to be PSD (a Gram matrix, a pedigree A)."""
        return cls(float(min_eigenvalue), "none", 0, 0.0, 0.0, note)


def _validate(matrix: np.ndarray, policy: str, tol: float, label: str) -> None:
    if policy not in PSD_POLICIES:
        raise KernelError(f"psd must be one of {PSD_POLICIES}, got {policy!r}")
    if not (np.isfinite(tol) and tol >= 0):
        raise KernelError(f"PSD tolerance must be a finite number >= 0, got {tol!r}")
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise KernelError(f"{label} must be square, got shape {matrix.shape}")


def _cholesky_min_eigenvalue(matrix: np.ndarray, shift: float) -> float | None:
    """Smallest eigenvalue when ``matrix + shift I`` is positive definite, else None.

    A Cholesky factorisation (n³/3 flops) proves ``lambda_min > -shift``; the smallest
    eigenvalue is then ``1 / mu - shift`` with ``mu`` the largest eigenvalue of
    ``(matrix + shift I)^-1``, found by Lanczos with triangular solves (O(n²) each).
    """
    n = matrix.shape[0]
    work = np.array(matrix, dtype=np.float64, order="F", copy=True)
    work.flat[:: n + 1] += shift
    factor, info = lapack.dpotrf(work, lower=1, clean=0, overwrite_a=1)
    if info != 0:
        return None

    def solve(x: np.ndarray) -> np.ndarray:
        out, _ = lapack.dpotrs(factor, np.asarray(x, dtype=np.float64).ravel(), lower=1)
        return out

    operator = scipy.sparse.linalg.LinearOperator((n, n), matvec=solve, dtype=np.float64)
    v0 = np.random.default_rng(20240611).standard_normal(n)
    try:
        mu = scipy.sparse.linalg.eigsh(
            operator, k=1, which="LA", v0=v0, tol=1e-8, maxiter=max(300, n), return_eigenvectors=False
        )[0]
    except scipy.sparse.linalg.ArpackNoConvergence:
        values = scipy.linalg.eigh(
            matrix, eigvals_only=True, subset_by_index=[0, 0], driver="evr", check_finite=False
        )
        return float(values[0])
    return float(1.0 / mu - shift)


def _check_psd(
    matrix: np.ndarray,
    policy: str = "error",
    tol: float = DEFAULT_PSD_TOL,
    *,
    label: str = "matrix",
    overwrite: bool = False,
) -> tuple[np.ndarray, PSDReport, Eigh | None]:
    """`check_psd` that also returns the eigendecomposition when one was computed."""
    a = np.asarray(matrix, dtype=np.float64)
    _validate(a, policy, tol, label)
    n = a.shape[0]
    diag_scale = float(np.abs(np.diagonal(a)).mean()) if n else 0.0
    threshold = tol * (diag_scale if diag_scale > 0 else 1.0)

    if n >= _EXACT_BELOW:
        smallest = _cholesky_min_eigenvalue(a, threshold)
        if smallest is not None:
            return a, PSDReport(smallest, "none", 0, 0.0, threshold), None

    vectors = None
    if policy == "clip":
        values, vectors = scipy.linalg.eigh(a, driver="evr", check_finite=False)
    else:
        values = scipy.linalg.eigh(a, eigvals_only=True, driver="evr", check_finite=False)
    smallest = float(values[0])
    n_negative = int(np.count_nonzero(values < -threshold))
    if n_negative == 0:
        eigh = None
        if vectors is not None:
            eigh = Eigh(vectors[:, ::-1].copy(), np.clip(values[::-1], 0.0, None), n)
        return a, PSDReport(smallest, "none", 0, 0.0, threshold), eigh

    if policy == "error":
        raise KernelError(
            f"{label} is not positive semi-definite: smallest eigenvalue {smallest:.3e}, "
            f"{n_negative} eigenvalue{'s' if n_negative != 1 else ''} below "
            f"-{threshold:.1e}; pass psd='clip' (set negative eigenvalues to 0) or "
            "psd='jitter' (add to the diagonal)"
        )
    out = a if overwrite else a.copy()
    if policy == "jitter":
        amount = -smallest + threshold
        out.flat[:: n + 1] += amount
        report = PSDReport(smallest, "jittered", n_negative, float(amount), threshold)
        return out, report, None

    clipped = np.clip(values, 0.0, None)
    amount = float(-values[values < 0].sum())
    if vectors is None:  # pragma: no cover - computed above whenever policy == "clip"
        raise RuntimeError("internal error: eigenvectors missing for psd='clip'")
    rebuilt = (vectors * clipped) @ vectors.T
    out[...] = 0.5 * (rebuilt + rebuilt.T)
    eigh = Eigh(vectors[:, ::-1].copy(), clipped[::-1].copy(), n)
    return out, PSDReport(smallest, "clipped", n_negative, amount, threshold), eigh


def check_psd(
    matrix: np.ndarray,
    policy: PSDPolicy = "error",
    tol: float = DEFAULT_PSD_TOL,
    *,
    label: str = "matrix",
    overwrite: bool = False,
) -> tuple[np.ndarray, PSDReport]:
    """Check that a symmetric matrix is positive semi-definite; correct it on request.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        Symmetric matrix.
    policy : {"error", "clip", "jitter"}
        What to do when an eigenvalue is below ``-tol * mean(|diag|)``: raise
        `KernelError`, set the negative eigenvalues to 0, or add
        ``|lambda_min| + threshold`` to the diagonal.
    tol : float
        Relative tolerance (default 1e-8); rounding-level negatives are accepted.
    label : str
        Name used in the error message.
    overwrite : bool
        Allow the correction to modify ``matrix`` in place.

    Returns
    -------
    matrix : numpy.ndarray
        The matrix, corrected if the policy asked for it (the input object when nothing
        was done).
    report : PSDReport
        Smallest eigenvalue and the action taken.

    Notes
    -----
    With threshold :math:`t = \\text{tol}\\cdot\\overline{|K_{ii}|}`, a Cholesky
    factorisation of :math:`K + tI` (n³/3 flops) proves :math:`\\lambda_{\\min} > -t`;
    the smallest eigenvalue is then :math:`1/\\mu - t` with :math:`\\mu` the largest
    eigenvalue of :math:`(K + tI)^{-1}` (Lanczos, one pair of triangular solves per step).
    Only when that fails is the spectrum computed (O(n³)). Clipping rebuilds
    :math:`K = U \\max(\\Lambda, 0) U^\\top`; jitter adds :math:`(t - \\lambda_{\\min}) I`,
    so the corrected matrix has smallest eigenvalue :math:`t`.

    Examples
    --------
    >>> import numpy as np
    >>> K, report = check_psd(np.array([[1.0, 2.0], [2.0, 1.0]]), "clip")
    >>> report.describe()
    'PSD: min eigenvalue -1; clipped 1 negative eigenvalue to 0 (total 1)'
    """
    out, report, _ = _check_psd(matrix, policy, tol, label=label, overwrite=overwrite)
    return out, report
