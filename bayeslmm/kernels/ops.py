"""Operations on kernels: Hadamard products (epistasis, G x E) and LOCO GRMs."""

from __future__ import annotations

from typing import Any

import numpy as np

from bayeslmm.errors import KernelError
from bayeslmm.kernels.genotypes import DEFAULT_BLOCK, accumulate_crossproduct, fill_lower, open_genotypes
from bayeslmm.kernels.grm import GRAM_NOTE
from bayeslmm.kernels.ids import format_ids, normalize_ids
from bayeslmm.kernels.kernel import Kernel
from bayeslmm.linalg.psd import PSDReport

__all__ = ["hadamard", "loco"]


def _label(kernel: Kernel, fallback: str) -> str:
    return kernel.name or fallback


def hadamard(
    K1: Kernel, K2: Kernel, *, name: str | None = None, scale: bool = True, strict: bool = False
) -> Kernel:
    """Element-wise product ``K1 o K2`` on the ids the two kernels share.

    Parameters
    ----------
    K1, K2 : Kernel
        E.g. ``hadamard(G, G)`` for additive x additive epistasis, ``hadamard(G, E)`` for
        genotype x environment.
    name : str, optional
    scale : bool
        Scale the product to mean diagonal 1 (default).
    strict : bool
        Require the two kernels to have the same id set (else `KernelError` listing the
        differences). By default the common ids are kept, in ``K1``'s order, and the
        number dropped is recorded in ``source``.

    Returns
    -------
    Kernel

    Notes
    -----
    By the Schur product theorem the Hadamard product of PSD matrices is PSD. When both
    kernels carry factors :math:`W_1` (n x a) and :math:`W_2` (n x b) with ab < n, the
    row-wise Kronecker product :math:`W_{i\\cdot} = W_{1,i\\cdot} \\otimes W_{2,i\\cdot}`
    is kept as the factor of the product: :math:`(W_1 W_1^\\top) \\circ (W_2 W_2^\\top)
    = W W^\\top`.

    Examples
    --------
    >>> import numpy as np
    >>> from bayeslmm.kernels import Kernel
    >>> K = Kernel(np.array([[1.0, 0.5], [0.5, 1.0]]), ids=["a", "b"])
    >>> hadamard(K, K).matrix.tolist()
    [[1.0, 0.25], [0.25, 1.0]]
    """
    for arg, which in ((K1, "K1"), (K2, "K2")):
        if not isinstance(arg, Kernel):
            raise KernelError(f"hadamard expects Kernel objects; {which} is {type(arg).__name__}")
    n1, n2 = _label(K1, "K1"), _label(K2, "K2")
    in2 = np.isin(K1.ids, K2.ids)
    common = K1.ids[in2]
    if common.size == 0:
        raise KernelError(
            f"kernels {n1!r} and {n2!r} share no ids (e.g. {format_ids(K1.ids[:3])} vs {format_ids(K2.ids[:3])})"
        )
    only1 = K1.ids[~in2]
    only2 = K2.ids[~np.isin(K2.ids, K1.ids)]
    if strict and (only1.size or only2.size):
        raise KernelError(
            f"kernels {n1!r} and {n2!r} have different ids: {only1.size} only in {n1!r} "
            f"({format_ids(only1)}), {only2.size} only in {n2!r} ({format_ids(only2)})"
        )
    i1 = np.flatnonzero(in2)
    i2 = K2.align(common)
    same1 = i1.size == K1.n
    same2 = i2.size == K2.n and np.array_equal(i2, np.arange(K2.n))
    m1 = K1.matrix if same1 else K1.matrix[np.ix_(i1, i1)]
    m2 = K2.matrix if same2 else K2.matrix[np.ix_(i2, i2)]
    product = m1 * m2
    factor = None
    if K1.factor is not None and K2.factor is not None:
        a, b = K1.factor.shape[1], K2.factor.shape[1]
        if a * b < common.size:
            w1, w2 = K1.factor[i1], K2.factor[i2]
            factor = (w1[:, :, None] * w2[:, None, :]).reshape(common.size, a * b)
    source = f"hadamard({n1!r} o {n2!r}"
    if only1.size or only2.size:
        source += f", {common.size} common ids; dropped {only1.size} from {n1!r}, {only2.size} from {n2!r}"
    source += ")"
    report = None
    if factor is not None and factor.shape[1] < common.size:
        report = PSDReport.by_construction(0.0, "Hadamard product of factored kernels: PSD, singular")
    return Kernel(product, common, name, scale=scale, factor=factor, source=source, _owned=True, _psd_report=report)


