"""The cached eigendecomposition of a kernel: one frozen, validated `Eigh` dataclass.

Likelihood strategies rotate data by the eigenvectors of a kernel (``y* = U'y``); the
decomposition is the expensive step (O(n³), about 100 s at n = 10,000 on two cores), so it
is computed once per kernel, checked once here, and passed around as this object instead of
a bare ``(Q, S)`` tuple.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from bayeslmm.errors import KernelError

__all__ = ["Eigh", "eigh_of", "eigh_from_factor", "DEFAULT_RTOL"]

DEFAULT_RTOL = 1e-10
"""Eigenvalues at or below ``DEFAULT_RTOL * max(values)`` count as zero in `Eigh.rank`."""

_NEGATIVE_RTOL = 1e-8
"""Negative eigenvalues down to ``-_NEGATIVE_RTOL * max(|values|, 1)`` are rounding and set to 0."""


@dataclass(frozen=True)
class Eigh:
    """Eigendecomposition ``K = V diag(values) V'`` of a positive semi-definite kernel.

    Parameters
    ----------
    vectors : numpy.ndarray, shape (n, k)
        Orthonormal eigenvectors in columns. ``k == n`` for a complete decomposition;
        ``k < n`` for a thin one (from a low-rank factor), whose missing directions have
        eigenvalue 0.
    values : numpy.ndarray, shape (k,)
        Eigenvalues, non-negative and in descending order.
    n : int
        Dimension of the kernel.

    Notes
    -----
    For a thin decomposition the kernel is :math:`K = V_k \\Lambda_k V_k^\\top` and the
    orthogonal complement of :math:`\\operatorname{span}(V_k)` is its null space: a
    likelihood strategy gives those :math:`n - k` directions the residual variance only.
    Both arrays are made read-only so the cached object can be shared between models.
    """

    vectors: np.ndarray
    values: np.ndarray
    n: int

    def __post_init__(self) -> None:
        vectors = np.asarray(self.vectors, dtype=np.float64)
        values = np.asarray(self.values, dtype=np.float64)
        if vectors.ndim != 2:
            raise KernelError(f"Eigh vectors must be 2-D, got shape {vectors.shape}")
        if values.ndim != 1 or values.shape[0] != vectors.shape[1]:
            raise KernelError(
                f"Eigh values of shape {values.shape} do not match vectors of shape "
                f"{vectors.shape} (need one value per column)"
            )
        if vectors.shape[0] != self.n or vectors.shape[1] > self.n:
            raise KernelError(f"Eigh vectors of shape {vectors.shape} do not fit n = {self.n}")
        if not np.all(np.isfinite(values)):
            raise KernelError("Eigh values contain non-finite entries")
        if values.size and values.min() < 0:
            raise KernelError(f"Eigh values must be >= 0; smallest is {values.min():.3e}")
        if values.size > 1 and np.any(np.diff(values) > 0):
            raise KernelError("Eigh values must be sorted in descending order")
        vectors.setflags(write=False)
        values.setflags(write=False)
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "n", int(self.n))

    @property
    def k(self) -> int:
        """Number of stored eigenpairs."""
        return int(self.values.shape[0])

    @property
    def rank(self) -> int:
        """Number of eigenvalues above ``DEFAULT_RTOL * max(values)``."""
        return self.rank_at(DEFAULT_RTOL)

    def rank_at(self, rtol: float) -> int:
        """Number of eigenvalues above ``rtol * max(values)``.

        Parameters
        ----------
        rtol : float
            Relative threshold, non-negative.
        """
        if not rtol >= 0:
            raise KernelError(f"rtol must be >= 0, got {rtol!r}")
        if self.k == 0 or self.values[0] <= 0:
            return 0
        return int(np.count_nonzero(self.values > rtol * self.values[0]))

    @property
    def complete(self) -> bool:
        """True when every one of the ``n`` eigenpairs is stored."""
        return self.k == self.n

    def trace_fraction(self, k: int) -> float:
        """Fraction of the trace kept by the ``k`` largest eigenvalues.

        Parameters
        ----------
        k : int
            Number of leading eigenvalues, ``0 <= k``; values past ``self.k`` add nothing.

        Notes
        -----
        :math:`\\sum_{i \\le k} \\lambda_i / \\sum_i \\lambda_i`; 1.0 for a zero kernel.
        """
        if int(k) != k or k < 0:
            raise KernelError(f"k must be a non-negative integer, got {k!r}")
        total = float(self.values.sum())
        if total <= 0:
            return 1.0
        return float(self.values[: int(k)].sum() / total)

    def reconstruct(self) -> np.ndarray:
        """Dense ``V diag(values) V'`` (O(n² k); for tests and small kernels)."""
        return (self.vectors * self.values) @ self.vectors.T

    def __repr__(self) -> str:
        kind = "complete" if self.complete else "thin"
        return f"Eigh(n={self.n}, k={self.k}, rank={self.rank}, {kind})"


