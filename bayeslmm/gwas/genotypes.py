"""Genotype inputs of a scan: numpy, pandas, xarray, dask or a PLINK .bed prefix, read by SNP blocks.

Every input becomes a `ScanGenotypes`: the samples the scan analyses (a row subset, in
genotype order), the SNP annotation (chromosome, position, id, alleles where known) and a
``block(columns)`` reader returning an n x b float64 array. Nothing reads the whole matrix
at once: a .bed file is read block by block with bed-reader, a dask array computes one
block at a time.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bayeslmm.errors import DataError, KernelError
from bayeslmm.kernels.genotypes import GenotypeSource, _bed_path
from bayeslmm.kernels.ids import format_ids, normalize_ids

__all__ = ["ScanGenotypes", "open_scan_genotypes", "SampleMatch", "match_samples", "read_fam",
           "SampleMismatchWarning", "chromosome_sort_key"]

_CHROM_NAMES = ("chromosome", "chrom", "chr", "CHR")
_POS_NAMES = ("position", "pos", "bp_position", "bp", "BP")
_SNP_NAMES = ("snp", "sid", "snp_id", "variant", "variant_id", "rsid", "SNP")
_A1_NAMES = ("allele1", "allele_1", "a1", "A1")
_A2_NAMES = ("allele2", "allele_2", "a2", "A2")


class SampleMismatchWarning(UserWarning):
    """Some phenotyped samples have no genotypes, or some genotyped samples no phenotype."""


def chromosome_sort_key(label: str) -> tuple[int, float, str]:
    """Natural order of chromosome labels: ``"1" < "2" < "10" < "X"``; ``"chr"`` prefixes ignored."""
    text = re.sub(r"^chr", "", str(label), flags=re.IGNORECASE)
    if text.isdigit():
        return (0, float(text), "")
    return (1, 0.0, text)


# -- readers: (rows, columns) -> float64 block; picklable so dask workers can run them ----------


class _ArrayReader:
    kind = "array"

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def read(self, rows: np.ndarray | None, columns: slice | np.ndarray) -> np.ndarray:
        if rows is None:
            block = self.array[:, columns]
        elif isinstance(columns, slice):
            block = self.array[rows, columns]
        else:
            block = self.array[np.ix_(rows, columns)]
        return np.array(block, dtype=np.float64, order="F", copy=True)


class _DaskReader:
    kind = "dask"

    def __init__(self, array: Any) -> None:
        self.array = array

    def lazy(self, rows: np.ndarray | None, columns: slice | np.ndarray) -> Any:
        block = self.array[:, columns]
        return block if rows is None else block[rows]

    def read(self, rows: np.ndarray | None, columns: slice | np.ndarray) -> np.ndarray:
        return np.array(self.lazy(rows, columns).compute(), dtype=np.float64, order="F", copy=True)


def _read_bed(path: str, rows: np.ndarray | None, columns: slice | np.ndarray) -> np.ndarray:
    """A block of a .bed file (opened here: this runs on dask workers too)."""
    from bed_reader import open_bed

    with open_bed(path) as bed:
        return bed.read(index=np.s_[slice(None) if rows is None else rows, columns], dtype="float64", order="F")


class _BedReader:
    kind = "bed"

    def __init__(self, path: Path) -> None:
        from bed_reader import open_bed

        self.path = str(path)
        self.bed = open_bed(path)

    def read(self, rows: np.ndarray | None, columns: slice | np.ndarray) -> np.ndarray:
        index = np.s_[slice(None) if rows is None else rows, columns]
        return self.bed.read(index=index, dtype="float64", order="F")


class ScanGenotypes(GenotypeSource):
    """The analysed samples' genotypes with their SNP annotation, read by column blocks.

    Attributes
    ----------
    n, m : int
        Samples analysed and SNPs.
    ids : numpy.ndarray of str
        Sample ids in genotype order.
    chromosomes : numpy.ndarray of str
        Chromosome label of each SNP.
    snps : pandas.DataFrame
        ``chromosome``, ``position`` (nullable integers), ``snp`` and, where known,
        ``allele1`` (the counted allele) and ``allele2``.
    """

    def __init__(self, reader: Any, ids: np.ndarray, snps: pd.DataFrame, *, may_have_missing: bool,
                 label: str, rows: np.ndarray | None = None) -> None:
        self.reader = reader
        self.rows = rows
        self.ids = ids if rows is None else ids[rows]
        self.all_ids = ids
        self.n = int(self.ids.shape[0])
        self.m = len(snps)
        self.snps = snps
        self.chromosomes = snps["chromosome"].to_numpy(dtype=str)
        self.may_have_missing = may_have_missing
        self.label = label

    def subset(self, rows: np.ndarray) -> ScanGenotypes:
        """The same genotypes restricted to ``rows`` (positions in `all_ids`, in that order)."""
        rows = np.asarray(rows, dtype=np.intp)
        keep_all = rows.shape[0] == self.all_ids.shape[0] and np.array_equal(rows, np.arange(rows.shape[0]))
        return ScanGenotypes(self.reader, self.all_ids, self.snps, may_have_missing=self.may_have_missing,
                             label=self.label, rows=None if keep_all else rows)

    def block(self, columns: slice | np.ndarray) -> np.ndarray:
        """Columns of the analysed samples as a fresh Fortran-ordered float64 array (n x b)."""
        return self.reader.read(self.rows, columns)

    def submit_block(self, client: Any, columns: slice | np.ndarray) -> Any:
        """A `distributed.Future` of `block`, read on the cluster where the input allows it."""
        if self.reader.kind == "bed":
            return client.submit(_read_bed, self.reader.path, self.rows, columns, pure=False)
        if self.reader.kind == "dask":
            return client.compute(self.reader.lazy(self.rows, columns))
        return client.scatter(self.block(columns))


# -- opening each kind of input ------------------------------------------------------------------


def _is_xarray(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "xarray" and hasattr(value, "dims")


def _is_dask(value: Any) -> bool:
    return type(value).__module__.split(".")[0] == "dask" and hasattr(value, "compute")


def _check_array(shape: tuple[int, ...], dtype: np.dtype, label: str) -> None:
    if len(shape) != 2:
        raise DataError(f"{label} must be 2-D (samples x SNPs), got shape {shape}")
    if shape[0] < 3 or shape[1] < 1:
        raise DataError(f"{label} needs at least 3 samples and 1 SNP, got shape {shape}")
    if np.dtype(dtype).kind not in "iufb":
        raise DataError(f"{label} must hold numeric 0/1/2 allele counts, got dtype {dtype}")


def _annotation(m: int, label: str, chromosomes: Any, positions: Any, snp_ids: Any, alleles: Any) -> pd.DataFrame:
    """SNP table from the user's (or the file's) annotation, each checked to have m entries."""

    def sized(values: Any, what: str) -> np.ndarray:
        array = np.asarray(values)
        if array.shape[:1] != (m,):
            raise DataError(f"{what} has {array.shape[0] if array.ndim else 'no'} entries but {label} has {m} SNPs")
        return array

    frame: dict[str, Any] = {}
    if chromosomes is None:
        frame["chromosome"] = np.full(m, "NA")
    else:
        try:
            frame["chromosome"] = normalize_ids(sized(chromosomes, "chromosomes"))
        except KernelError as err:
            raise DataError(f"chromosomes: {err}") from None
    if positions is None:
        frame["position"] = pd.array(np.full(m, pd.NA), dtype="Int64")
    else:
        pos = sized(positions, "positions")
        try:
            frame["position"] = pd.array(pos, dtype="Int64")
        except (TypeError, ValueError) as err:
            raise DataError(f"positions must be integers (base pairs): {err}") from None
    frame["snp"] = np.array([f"snp{j}" for j in range(m)]) if snp_ids is None else \
        sized(snp_ids, "snp_ids").astype(str)
    if alleles is not None:
        pair = sized(alleles, "alleles")
        if pair.ndim != 2 or pair.shape[1] != 2:
            raise DataError(f"alleles must have shape (m, 2) (counted allele, other allele), got {pair.shape}")
        frame["allele1"], frame["allele2"] = pair[:, 0].astype(str), pair[:, 1].astype(str)
    return pd.DataFrame(frame)


def _coordinate(array: Any, dim: str, names: tuple[str, ...]) -> np.ndarray | None:
    for name in names:
        if name in array.coords and array.coords[name].dims == (dim,):
            return np.asarray(array.coords[name].values)
    return None


def _first(given: Any, found: Any) -> Any:
    return found if given is None else given


def _sample_ids(ids: Any, n: int, label: str, default: Any = None) -> np.ndarray:
    source = _first(ids, default)
    out = np.arange(n).astype(str) if source is None else _normalize(source, "genotype sample ids")
    if out.shape[0] != n:
        raise DataError(f"{label} has {n} samples but {out.shape[0]} ids were given")
    uniques, counts = np.unique(out, return_counts=True)
    if uniques.shape[0] != n:
        raise DataError(f"genotype sample ids must be unique; duplicated: {format_ids(uniques[counts > 1])}")
    return out


def _normalize(values: Any, what: str) -> np.ndarray:
    try:
        return normalize_ids(values)
    except KernelError as err:
        raise DataError(f"{what}: {err}") from None


def open_scan_genotypes(
    genotypes: Any,
    *,
    ids: Any = None,
    chromosomes: Any = None,
    positions: Any = None,
    snp_ids: Any = None,
    alleles: Any = None,
) -> ScanGenotypes:
    """Wrap any supported genotype input (all samples) with its SNP annotation.

    Parameters
    ----------
    genotypes : numpy.ndarray, pandas.DataFrame, xarray.DataArray, dask.array.Array, str or os.PathLike
        Samples in rows, SNPs in columns, allele counts in [0, 2] (NaN = missing); or a
        PLINK prefix (``prefix.bed/.bim/.fam``).
    ids, chromosomes, positions, snp_ids, alleles
        Annotation; each overrides what the input carries (the .fam/.bim, a DataFrame's
        index and columns, or xarray coordinates named ``chromosome``/``chrom``,
        ``position``/``pos``, ``snp``/``variant``, ``allele1``/``allele2``).

    Returns
    -------
    ScanGenotypes
    """
    if isinstance(genotypes, (str, os.PathLike)):
        path = _bed_path(genotypes)
        if path is None:
            raise DataError(f"no PLINK .bed file found for {str(genotypes)!r} (tried {str(genotypes)!r}.bed)")
        try:
            reader = _BedReader(path)
        except ImportError:  # pragma: no cover - depends on the environment
            raise DataError("reading PLINK files needs bed-reader: pip install 'bayeslmm[genomics]'") from None
        bed = reader.bed
        snps = _annotation(
            bed.sid_count, str(path), _first(chromosomes, bed.chromosome), _first(positions, bed.bp_position),
            _first(snp_ids, bed.sid), _first(alleles, np.column_stack([bed.allele_1, bed.allele_2])))
        sample_ids = _sample_ids(ids, bed.iid_count, str(path), bed.iid)
        return ScanGenotypes(reader, sample_ids, snps, may_have_missing=True, label=str(path))
    if _is_xarray(genotypes):
        return _open_xarray(genotypes, ids, chromosomes, positions, snp_ids, alleles)
    if isinstance(genotypes, pd.DataFrame):
        label = "genotype DataFrame"
        array = genotypes.to_numpy()
        if array.dtype == object:
            raise DataError(f"{label} has non-numeric columns (dtypes {sorted(set(map(str, genotypes.dtypes)))})")
        _check_array(array.shape, array.dtype, label)
        snps = _annotation(array.shape[1], label, chromosomes, positions, _first(snp_ids, genotypes.columns), alleles)
        sample_ids = _sample_ids(ids, array.shape[0], label, genotypes.index)
        return ScanGenotypes(_ArrayReader(array), sample_ids, snps, may_have_missing=array.dtype.kind == "f",
                             label=label)
    if _is_dask(genotypes):
        label = "genotype dask array"
        _check_array(genotypes.shape, genotypes.dtype, label)
        if any(np.isnan(s) for s in genotypes.shape):
            raise DataError(f"{label} has unknown chunk sizes {genotypes.shape}; call .compute_chunk_sizes() first")
        reader = _DaskReader(genotypes)
        snps = _annotation(genotypes.shape[1], label, chromosomes, positions, snp_ids, alleles)
        return ScanGenotypes(reader, _sample_ids(ids, genotypes.shape[0], label), snps,
                             may_have_missing=genotypes.dtype.kind == "f", label=label)
    array = np.asarray(genotypes)
    label = "genotype matrix"
    _check_array(array.shape, array.dtype, label)
    snps = _annotation(array.shape[1], label, chromosomes, positions, snp_ids, alleles)
    return ScanGenotypes(_ArrayReader(array), _sample_ids(ids, array.shape[0], label), snps,
                         may_have_missing=array.dtype.kind == "f", label=label)


def _open_xarray(array: Any, ids: Any, chromosomes: Any, positions: Any, snp_ids: Any, alleles: Any) -> ScanGenotypes:
    label = f"genotype DataArray {array.name!r}" if array.name is not None else "genotype DataArray"
    _check_array(array.shape, array.dtype, label)
    sample_dim, snp_dim = array.dims
    found_alleles = None
    a1, a2 = _coordinate(array, snp_dim, _A1_NAMES), _coordinate(array, snp_dim, _A2_NAMES)
    if a1 is not None and a2 is not None:
        found_alleles = np.column_stack([a1, a2])
    found_snp = _coordinate(array, snp_dim, _SNP_NAMES)
    if found_snp is None and snp_dim in array.coords:
        found_snp = np.asarray(array.coords[snp_dim].values)
    snps = _annotation(
        array.shape[1], label, _first(chromosomes, _coordinate(array, snp_dim, _CHROM_NAMES)),
        _first(positions, _coordinate(array, snp_dim, _POS_NAMES)), _first(snp_ids, found_snp),
        _first(alleles, found_alleles))
    default_ids = np.asarray(array.coords[sample_dim].values) if sample_dim in array.coords else None
    sample_ids = _sample_ids(ids, array.shape[0], label, default_ids)
    data = array.data
    reader = _DaskReader(data) if _is_dask(data) else _ArrayReader(np.asarray(data))
    return ScanGenotypes(reader, sample_ids, snps, may_have_missing=array.dtype.kind == "f", label=label)


# -- samples: genotypes x phenotypes -------------------------------------------------------------


@dataclass(frozen=True)
class SampleMatch:
    """Which samples have both genotypes and a phenotype.

    Attributes
    ----------
    genotype_rows, data_rows
        For each analysed sample (in genotype order), its row among the genotypes and
        among the phenotyped rows.
    n_genotyped, n_phenotyped
        Samples on each side.
    only_in_data, only_in_genotypes
        Ids present on one side only (all of them).
    """

    genotype_rows: np.ndarray
    data_rows: np.ndarray
    n_genotyped: int
    n_phenotyped: int
    only_in_data: np.ndarray
    only_in_genotypes: np.ndarray

    @property
    def n(self) -> int:
        return int(self.genotype_rows.shape[0])

    def describe(self) -> str:
        text = f"{self.n} samples with genotypes and phenotype"
        if self.only_in_data.size:
            text += f"; {self.only_in_data.size} of {self.n_phenotyped} phenotyped samples have no genotypes " \
                    f"({format_ids(self.only_in_data)})"
        if self.only_in_genotypes.size:
            text += f"; {self.only_in_genotypes.size} of {self.n_genotyped} genotyped samples have no phenotype " \
                    f"({format_ids(self.only_in_genotypes)})"
        return text


def match_samples(genotype_ids: np.ndarray, data_ids: np.ndarray, *, warn: bool = True) -> SampleMatch:
    """Match phenotyped rows to genotyped samples by id (both normalised strings).

    Raises
    ------
    DataError
        When no id is shared, naming up to 10 ids of each side.
    """
    position = {key: i for i, key in enumerate(data_ids.tolist())}
    data_rows = np.fromiter((position.get(k, -1) for k in genotype_ids.tolist()), dtype=np.intp,
                            count=genotype_ids.shape[0])
    found = data_rows >= 0
    if not found.any():
        raise DataError(
            f"no sample id is shared by the genotypes ({genotype_ids.size} ids: {format_ids(genotype_ids)}) and the "
            f"phenotypes ({data_ids.size} ids: {format_ids(data_ids)})"
        )
    match = SampleMatch(
        genotype_rows=np.flatnonzero(found),
        data_rows=data_rows[found],
        n_genotyped=int(genotype_ids.size),
        n_phenotyped=int(data_ids.size),
        only_in_data=data_ids[~np.isin(data_ids, genotype_ids)],
        only_in_genotypes=genotype_ids[~found],
    )
    if warn and (match.only_in_data.size or match.only_in_genotypes.size):
        warnings.warn(match.describe(), SampleMismatchWarning, stacklevel=3)
    return match


def read_fam(prefix: str | os.PathLike[str]) -> pd.DataFrame:
    """The .fam file of a PLINK fileset as phenotype data for `scan`.

    Parameters
    ----------
    prefix : str or os.PathLike
        PLINK prefix (or the .bed path).

    Returns
    -------
    pandas.DataFrame
        Columns ``fid``, ``iid``, ``father``, ``mother``, ``sex`` (1 male, 2 female,
        0 unknown) and ``phenotype`` (float; PLINK's missing code -9 becomes NaN).

    Examples
    --------
    >>> import bed_reader, pathlib
    >>> prefix = pathlib.Path(bed_reader.__file__).parent / "tests" / "data" / "toydata.5chrom"
    >>> read_fam(prefix).shape
    (500, 6)
    """
    path = _bed_path(prefix)
    if path is None:
        raise DataError(f"no PLINK .bed file found for {str(prefix)!r} (tried {str(prefix)!r}.bed)")
    from bed_reader import open_bed

    with open_bed(path) as bed:
        pheno = pd.to_numeric(pd.Series(bed.pheno), errors="coerce").to_numpy(dtype=float)
        frame = pd.DataFrame({"fid": bed.fid, "iid": bed.iid, "father": bed.father, "mother": bed.mother,
                              "sex": bed.sex, "phenotype": pheno})
    frame.loc[frame["phenotype"] == -9, "phenotype"] = np.nan
    return frame
