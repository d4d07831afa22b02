"""`Kernel`: a validated, scaled, named covariance matrix over ids, with its cached spectrum."""

from __future__ import annotations

import threading
from dataclasses import replace
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from bayeslmm.errors import KernelError
from bayeslmm.kernels.ids import format_ids, normalize_ids
from bayeslmm.linalg.eigh import Eigh, eigh_from_factor, eigh_of
from bayeslmm.linalg.psd import DEFAULT_PSD_TOL, PSD_POLICIES, PSDReport, _check_psd

__all__ = ["Kernel"]

_BLOCK = 512


class _EighCache:
    """Holder shared by a kernel and its renamed copies: the spectrum is computed once."""

    def __init__(self, value: Eigh | None = None) -> None:
        self.value = value
        self.lock = threading.Lock()


def _symmetrize(a: np.ndarray, sym_tol: float, label: str, ids: np.ndarray) -> None:
    """Check ``max|A - A'| <= sym_tol * max|A|`` block by block, then average in place."""
    n = a.shape[0]
    largest = float(np.abs(a).max()) if n else 0.0
    limit = sym_tol * largest
    worst, where = 0.0, (0, 0)
    for i in range(0, n, _BLOCK):
        for j in range(i, n, _BLOCK):
            upper = a[i : i + _BLOCK, j : j + _BLOCK]
            lower_t = a[j : j + _BLOCK, i : i + _BLOCK].T
            diff = np.abs(upper - lower_t)
            k = int(diff.argmax())
            if diff.flat[k] > worst:
                worst = float(diff.flat[k])
                r, c = np.unravel_index(k, diff.shape)
                where = (i + int(r), j + int(c))
    if worst > limit:
        r, c = where
        raise KernelError(
            f"{label} is not symmetric: entry ({str(ids[r])!r}, {str(ids[c])!r}) is {float(a[r, c])!r} but "
            f"({str(ids[c])!r}, {str(ids[r])!r}) is {float(a[c, r])!r}; largest difference {worst:.3g} exceeds "
            f"sym_tol * max|K| = {sym_tol:g} * {largest:.3g}"
        )
    if worst > 0:
        for i in range(0, n, _BLOCK):
            for j in range(i, n, _BLOCK):
                mean = 0.5 * (a[i : i + _BLOCK, j : j + _BLOCK] + a[j : j + _BLOCK, i : i + _BLOCK].T)
                a[i : i + _BLOCK, j : j + _BLOCK] = mean
                a[j : j + _BLOCK, i : i + _BLOCK] = mean.T


def _as_matrix(matrix: Any, copy: bool, label: str) -> np.ndarray:
    try:
        a = np.array(matrix, dtype=np.float64, order="C", copy=copy or None)
    except (TypeError, ValueError) as exc:
        raise KernelError(f"{label} cannot be converted to a float matrix: {exc}") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise KernelError(f"{label} must be a square 2-D matrix, got shape {a.shape}")
    if a.shape[0] == 0:
        raise KernelError(f"{label} is empty (shape {a.shape})")
    return a