def loco(
    genotypes: Any,
    chromosomes: Any = None,
    ids: Any = None,
    method: str = "vanraden",
    maf_min: float = 0.0,
    *,
    scale: bool = True,
    block_size: int = DEFAULT_BLOCK,
) -> dict[str, Kernel]:
    """Leave-one-chromosome-out GRMs: for each chromosome, the GRM of all the others.

    Parameters
    ----------
    genotypes : numpy.ndarray, pandas.DataFrame, str or os.PathLike
        As for `grm`; a PLINK prefix supplies its own chromosomes.
    chromosomes : sequence, optional
        Chromosome of each marker (length m); required unless reading a .bed file.
    ids, method, maf_min, scale, block_size
        As for `grm`.

    Returns
    -------
    dict of str to Kernel
        Chromosome label (normalized, e.g. ``"1"``) -> GRM without that chromosome,
        named ``"loco_<chr>"``.

    Notes
    -----
    One cross-product per chromosome, :math:`C_c = Z_c Z_c^\\top`, and its denominator
    :math:`s_c` (:math:`2\\sum p_j(1-p_j)`, or the marker count); then
    :math:`G_{-c} = (\\sum_k C_k - C_c) / (\\sum_k s_k - s_c)`. The total costs one pass
    over the markers (n² m flops) instead of one per chromosome; allele frequencies are
    those of all samples, as in the whole-genome GRM.

    Examples
    --------
    >>> import numpy as np
    >>> genotypes = np.array([[0, 1, 2, 1], [1, 1, 0, 2], [2, 0, 1, 1]])
    >>> kernels = loco(genotypes, chromosomes=[1, 1, 2, 2])
    >>> sorted(kernels), kernels["1"].name
    (['1', '2'], 'loco_1')
    """
    source = open_genotypes(genotypes, ids)
    if chromosomes is None:
        if source.chromosomes is None:
            raise KernelError("loco needs the chromosome of each marker (chromosomes=...)")
        chrom = source.chromosomes
    else:
        chrom = normalize_ids(chromosomes)
    if chrom.shape[0] != source.m:
        raise KernelError(f"chromosomes has {chrom.shape[0]} entries but the genotypes have {source.m} markers")
    labels = list(dict.fromkeys(chrom.tolist()))
    if len(labels) < 2:
        raise KernelError(f"loco needs markers on at least 2 chromosomes, got {labels}")
    parts: dict[str, np.ndarray] = {}
    denominators: dict[str, float] = {}
    counts: dict[str, int] = {}
    total = np.zeros((source.n, source.n), order="F")
    for label in labels:
        cross, stats, _ = accumulate_crossproduct(
            source, np.flatnonzero(chrom == label), method=method, maf_min=maf_min, block_size=block_size
        )
        fill_lower(cross)
        total += cross
        parts[label], denominators[label], counts[label] = cross, stats.denominator, stats.n_used
    denom_total = sum(denominators.values())
    used_total = sum(counts.values())
    out: dict[str, Kernel] = {}
    for label in labels:
        rest = denom_total - denominators[label]
        if used_total - counts[label] == 0:
            raise KernelError(f"no marker left outside chromosome {label!r}")
        matrix = parts.pop(label)
        np.subtract(total, matrix, out=matrix)
        matrix /= rest
        out[label] = Kernel(
            matrix.T, source.ids, f"loco_{label}", scale=scale,
            source=f"loco(grm {method} without chromosome {label}, {used_total - counts[label]} markers)",
            info={"chromosome": label, "n_markers_used": used_total - counts[label]},
            _owned=True, _psd_report=PSDReport.by_construction(0.0, GRAM_NOTE),
        )
    return out
