"""`scan`: a mixed-model association scan with leave-one-chromosome-out (LOCO) kernels."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np
import pandas as pd

from bayeslmm.errors import DataError, KernelError, SpecError
from bayeslmm.gwas.genotypes import (
    SampleMatch,
    ScanGenotypes,
    match_samples,
    open_scan_genotypes,
)
from bayeslmm.gwas.gls import (
    BLOCK_FIELDS,
    COLLINEAR,
    MONOMORPHIC,
    TESTED,
    NullModel,
    Rotated,
    gls_block,
)
from bayeslmm.gwas.result import GwasResult, ScanReport
from bayeslmm.gwas.variance import VARIANCE_METHODS, fit_null, posterior_h2
from bayeslmm.kernels.genotypes import GRM_METHODS
from bayeslmm.kernels.grm import grm
from bayeslmm.kernels.ids import format_ids, normalize_ids
from bayeslmm.kernels.kernel import Kernel
from bayeslmm.kernels.ops import loco as loco_kernels
from bayeslmm.spec.model_spec import build_spec

__all__ = ["scan", "DEFAULT_CHUNK"]

DEFAULT_CHUNK = 2048
"""SNPs per block: the block in float64 takes ``8 n chunk_size`` bytes (33 MB at n = 2,000)."""


@dataclass(frozen=True)
class _Phenotypes:
    y: np.ndarray
    X: np.ndarray
    ids: np.ndarray
    frame: pd.DataFrame
    response: str
    fixed: str
    n_rows_missing: int


def scan(
    data: pd.DataFrame,
    formula: str,
    genotypes: Any,
    chromosomes: Any = None,
    *,
    ids: Any = None,
    id_column: str | None = "id",
    positions: Any = None,
    snp_ids: Any = None,
    alleles: Any = None,
    loco: bool = True,
    pcs: int = 0,
    variance: str = "reml",
    prior_sd: float = 0.2,
    kernel_method: str = "vanraden",
    chunk_size: int = DEFAULT_CHUNK,
    client: Any = None,
    fit_options: Mapping[str, Any] | None = None,
) -> GwasResult:
    """Mixed-model association scan: every SNP tested by GLS under a (LOCO) GRM null model.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per phenotyped sample: the response, the covariates and ``id_column``.
        Rows with a missing response, covariate or id are dropped and counted.
    formula : str
        Response and fixed covariates, e.g. ``"y ~ sex + age"`` (no random-effect terms:
        the scan adds the kernel itself).
    genotypes : numpy.ndarray, pandas.DataFrame, xarray.DataArray, dask.array.Array, str or os.PathLike
        Allele counts in [0, 2] (dosages allowed; NaN = missing, mean-imputed and counted),
        samples in rows; or a PLINK prefix read block by block with bed-reader (chromosome,
        position, SNP id and alleles from the .bim, ids from the .fam; the count is of
        ``allele1``, the .bim's first allele).
    chromosomes : sequence, optional
        Chromosome of each SNP; required for ``loco=True`` unless the input carries it
        (PLINK files, xarray coordinates).
    ids : sequence, optional
        Sample ids of the genotype rows (default: the .fam iids, a DataFrame's index, an
        xarray sample coordinate, else ``"0".."n-1"``).
    id_column : str or None
        Column of ``data`` with the sample ids; ``None`` when the rows of ``data`` are the
        genotype rows, in order. Samples are matched by id (after `normalize_ids`): those on
        one side only are counted and a `SampleMismatchWarning` names up to 10 of them; no
        shared id raises `DataError`.
    positions, snp_ids, alleles : sequence, optional
        Base-pair positions, SNP ids, and an (m, 2) array of (counted, other) alleles.
    loco : bool
        One GRM per chromosome built from the other chromosomes (default); ``False`` for
        one GRM of all SNPs (for comparison: it absorbs part of each SNP's own effect).
    pcs : int
        Add the top ``pcs`` eigenvectors of each null model's kernel (principal components;
        with LOCO, of the kernel without the tested chromosome) as fixed covariates. A
        kernel random effect gives an axis of ancestry at most ``h² s_1`` of variance (s_1
        its eigenvalue); an environment that differs along that axis by more is
        under-corrected, and 1-10 PCs remove it (Price et al. 2010). Default 0.
    variance : {"reml", "posterior"}
        How h² of each null model is obtained. ``"reml"`` (default): the REML maximiser,
        found in milliseconds in the eigenbasis the scan needs anyway, and the posterior
        mode under flat priors (see `reml_h2`). ``"posterior"``: the posterior mean of h²
        from a NUTS fit of ``y ~ covariates + (1 | gr(id, cov=K))`` per kernel (tens of
        seconds each; `fit_options` go to `bayeslmm.Model.fit`). With thousands of samples
        the posterior of h² is narrow and both give nearly the same test statistics.
    prior_sd : float
        Prior sd of a SNP's per-allele effect for the Wakefield approximate Bayes factor,
        in standard deviations of the phenotype after the covariates (W = (0.2 sd)² by
        default; Wakefield 2009 uses 0.2 on the log-odds scale, coloc 0.15 sd(y)).
    kernel_method : {"vanraden", "standardized"}
        GRM of `bayeslmm.kernels.grm`, built from the analysed samples.
    chunk_size : int
        SNPs tested per block; memory is about ``8 n chunk_size`` bytes per block besides
        the n x n kernels.
    client : distributed.Client, optional
        Test the blocks on a dask cluster (at most twice as many blocks in flight as the
        cluster has threads; a .bed file or dask array is read on the workers).
    fit_options : mapping, optional
        Sampler settings for ``variance="posterior"``.

    Returns
    -------
    GwasResult
        ``table`` (one row per tested SNP), ``null`` (h² per kernel), ``skipped``,
        ``report``, ``lambda_gc``, ``plot("qq")``, ``plot("manhattan")``.

    Notes
    -----
    For each chromosome c, the null model :math:`y = Xb + g + e`,
    :math:`\\operatorname{Var}(y) = s^2 (h^2 K_{-c} + (1 - h^2) I)` with :math:`K_{-c}` the
    GRM of the other chromosomes (mean diagonal 1), is rotated into the eigenbasis of
    :math:`K_{-c}` (:math:`O(n^3)` once per chromosome); h² is estimated once per kernel
    and held fixed; each SNP of chromosome c is then tested by GLS with :math:`s^2`
    re-estimated (see `gls_block`): :math:`O(n^2)` per SNP for its rotation, done as one
    matrix product per block. Leaving the tested chromosome out of the kernel avoids
    proximal contamination: a kernel containing the SNP (and its LD neighbours) explains
    part of its effect and lowers its chi-square (Listgarten et al. 2012; Yang et al. 2014).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> G = rng.binomial(2, 0.3, size=(200, 400)).astype(np.int8)
    >>> df = pd.DataFrame({"id": np.arange(200), "y": G[:, 5] * 0.8 + rng.normal(size=200)})
    >>> res = scan(df, "y ~ 1", G, chromosomes=np.repeat([1, 2], 200))
    >>> int(res.top(1)["snp"].iloc[0] == "snp5")
    1
    """
    _check_options(loco, pcs, variance, prior_sd, kernel_method, chunk_size)
    geno = open_scan_genotypes(genotypes, ids=ids, chromosomes=chromosomes, positions=positions, snp_ids=snp_ids,
                               alleles=alleles)
    if loco and np.all(geno.chromosomes == "NA"):
        raise DataError("loco=True needs the chromosome of each SNP: pass chromosomes=... (or loco=False)")
    phen = _phenotypes(data, formula, id_column, geno)
    match = match_samples(geno.all_ids, phen.ids)
    source = geno.subset(match.genotype_rows)
    y, X = phen.y[match.data_rows], phen.X[match.data_rows]
    if source.n <= X.shape[1] + pcs + 2:
        raise DataError(f"{source.n} samples with genotypes and phenotype: too few for {X.shape[1]} covariates "
                        f"and {pcs} PCs")
    fields = {name: np.full(geno.m, np.nan) for name in BLOCK_FIELDS}
    fields["status"] = np.full(geno.m, -1, dtype=np.int8)
    null_rows = []
    for label, kernel, columns in _kernels(source, loco, kernel_method):
        eigh = kernel.eigh
        pc = eigh.vectors[:, :pcs]
        rotated = Rotated.from_eigh(eigh, np.column_stack([X, pc]), y)
        h2 = None
        if variance == "posterior":
            frame, id_name, fixed = _posterior_frame(phen, match, source, pc)
            h2 = posterior_h2(frame, phen.response, fixed, id_name, kernel.with_name("K"), fit_options)
        null = fit_null(rotated, method=variance, prior_sd=prior_sd, h2=h2)
        del kernel, eigh, rotated
        _scan_columns(source, columns, null, chunk_size, client, fields)
        null_rows.append({"chromosome": label, "h2": null.h2, "sigma2": null.sigma2,
                          "log_likelihood": null.log_likelihood, "method": null.method, "n_snps": int(columns.size)})
    return _result(geno, phen, match, fields, pd.DataFrame(null_rows),
                   dict(loco=loco, pcs=int(pcs), variance=variance, prior_sd=float(prior_sd),
                        kernel_method=kernel_method))


def _check_options(loco: Any, pcs: Any, variance: Any, prior_sd: Any, kernel_method: Any, chunk_size: Any) -> None:
    if not isinstance(loco, (bool, np.bool_)):
        raise SpecError(f"loco must be True or False, got {loco!r}")
    if not (isinstance(pcs, (int, np.integer)) and not isinstance(pcs, bool) and pcs >= 0):
        raise SpecError(f"pcs must be a non-negative integer, got {pcs!r}")
    if variance not in VARIANCE_METHODS:
        raise SpecError(f"variance must be one of {VARIANCE_METHODS}, got {variance!r}")
    if not (isinstance(prior_sd, (int, float)) and np.isfinite(prior_sd) and prior_sd > 0):
        raise SpecError(f"prior_sd must be a positive number, got {prior_sd!r}")
    if kernel_method not in GRM_METHODS:
        raise SpecError(f"kernel_method must be one of {GRM_METHODS}, got {kernel_method!r}")
    if not (isinstance(chunk_size, (int, np.integer)) and not isinstance(chunk_size, bool) and chunk_size > 0):
        raise SpecError(f"chunk_size must be a positive integer, got {chunk_size!r}")


def _phenotypes(data: Any, formula: str, id_column: str | None, geno: ScanGenotypes) -> _Phenotypes:
    """Response, covariates and sample id of every usable data row."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    frame = data.reset_index(drop=True)
    if id_column is None:
        if len(frame) != geno.all_ids.size:
            raise DataError(f"id_column=None needs one data row per genotype row: data has {len(frame)} rows, the "
                            f"genotypes {geno.all_ids.size} samples")
        all_ids = geno.all_ids
        has_id = np.ones(len(frame), dtype=bool)
    else:
        if id_column not in frame.columns:
            raise DataError(f"data has no id column {id_column!r} (columns: {list(map(str, frame.columns))[:20]}); "
                            "pass id_column=..., or id_column=None when the rows are in genotype order")
        has_id = frame[id_column].notna().to_numpy()
        if not has_id.any():
            raise DataError(f"id column {id_column!r} has no non-missing id")
        all_ids = np.full(len(frame), "", dtype=object)
        try:
            all_ids[has_id] = normalize_ids(frame.loc[has_id, id_column])
        except KernelError as err:
            raise DataError(f"id column {id_column!r}: {err}") from None
    spec = build_spec(formula, frame.loc[has_id])
    if spec.terms:
        raise SpecError(f"the scan formula takes fixed effects only; remove the random-effect terms from {formula!r} "
                        "(the scan adds the kernel itself)")
    rows = spec.data.index.to_numpy()
    ids = np.asarray(all_ids[rows]).astype(str)
    uniques, counts = np.unique(ids, return_counts=True)
    if uniques.size != ids.size:
        raise DataError(f"id column {id_column!r} must have one row per sample; duplicated: "
                        f"{format_ids(uniques[counts > 1])}")
    return _Phenotypes(y=spec.y, X=spec.X, ids=ids, frame=spec.data, response=spec.formula.response,
                       fixed=spec.formula.fixed, n_rows_missing=int(len(frame) - rows.size))


def _kernels(source: ScanGenotypes, loco: bool, method: str) -> Iterator[tuple[str, Kernel, np.ndarray]]:
    """(chromosome, kernel, SNP columns tested under it), one kernel alive at a time where possible."""
    if not loco:
        yield "all", grm(source, method=method, name="grm"), np.arange(source.m)
        return
    labels = list(dict.fromkeys(source.chromosomes.tolist()))
    if len(labels) < 2:
        raise DataError(f"loco=True needs SNPs on at least 2 chromosomes, got only {labels}; use loco=False")
    kernels = loco_kernels(source, method=method)
    for label in labels:
        yield label, kernels.pop(label), np.flatnonzero(source.chromosomes == label)


def _unused(frame: pd.DataFrame, name: str) -> str:
    while name in frame.columns:
        name += "_"
    return name


def _posterior_frame(phen: _Phenotypes, match: SampleMatch, source: ScanGenotypes,
                     pc: np.ndarray) -> tuple[pd.DataFrame, str, str]:
    """The analysed rows with an id column (and PC columns) for the Bayesian null model."""
    frame = phen.frame.iloc[match.data_rows].reset_index(drop=True)
    name = _unused(frame, "gwas_id")
    frame[name] = source.ids
    fixed = phen.fixed
    for k in range(pc.shape[1]):
        column = _unused(frame, f"gwas_pc{k + 1}")
        frame[column] = pc[:, k]
        fixed += f" + {column}"
    return frame, name, fixed


def _pieces(columns: np.ndarray, chunk_size: int) -> list[slice | np.ndarray]:
    """Split SNP columns into blocks; contiguous runs become slices (fast reads)."""
    out: list[slice | np.ndarray] = []
    for start in range(0, columns.size, chunk_size):
        chunk = columns[start : start + chunk_size]
        contiguous = chunk[-1] - chunk[0] + 1 == chunk.size
        out.append(slice(int(chunk[0]), int(chunk[-1]) + 1) if contiguous else chunk)
    return out


def _indices(piece: slice | np.ndarray) -> np.ndarray:
    return np.arange(piece.start, piece.stop) if isinstance(piece, slice) else piece


def _run_block(block: np.ndarray, null: NullModel, first_column: int) -> dict[str, np.ndarray]:
    """One block's tests (on a dask worker: the block is copied, never modified in place)."""
    return gls_block(np.array(block, dtype=np.float64, order="F", copy=True), null, first_column)


def _store(fields: dict[str, np.ndarray], piece: slice | np.ndarray, out: dict[str, np.ndarray]) -> None:
    index = _indices(piece)
    for name in BLOCK_FIELDS:
        fields[name][index] = out[name]


def _scan_columns(source: ScanGenotypes, columns: np.ndarray, null: NullModel, chunk_size: int, client: Any,
                  fields: dict[str, np.ndarray]) -> None:
    pieces = _pieces(columns, chunk_size)
    if client is None:
        for piece in pieces:
            first = int(_indices(piece)[0])
            _store(fields, piece, gls_block(source.block(piece), null, first))
        return
    _scan_on_client(client, source, pieces, null, fields)


def _scan_on_client(client: Any, source: ScanGenotypes, pieces: list[slice | np.ndarray], null: NullModel,
                    fields: dict[str, np.ndarray]) -> None:
    """Blocks tested on the cluster, with a bounded number in flight (memory stays bounded)."""
    try:
        from distributed import as_completed
    except ImportError:  # pragma: no cover - depends on the environment
        raise DataError("client= needs dask.distributed: pip install 'bayeslmm[genomics]'") from None
    null_future = client.scatter(null, broadcast=True)
    window = max(2, 2 * sum(client.nthreads().values()))
    waiting = iter(pieces)
    running: dict[Any, slice | np.ndarray] = {}
    queue = as_completed()

    def submit(piece: slice | np.ndarray) -> None:
        block = source.submit_block(client, piece)
        future = client.submit(_run_block, block, null_future, int(_indices(piece)[0]), pure=False)
        running[future] = piece
        queue.add(future)

    for piece in islice(waiting, window):
        submit(piece)
    for future in queue:
        _store(fields, running.pop(future), future.result())
        following = next(waiting, None)
        if following is not None:
            submit(following)


def _result(geno: ScanGenotypes, phen: _Phenotypes, match: SampleMatch, fields: dict[str, np.ndarray],
            null: pd.DataFrame, settings: dict[str, Any]) -> GwasResult:
    status = fields["status"]
    tested = status == TESTED
    table = geno.snps.loc[tested].reset_index(drop=True)
    for name in ("beta", "se", "chi2", "p", "log10_bf", "af"):
        table[name] = fields[name][tested]
    table["n"] = fields["n"][tested].astype(np.int64)
    skipped = geno.snps.loc[~tested, ["chromosome", "position", "snp"]].reset_index(drop=True)
    skipped["reason"] = np.where(status[~tested] == COLLINEAR, "collinear", "monomorphic")
    n_missing = fields["n_missing"]
    report = ScanReport(
        n_genotyped=match.n_genotyped, n_phenotyped=match.n_phenotyped, n_rows_missing=phen.n_rows_missing,
        n_used=match.n, n_only_in_data=int(match.only_in_data.size),
        n_only_in_genotypes=int(match.only_in_genotypes.size), n_snps=geno.m, n_tested=int(tested.sum()),
        n_monomorphic=int((status == MONOMORPHIC).sum()), n_collinear=int((status == COLLINEAR).sum()),
        n_missing_genotypes=int(n_missing.sum()), n_snps_with_missing=int((n_missing > 0).sum()), **settings,
    )
    return GwasResult(table=table, null=null, skipped=skipped, report=report)
