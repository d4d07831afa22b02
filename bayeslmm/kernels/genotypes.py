"""Genotype sources (array, DataFrame, PLINK .bed) and the blockwise standardised cross-product.

Everything reads markers in column blocks, so a genotype matrix is never copied whole:
each block is converted to float64, centred (and scaled), and added to ``Z Z'`` with one
BLAS ``syrk`` call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg.blas import dsyrk

from bayeslmm.errors import KernelError
from bayeslmm.kernels.ids import normalize_ids

__all__ = ["GenotypeSource", "open_genotypes", "MarkerStats", "accumulate_crossproduct", "fill_lower"]

GRM_METHODS = ("vanraden", "standardized")
DEFAULT_BLOCK = 4096


class GenotypeSource(ABC):
    """n x m genotypes read by column blocks; subclasses wrap an array or a .bed file."""

    n: int
    m: int
    ids: np.ndarray
    chromosomes: np.ndarray | None = None
    may_have_missing: bool = True
    label: str = "genotypes"

    @abstractmethod
    def block(self, columns: slice | np.ndarray) -> np.ndarray:
        """Columns as a fresh, writable, Fortran-ordered float64 array (n x b)."""


class _ArraySource(GenotypeSource):
    def __init__(self, array: np.ndarray, ids: np.ndarray, label: str) -> None:
        self.array = array
        self.n, self.m = array.shape
        self.ids = ids
        self.may_have_missing = array.dtype.kind == "f"
        self.label = label

    def block(self, columns: slice | np.ndarray) -> np.ndarray:
        return np.array(self.array[:, columns], dtype=np.float64, order="F", copy=True)


class _BedSource(GenotypeSource):
    def __init__(self, path: Path, ids: np.ndarray | None) -> None:
        try:
            from bed_reader import open_bed
        except ImportError:  # pragma: no cover - depends on the environment
            raise KernelError(
                "reading PLINK .bed files needs the bed-reader package: "
                "pip install 'bayeslmm[genomics]' (or pip install bed-reader)"
            ) from None
        self.bed = open_bed(path)
        self.n, self.m = self.bed.iid_count, self.bed.sid_count
        self.ids = normalize_ids(self.bed.iid) if ids is None else ids
        if self.ids.shape[0] != self.n:
            raise KernelError(f"{path} has {self.n} samples but {self.ids.shape[0]} ids were given")
        self.chromosomes = np.asarray(self.bed.chromosome).astype(str)
        self.label = str(path)

    def block(self, columns: slice | np.ndarray) -> np.ndarray:
        return self.bed.read(index=np.s_[:, columns], dtype="float64", order="F")


def _bed_path(value: str | os.PathLike[str]) -> Path | None:
    path = Path(value)
    candidates = [path] if path.suffix == ".bed" else [path.with_name(path.name + ".bed"), path]
    for candidate in candidates:
        if candidate.suffix == ".bed" and candidate.is_file():
            return candidate
    return None


def open_genotypes(genotypes: Any, ids: Any = None) -> GenotypeSource:
    """Wrap an n x m array, a DataFrame (index = ids) or a PLINK prefix as a source.

    Parameters
    ----------
    genotypes : numpy.ndarray, pandas.DataFrame, str or os.PathLike
        0/1/2 allele counts (dosages in [0, 2] accepted; NaN = missing), samples in rows;
        or the prefix (or ``.bed`` path) of a PLINK 1 binary fileset; a `GenotypeSource`
        (e.g. the sample subset a GWAS scan reads) is returned as it is.
    ids : sequence, optional
        Sample ids; default: the DataFrame index, the .fam iids, or ``0..n-1`` for arrays.
    """
    if isinstance(genotypes, GenotypeSource):
        if ids is not None:
            raise KernelError(f"{genotypes.label} is a GenotypeSource with its own ids; do not pass ids=")
        return genotypes
    norm_ids = None if ids is None else normalize_ids(ids)
    if isinstance(genotypes, (str, os.PathLike)):
        path = _bed_path(genotypes)
        if path is None:
            raise KernelError(f"no PLINK .bed file found for {str(genotypes)!r} (tried prefix.bed)")
        return _BedSource(path, norm_ids)
    if isinstance(genotypes, pd.DataFrame):
        if norm_ids is None:
            norm_ids = normalize_ids(genotypes.index)
        try:
            array = genotypes.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise KernelError(f"genotype DataFrame has non-numeric columns: {exc}") from None
        label = "genotype DataFrame"
    else:
        array = np.asarray(genotypes)
        label = "genotype matrix"
        if array.dtype.kind not in "iufb":
            raise KernelError(f"genotypes must be numeric 0/1/2, got dtype {array.dtype}")
    if array.ndim != 2:
        raise KernelError(f"{label} must be 2-D (samples x markers), got shape {array.shape}")
    n, m = array.shape
    if n < 2 or m < 1:
        raise KernelError(f"{label} needs at least 2 samples and 1 marker, got shape {array.shape}")
    if norm_ids is None:
        norm_ids = np.arange(n).astype(str)
    if norm_ids.shape[0] != n:
        raise KernelError(f"{label} has {n} rows but {norm_ids.shape[0]} ids were given")
    return _ArraySource(array, norm_ids, label)


@dataclass
class MarkerStats:
    """Counts gathered while standardising markers (reported in the kernel source)."""

    n_markers: int = 0
    n_used: int = 0
    n_missing: int = 0
    n_monomorphic: int = 0
    n_maf_filtered: int = 0
    denominator: float = 0.0
    kept_columns: list[np.ndarray] = field(default_factory=list, repr=False)

    def describe(self) -> str:
        text = f"{self.n_used} of {self.n_markers} markers"
        if self.n_missing:
            text += f", {self.n_missing} missing genotypes mean-imputed"
        if self.n_monomorphic:
            text += f", {self.n_monomorphic} monomorphic dropped"
        if self.n_maf_filtered:
            text += f", {self.n_maf_filtered} below maf_min dropped"
        return text


def _standardize(
    z: np.ndarray, source: GenotypeSource, chunk: np.ndarray, method: str, maf_min: float, stats: MarkerStats
) -> np.ndarray:
    """Centre (and scale) a float64 block in place; drop monomorphic / rare markers."""
    n = z.shape[0]
    sums = z.sum(axis=0)
    missing_cols = np.flatnonzero(np.isnan(sums)) if source.may_have_missing else np.array([], int)
    counts = np.full(z.shape[1], float(n))
    mask = None
    if missing_cols.size:
        mask = np.isnan(z[:, missing_cols])
        n_miss = mask.sum(axis=0)
        counts[missing_cols] = n - n_miss
        sums[missing_cols] = np.nansum(z[:, missing_cols], axis=0)
        stats.n_missing += int(n_miss.sum())
        low, high = np.nanmin(z), np.nanmax(z)
    else:
        low, high = z.min(), z.max()
    if low < 0 or high > 2:
        bad = np.argwhere((z < 0) | (z > 2))[0]
        raise KernelError(
            f"{source.label}: genotypes must be allele counts in [0, 2] (NaN for missing); "
            f"sample {str(source.ids[bad[0]])!r}, marker {int(chunk[bad[1]])} has {float(z[bad[0], bad[1]])!r}"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        p = sums / (2.0 * counts)
    maf = np.minimum(p, 1.0 - p)
    polymorphic = (counts > 0) & (maf > 0)
    keep = polymorphic & (maf >= maf_min)
    stats.n_markers += z.shape[1]
    stats.n_monomorphic += int((~polymorphic).sum())
    stats.n_maf_filtered += int((polymorphic & ~keep).sum())
    if mask is not None:
        z[:, missing_cols] = np.where(mask, 2.0 * p[missing_cols], z[:, missing_cols])
    if not keep.all():
        z = np.asfortranarray(z[:, keep])
        p = p[keep]
    stats.kept_columns.append(chunk[keep])
    stats.n_used += z.shape[1]
    z -= 2.0 * p
    pq2 = 2.0 * p * (1.0 - p)
    if method == "standardized":
        z *= 1.0 / np.sqrt(pq2)
        stats.denominator += z.shape[1]
    else:
        stats.denominator += float(pq2.sum())
    return z


def accumulate_crossproduct(
    source: GenotypeSource,
    columns: np.ndarray | None = None,
    *,
    method: str = "vanraden",
    maf_min: float = 0.0,
    block_size: int = DEFAULT_BLOCK,
    keep_blocks: bool = False,
) -> tuple[np.ndarray, MarkerStats, list[np.ndarray]]:
    """Upper triangle of ``Z Z'`` over the given marker columns, in Fortran order.

    Returns the (n, n) array whose upper triangle holds the cross-product (call
    `fill_lower` to complete it), the marker counts, and the standardised blocks when
    ``keep_blocks`` (for a low-rank factor).
    """
    if method not in GRM_METHODS:
        raise KernelError(f"method must be one of {GRM_METHODS}, got {method!r}")
    if not (isinstance(maf_min, (int, float)) and 0.0 <= maf_min <= 0.5):
        raise KernelError(f"maf_min must be a number in [0, 0.5], got {maf_min!r}")
    n = source.n
    cols = np.arange(source.m) if columns is None else np.asarray(columns)
    out = np.zeros((n, n), order="F")
    stats = MarkerStats()
    kept: list[np.ndarray] = []
    for start in range(0, cols.shape[0], block_size):
        chunk = cols[start : start + block_size]
        contiguous = chunk.shape[0] == chunk[-1] - chunk[0] + 1
        index = slice(int(chunk[0]), int(chunk[-1]) + 1) if contiguous else chunk
        z = _standardize(source.block(index), source, chunk, method, maf_min, stats)
        if z.shape[1]:
            out = dsyrk(1.0, z, beta=1.0, c=out, trans=0, lower=0, overwrite_c=1)
            if keep_blocks:
                kept.append(z)
    return out, stats, kept


def fill_lower(a: np.ndarray, block: int = 1024) -> np.ndarray:
    """Copy the upper triangle of a square array onto its lower triangle, in place."""
    n = a.shape[0]
    for i in range(0, n, block):
        diag = a[i : i + block, i : i + block]
        upper = np.triu(diag)
        diag[...] = upper + np.triu(upper, 1).T
        for j in range(i + block, n, block):
            a[j : j + block, i : i + block] = a[i : i + block, j : j + block].T
    return a