def _clean_values(values: np.ndarray, label: str) -> np.ndarray:
    """Sort descending and zero rounding-level negatives; error on material negatives."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise KernelError(f"eigendecomposition of {label} produced non-finite eigenvalues")
    scale = max(float(np.abs(values).max(initial=0.0)), 1.0)
    smallest = float(values.min(initial=0.0))
    if smallest < -_NEGATIVE_RTOL * scale:
        raise KernelError(
            f"{label} is not positive semi-definite: smallest eigenvalue {smallest:.3e}; "
            "build the Kernel with psd='clip' or psd='jitter' first"
        )
    return np.clip(values, 0.0, None)


def eigh_of(matrix: np.ndarray, *, label: str = "matrix") -> Eigh:
    """Complete eigendecomposition of a symmetric positive semi-definite matrix.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        Symmetric PSD matrix (only its lower triangle is read).
    label : str, optional
        How to name the matrix in error messages.

    Returns
    -------
    Eigh
        Complete decomposition, eigenvalues descending, rounding-level negatives set to 0.

    Notes
    -----
    LAPACK ``syevr`` (``scipy.linalg.eigh(driver="evr")``) costs O(n³). Eigenvalues below
    :math:`-10^{-8} \\max(|\\lambda|_{\\max}, 1)` raise `KernelError`: a kernel must pass
    its PSD handling (`bayeslmm.linalg.check_psd`) before it is decomposed.
    """
    a = np.asarray(matrix, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise KernelError(f"{label} must be a square 2-D array, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise KernelError(f"{label} contains non-finite values")
    values, vectors = scipy.linalg.eigh(a, driver="evr", check_finite=False)
    values = _clean_values(values[::-1], label)
    return Eigh(vectors=np.ascontiguousarray(vectors[:, ::-1]), values=values, n=a.shape[0])


GRAM_MIN_RATIO = 1e-6
"""Smallest eigenvalue ratio of :math:`W'W` for which the Gram route is used (else a thin SVD)."""


def eigh_from_factor(W: np.ndarray, *, label: str = "factor") -> Eigh:
    """Eigendecomposition of ``K = W W'`` from the factor ``W``, never forming ``K``.

    Parameters
    ----------
    W : array_like, shape (n, m)
        Low-rank factor; typically ``m < n`` (markers, features).
    label : str, optional
        How to name the factor in error messages.

    Returns
    -------
    Eigh
        Thin when ``m < n``: ``vectors = U`` (n, m), ``values = s**2``.

    Notes
    -----
    With :math:`W = U S V^\\top`, :math:`W W^\\top = U S^2 U^\\top`. For ``m < n`` the
    decomposition goes through the m x m Gram matrix: :math:`W^\\top W = V S^2 V^\\top`
    (one ``syrk`` and an m x m ``eigh``), then :math:`U = W V S^{-1}`. That is O(n m²) like
    a thin SVD but about 3x faster (n = 10,000, m = 5,000 on 2 cores: see
    docs/benchmarks.md). Squaring W squares its condition number, so the Gram route is
    used only when every eigenvalue of :math:`W^\\top W` is above :data:`GRAM_MIN_RATIO`
    times the largest (the relative error of a column of U is then below about 1e-10);
    otherwise, and when ``m >= n``, a thin SVD gives the decomposition.
    """
    w = np.asarray(W, dtype=np.float64)
    if w.ndim != 2:
        raise KernelError(f"{label} must be 2-D (n x m), got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise KernelError(f"{label} contains non-finite values")
    n, m = w.shape
    if 0 < m < n:
        gram = scipy.linalg.blas.dsyrk(1.0, w, trans=1, lower=1)  # W'W, lower triangle
        values, vectors = scipy.linalg.eigh(gram, lower=True, check_finite=False, overwrite_a=True)
        if values[0] > GRAM_MIN_RATIO * values[-1]:
            values, vectors = values[::-1], vectors[:, ::-1]
            u = (w @ vectors) / np.sqrt(values)
            return Eigh(vectors=np.ascontiguousarray(u), values=values, n=n)
    try:
        u, s, _ = scipy.linalg.svd(w, full_matrices=False, check_finite=False)
    except np.linalg.LinAlgError:
        u, s, _ = scipy.linalg.svd(
            w, full_matrices=False, check_finite=False, lapack_driver="gesvd"
        )
    return Eigh(vectors=np.ascontiguousarray(u), values=s**2, n=n)