class Kernel:
    """A named covariance (relationship) matrix over a set of ids.

    Parameters
    ----------
    matrix : array_like or pandas.DataFrame, shape (n, n)
        Square, symmetric, finite matrix. A DataFrame may supply the ids as its index
        (its columns must then list the same ids).
    ids : sequence, optional
        One unique id per row; normalized with `normalize_ids`. Required unless ``matrix``
        is a DataFrame.
    name : str, optional
        Label used in summaries (``gr(animal, cov=NAME)`` uses the dict key instead).
    psd : {"error", "clip", "jitter"}
        Action when the matrix has eigenvalues below ``-1e-8 * mean(|diag|)``: raise,
        set them to 0, or add ``|lambda_min| + threshold`` to the diagonal. The smallest
        eigenvalue and the action are recorded in `psd` either way.
    scale : bool
        Divide by the mean diagonal so that variance proportions are comparable between
        kernels (default). The divisor is recorded in `scale`.
    sym_tol : float
        Symmetry tolerance, relative: ``max|K - K'| <= sym_tol * max|K|``. The matrix is
        then made exactly symmetric by averaging with its transpose.
    factor : array_like, shape (n, m), optional
        Low-rank factor ``W`` with ``matrix == W @ W.T`` (before scaling). Checked with a
        random probe; divided by ``sqrt(scale)`` along with the matrix.
    source : str
        How the kernel was built, shown in summaries.
    info : mapping, optional
        Builder metadata (e.g. ``inbreeding`` for a pedigree kernel), read-only.

    Attributes
    ----------
    matrix : numpy.ndarray
        Read-only float64 matrix after scaling and PSD handling.
    ids : numpy.ndarray of str
    n : int
    scale : float
        Divisor applied (the mean diagonal before scaling; 1.0 when ``scale=False``).
    psd : PSDReport
    factor : numpy.ndarray or None
    source : str

    Notes
    -----
    With scaling, :math:`K = K_{raw} / c` with :math:`c = \\operatorname{tr}(K_{raw}) / n`;
    then :math:`\\operatorname{tr}(K)/n = 1` and a variance component
    :math:`\\sigma^2_k K` contributes :math:`\\sigma^2_k` to the average variance of an
    observation, so proportions of different kernels are on one scale.

    The eigendecomposition (`eigh`) is computed on first use, from a thin SVD of `factor`
    when it has fewer columns than rows (O(n m²)), else by a full ``syevr`` (O(n³)); it is
    shared by renamed copies (`with_name`) and every model using the kernel.

    Examples
    --------
    >>> import numpy as np
    >>> K = Kernel(np.array([[2.0, 1.0], [1.0, 2.0]]), ids=[1, 2], name="K")
    >>> K.scale, K.matrix.tolist(), K.align(["2", 1.0]).tolist()
    (2.0, [[1.0, 0.5], [0.5, 1.0]], [1, 0])
    """

    def __init__(
        self,
        matrix: Any,
        ids: Iterable[Any] | None = None,
        name: str | None = None,
        *,
        psd: str = "error",
        scale: bool = True,
        sym_tol: float = 1e-8,
        factor: np.ndarray | None = None,
        source: str = "matrix",
        info: Mapping[str, Any] | None = None,
        _owned: bool = False,
        _psd_report: PSDReport | None = None,
    ) -> None:
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise KernelError(f"kernel name must be a non-empty string or None, got {name!r}")
        label = f"kernel {name!r}" if name else "kernel matrix"
        if psd not in PSD_POLICIES:
            raise KernelError(f"psd must be one of {PSD_POLICIES}, got {psd!r}")
        if not (isinstance(sym_tol, (int, float)) and np.isfinite(sym_tol) and sym_tol >= 0):
            raise KernelError(f"sym_tol must be a finite number >= 0, got {sym_tol!r}")
        if isinstance(matrix, pd.DataFrame):
            if ids is None:
                ids = matrix.index
                if not np.array_equal(normalize_ids(matrix.columns), normalize_ids(matrix.index)):
                    raise KernelError(f"{label}: DataFrame columns do not list the same ids as its index")
            matrix = matrix.to_numpy()
        if ids is None:
            raise KernelError(f"{label}: ids are required (one per row)")

        a = _as_matrix(matrix, copy=not _owned, label=label)
        n = a.shape[0]
        norm_ids = normalize_ids(ids)
        if norm_ids.shape[0] != n:
            raise KernelError(f"{label} has {n} rows but {norm_ids.shape[0]} ids were given")
        uniques, counts = np.unique(norm_ids, return_counts=True)
        if uniques.shape[0] != n:
            dup = uniques[counts > 1]
            raise KernelError(f"{label}: ids must be unique; duplicated: {format_ids(dup)}")
        bad = ~np.isfinite(a)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise KernelError(
                f"{label} has {int(bad.sum())} non-finite entries, e.g. "
                f"({str(norm_ids[r])!r}, {str(norm_ids[c])!r}) = {float(a[r, c])!r}"
            )
        _symmetrize(a, float(sym_tol), label, norm_ids)

        w = self._check_factor(factor, a, n, label)
        cached: Eigh | None = None
        if _psd_report is not None:
            report = _psd_report
        elif w is not None and w.shape[1] < n:
            report = PSDReport.by_construction(
                0.0, f"K = W W' with {w.shape[1]} < {n} columns: PSD by construction, singular"
            )
        else:
            a, report, cached = _check_psd(a, psd, DEFAULT_PSD_TOL, label=label, overwrite=True)
            if report.action != "none":
                w = None

        divisor = 1.0
        if scale:
            divisor = float(np.diagonal(a).mean())
            if not (np.isfinite(divisor) and divisor > 0):
                raise KernelError(
                    f"{label} has mean diagonal {divisor!r}; it cannot be scaled to mean "
                    "diagonal 1 (pass scale=False to keep it as is)"
                )
            if divisor != 1.0:
                a /= divisor
                if w is not None:
                    w /= np.sqrt(divisor)
                report = replace(
                    report,
                    min_eigenvalue=report.min_eigenvalue / divisor,
                    amount=report.amount / divisor,
                    threshold=report.threshold / divisor,
                )
                if cached is not None:
                    cached = Eigh(cached.vectors, cached.values / divisor, cached.n)
        if w is not None:
            w.setflags(write=False)
        a.setflags(write=False)

        self.matrix: np.ndarray = a
        self.ids: np.ndarray = norm_ids
        self.ids.setflags(write=False)
        self.name: str | None = name
        self.n: int = n
        self.scale: float = divisor
        self.psd: PSDReport = report
        self.factor: np.ndarray | None = w
        self.source: str = str(source)
        self.info: Mapping[str, Any] = MappingProxyType(dict(info or {}))
        self._cache = _EighCache(cached)
        self._positions: dict[str, int] | None = None

    @staticmethod
    def _check_factor(factor: Any, a: np.ndarray, n: int, label: str) -> np.ndarray | None:
        if factor is None:
            return None
        try:
            w = np.array(factor, dtype=np.float64, order="C", copy=True)
        except (TypeError, ValueError) as exc:
            raise KernelError(f"{label}: factor cannot be converted to floats: {exc}") from None
        if w.ndim != 2 or w.shape[0] != n:
            raise KernelError(f"{label}: factor must have shape ({n}, m), got {w.shape}")
        if not np.all(np.isfinite(w)):
            raise KernelError(f"{label}: factor contains non-finite values")
        probe = np.random.default_rng(7).standard_normal(n)
        direct = a @ probe
        via_factor = w @ (w.T @ probe)
        error = float(np.abs(direct - via_factor).max())
        if error > 1e-6 * max(float(np.abs(direct).max()), 1e-300):
            raise KernelError(
                f"{label}: factor W does not reproduce the matrix (max |K v - W W'v| = {error:.3g} "
                "for a random probe v)"
            )
        return w

    @property
    def eigh(self) -> Eigh:
        """Eigendecomposition, computed on first access and shared by renamed copies."""
        cache = self._cache
        if cache.value is None:
            with cache.lock:
                if cache.value is None:
                    label = f"kernel {self.name!r}" if self.name else "kernel matrix"
                    if self.factor is not None and self.factor.shape[1] < self.n:
                        cache.value = eigh_from_factor(self.factor, label=label)
                    else:
                        cache.value = eigh_of(self.matrix, label=label)
        return cache.value

    @property
    def has_eigh(self) -> bool:
        """True once the eigendecomposition has been computed."""
        return self._cache.value is not None

    def align(self, levels: Iterable[Any]) -> np.ndarray:
        """Positions in `ids` of each level (normalized), for indexing ``matrix``.

        Parameters
        ----------
        levels : sequence
            Levels of the id column in the data (any scalar type; matched after
            `normalize_ids`). Ids of the kernel absent from ``levels`` are simply not
            indexed: they stay in the kernel for prediction of unobserved individuals.

        Returns
        -------
        numpy.ndarray of int
            ``positions[i]`` is the row of ``levels[i]`` in the kernel.

        Raises
        ------
        KernelError
            When some levels are not kernel ids, listing up to 10 of them and the count.
        """
        if self._positions is None:
            self._positions = {key: i for i, key in enumerate(self.ids.tolist())}
        wanted = normalize_ids(levels)
        positions = self._positions
        out = np.fromiter((positions.get(k, -1) for k in wanted.tolist()), dtype=np.intp, count=wanted.shape[0])
        missing_mask = out < 0
        if missing_mask.any():
            missing = list(dict.fromkeys(wanted[missing_mask].tolist()))
            label = f"kernel {self.name!r}" if self.name else "the kernel"
            raise KernelError(
                f"{len(missing)} id{'s' if len(missing) != 1 else ''} in the data "
                f"{'are' if len(missing) != 1 else 'is'} not in {label} ({self.n} ids): "
                f"{format_ids(missing)}"
            )
        return out

    def with_name(self, name: str | None) -> Kernel:
        """The same kernel under another name; arrays and the cached `eigh` are shared."""
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise KernelError(f"kernel name must be a non-empty string or None, got {name!r}")
        clone = object.__new__(Kernel)
        clone.__dict__.update(self.__dict__)
        clone.name = name
        return clone

    def describe(self) -> dict[str, Any]:
        """Summary for fit reports: name, n, scale, PSD sentence, source, factor, rank."""
        out: dict[str, Any] = {
            "name": self.name,
            "n": self.n,
            "scale": self.scale,
            "psd": self.psd.describe(),
            "source": self.source,
            "has_factor": self.factor is not None,
        }
        if self.factor is not None:
            out["factor_columns"] = int(self.factor.shape[1])
        if self.has_eigh:
            out["rank"] = self.eigh.rank
        return out

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame with ids as index and columns."""
        return pd.DataFrame(self.matrix, index=self.ids, columns=self.ids)

    def __repr__(self) -> str:
        return (
            f"Kernel(name={self.name!r}, n={self.n}, scale={self.scale:.4g}, "
            f"source={self.source!r}, psd={self.psd.action!r}"
            f"{', factor=' + str(self.factor.shape[1]) + ' columns' if self.factor is not None else ''})"
        )
