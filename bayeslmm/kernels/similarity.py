"""Similarity kernels for microbiome counts and DNA methylation."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial.distance import pdist, squareform

from bayeslmm.errors import KernelError
from bayeslmm.kernels._tabular import as_table, gram_kernel_inputs
from bayeslmm.kernels.grm import GRAM_NOTE
from bayeslmm.kernels.kernel import Kernel
from bayeslmm.linalg.psd import PSDReport

__all__ = ["microbiome", "methylation", "gower_centre"]

MICROBIOME_METHODS = ("aitchison", "bray_curtis")
METHYLATION_KINDS = ("beta", "m")


def gower_centre(distances: np.ndarray) -> np.ndarray:
    """Similarity ``-1/2 J D² J`` from a distance matrix (J = I - 11'/n).

    Notes
    -----
    For a Euclidean distance this is the Gram matrix of the centred points (classical
    scaling); for other distances it may have negative eigenvalues.
    """
    d2 = np.asarray(distances, dtype=np.float64) ** 2
    row = d2.mean(axis=1)
    return -0.5 * (d2 - row[:, None] - row[None, :] + row.mean())


def microbiome(
    counts: Any,
    ids: Any = None,
    method: str = "aitchison",
    pseudocount: float = 0.5,
    *,
    name: str | None = None,
    scale: bool = True,
    psd: str | None = None,
) -> Kernel:
    """Microbiome similarity kernel from a samples x taxa count table.

    Parameters
    ----------
    counts : array_like or pandas.DataFrame, shape (n, p)
        Non-negative counts (or relative abundances); a DataFrame index gives the ids.
    ids : sequence, optional
        Sample ids.
    method : {"aitchison", "bray_curtis"}
        Linear kernel of centred log-ratios, or Gower-centred Bray-Curtis dissimilarity.
    pseudocount : float
        Added to every count before the logarithm (Aitchison); must be > 0 when there are
        zero counts.
    name : str, optional
    scale : bool
        Scale to mean diagonal 1 (default).
    psd : {"error", "clip", "jitter"}, optional
        PSD policy; default ``"clip"`` for Bray-Curtis (not Euclidean, so usually
        indefinite; the correction is recorded), ``"error"`` otherwise.

    Returns
    -------
    Kernel

    Notes
    -----
    Aitchison: :math:`\\operatorname{clr}(x)_j = \\log(x_j + c) - \\frac1p\\sum_k
    \\log(x_k + c)`; with the CLR matrix column-centred as Z, :math:`K = Z Z^\\top / p`.
    This equals the Gower-centred squared Aitchison distance
    :math:`-\\tfrac12 J D^2 J / p`, is PSD by construction, and keeps Z as a factor when
    p < n. Bray-Curtis on relative abundances,
    :math:`d_{ij} = \\sum_k |a_{ik} - a_{jk}| / \\sum_k (a_{ik} + a_{jk})`, becomes
    :math:`K = -\\tfrac12 J D^2 J`; its negative eigenvalues are handled by ``psd``.

    Examples
    --------
    >>> import pandas as pd
    >>> counts = pd.DataFrame({"t1": [10, 0, 5], "t2": [3, 8, 5], "t3": [1, 1, 20]}, index=["a", "b", "c"])
    >>> M = microbiome(counts)
    >>> M.n, M.ids.tolist(), round(float(M.matrix.diagonal().mean()), 6)
    (3, ['a', 'b', 'c'], 1.0)
    """
    if method not in MICROBIOME_METHODS:
        raise KernelError(f"method must be one of {MICROBIOME_METHODS}, got {method!r}")
    x, norm_ids = as_table(counts, ids, "microbiome counts")
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise KernelError(
            f"microbiome counts must be finite and >= 0; sample {str(norm_ids[r])!r}, taxon {int(c)} is {float(x[r, c])!r}"
        )
    empty = np.flatnonzero(x.sum(axis=1) == 0)
    if empty.size:
        raise KernelError(f"microbiome sample {str(norm_ids[empty[0]])!r} has all counts 0 ({empty.size} such samples)")
    if method == "aitchison":
        if not (isinstance(pseudocount, (int, float)) and np.isfinite(pseudocount) and pseudocount >= 0):
            raise KernelError(f"pseudocount must be a finite number >= 0, got {pseudocount!r}")
        if pseudocount == 0 and (x == 0).any():
            r, c = np.argwhere(x == 0)[0]
            raise KernelError(
                f"zero count (sample {str(norm_ids[r])!r}, taxon {int(c)}) with pseudocount 0: log(0) is undefined; "
                "pass pseudocount > 0"
            )
        z = np.log(x + pseudocount)
        z -= z.mean(axis=1, keepdims=True)
        z -= z.mean(axis=0, keepdims=True)
        matrix, factor = gram_kernel_inputs(z)
        return Kernel(
            matrix, norm_ids, name, scale=scale, factor=factor,
            source=f"microbiome(aitchison CLR, {x.shape[1]} taxa, pseudocount {pseudocount:g})",
            _owned=True, _psd_report=PSDReport.by_construction(0.0, GRAM_NOTE),
        )
    rel = x / x.sum(axis=1, keepdims=True)
    distances = squareform(pdist(rel, metric="braycurtis"))
    policy = "clip" if psd is None else psd
    return Kernel(
        gower_centre(distances), norm_ids, name, scale=scale, psd=policy,
        source=f"microbiome(bray_curtis, Gower-centred, {x.shape[1]} taxa)", _owned=True,
    )


def methylation(
    values: Any,
    ids: Any = None,
    kind: str = "beta",
    *,
    offset: float = 1e-6,
    name: str | None = None,
    scale: bool = True,
) -> Kernel:
    """Methylation similarity: probe-wise standardised M-values, linear kernel.

    Parameters
    ----------
    values : array_like or pandas.DataFrame, shape (n, p)
        Samples x probes; beta values in [0, 1] (``kind="beta"``) or M-values
        (``kind="m"``). NaN = missing, imputed by the probe mean (0 after
        standardising) and counted.
    ids : sequence, optional
    kind : {"beta", "m"}
    offset : float
        Added to numerator and denominator of the logit so that betas of 0 or 1 stay finite.
    name : str, optional
    scale : bool

    Returns
    -------
    Kernel

    Notes
    -----
    :math:`M = \\log_2\\frac{\\beta + \\alpha}{1 - \\beta + \\alpha}` (Du et al. 2010);
    each probe is centred and divided by its standard deviation across samples, constant
    probes are dropped, and :math:`K = Z Z^\\top / p` (PSD by construction; Z kept as the
    factor when p < n).

    Examples
    --------
    >>> import pandas as pd
    >>> beta = pd.DataFrame([[0.2, 0.8, 0.5], [0.3, 0.7, 0.4], [0.9, 0.1, 0.5]], index=["a", "b", "c"])
    >>> methylation(beta).matrix.shape
    (3, 3)
    """
    if kind not in METHYLATION_KINDS:
        raise KernelError(f"kind must be one of {METHYLATION_KINDS}, got {kind!r}")
    x, norm_ids = as_table(values, ids, "methylation values")
    missing = np.isnan(x)
    finite_or_nan = np.isfinite(x) | missing
    if not finite_or_nan.all():
        r, c = np.argwhere(~finite_or_nan)[0]
        raise KernelError(f"methylation value of sample {str(norm_ids[r])!r}, probe {int(c)} is {float(x[r, c])!r}")
    if kind == "beta":
        out = ~missing & ((x < 0) | (x > 1))
        if out.any():
            r, c = np.argwhere(out)[0]
            raise KernelError(
                f"beta values must lie in [0, 1]; sample {str(norm_ids[r])!r}, probe {int(c)} is {float(x[r, c])!r} "
                "(pass kind='m' for M-values)"
            )
        x = np.log2((x + offset) / (1.0 - x + offset))
    n_missing = int(missing.sum())
    mean = np.nanmean(x, axis=0) if n_missing else x.mean(axis=0)
    z = x - mean
    z[missing] = 0.0
    sd = np.sqrt((z**2).sum(axis=0) / np.maximum((~missing).sum(axis=0) - 1, 1))
    keep = sd > 1e-12 * np.maximum(np.abs(mean), 1.0)
    if not keep.any():
        raise KernelError("every methylation probe is constant across samples")
    z = z[:, keep] / sd[keep]
    matrix, factor = gram_kernel_inputs(z)
    detail = f"{int(keep.sum())} probes"
    if (~keep).any():
        detail += f", {int((~keep).sum())} constant dropped"
    if n_missing:
        detail += f", {n_missing} missing values mean-imputed"
    return Kernel(
        matrix, norm_ids, name, scale=scale, factor=factor,
        source=f"methylation({'M from beta' if kind == 'beta' else 'M'}, standardised, {detail})",
        _owned=True, _psd_report=PSDReport.by_construction(0.0, GRAM_NOTE),
    )
