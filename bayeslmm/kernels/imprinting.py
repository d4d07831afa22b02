"""Gametic relationship matrices: parent-of-origin (imprinting) kernels from a pedigree.

Every individual carries two gametes, one from its sire (paternal) and one from its dam
(maternal). The gametic relationship matrix holds, for every pair of gametes, the
probability that they are identical by descent. Its paternal-paternal and
maternal-maternal blocks are the covariance structures of effects expressed only from the
paternally or only from the maternally inherited genome (genomic imprinting).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from bayeslmm.kernels.kernel import Kernel
from bayeslmm.kernels.pedigree import DEFAULT_UNKNOWN, _blocks, _min_eigenvalue, _parse, _Ped
from bayeslmm.linalg.psd import PSDReport

__all__ = ["ParentOfOrigin", "parent_of_origin", "gametic_relationship"]


class ParentOfOrigin(NamedTuple):
    """Maternal and paternal gametic relationship kernels over the same ids.

    Attributes
    ----------
    maternal : Kernel
        ``Am``: IBD probabilities between the maternally inherited gametes.
    paternal : Kernel
        ``Ap``: IBD probabilities between the paternally inherited gametes.

    Examples
    --------
    >>> import pandas as pd
    >>> ped = pd.DataFrame({"id": ["s", "d", "o"], "sire": [None, None, "s"], "dam": [None, None, "d"]})
    >>> pair = parent_of_origin(ped)
    >>> pair.maternal.name, pair.paternal.name
    ('Am', 'Ap')
    """

    maternal: Kernel
    paternal: Kernel


def _dense_gametic(ped: _Ped) -> np.ndarray:
    """Gametic relationship matrix, rows ``2i`` (paternal) and ``2i + 1`` (maternal) of i.

    Tabular method over gametes, vectorised over runs of individuals none of whom is a
    parent of another (as :func:`bayeslmm.kernels.pedigree._dense_a`).
    """
    s, d = ped.sire, ped.dam
    n = s.shape[0]
    g = np.empty((2 * n, 2 * n))
    for start, end in _blocks(s, d):
        lo, hi = 2 * start, 2 * end
        parent = np.empty(hi - lo, dtype=np.int64)
        parent[0::2], parent[1::2] = s[start:end], d[start:end]
        known = parent >= 0
        p0 = np.where(known, parent, 0)
        if start:
            rows = np.zeros((hi - lo, lo))
            rows[known] = 0.5 * (g[2 * p0[known], :lo] + g[2 * p0[known] + 1, :lo])
            g[lo:hi, :lo] = rows
            g[:lo, lo:hi] = rows.T
            within = 0.5 * (rows[:, 2 * p0] + rows[:, 2 * p0 + 1]) * known
            within = 0.5 * (within + within.T)
        else:
            within = np.zeros((hi - lo, hi - lo))
        np.fill_diagonal(within, 1.0)
        g[lo:hi, lo:hi] = within
    return g


def _gametic_inverse(ped: _Ped, f: np.ndarray) -> sp.csr_matrix | None:
    """Sparse inverse of the gametic matrix, or None when a parent is fully inbred.

    Gamete k of an individual with known parent s is a copy of one of s's gametes:
    :math:`G = (I - P)^{-1} D (I - P)^{-\\top}` with :math:`P_{k, s^p} = P_{k, s^m} = 1/2`
    and Mendelian sampling variance :math:`D_k = (1 - F_s) / 2` (1 for a founder gamete),
    so :math:`G^{-1} = (I - P)^\\top D^{-1} (I - P)`.
    """
    parent = np.empty(2 * ped.sire.shape[0], dtype=np.int64)
    parent[0::2], parent[1::2] = ped.sire, ped.dam
    known = np.flatnonzero(parent >= 0)
    d = np.ones(parent.shape[0])
    d[known] = 0.5 * (1.0 - f[parent[known]])
    if np.any(d <= 1e-12):
        return None
    m = parent.shape[0]
    rows = np.concatenate([np.arange(m), known, known])
    cols = np.concatenate([np.arange(m), 2 * parent[known], 2 * parent[known] + 1])
    vals = np.concatenate([np.ones(m), np.full(2 * known.size, -0.5)])
    ip = sp.csr_matrix((vals, (rows, cols)), shape=(m, m))
    return (ip.T @ sp.diags(1.0 / d) @ ip).tocsr()


def gametic_relationship(
    ped: Any,
    id: str = "id",
    sire: str = "sire",
    dam: str = "dam",
    *,
    name: str | None = None,
    unknown: Sequence[str] = DEFAULT_UNKNOWN,
) -> Kernel:
    """The full 2n x 2n gametic relationship matrix of a pedigree.

    Parameters
    ----------
    ped, id, sire, dam, unknown
        As :func:`bayeslmm.kernels.pedigree`.
    name : str, optional
        Kernel name.

    Returns
    -------
    Kernel
        Ids ``"<id>:p"`` (the paternally inherited gamete) and ``"<id>:m"`` (maternal), in
        pedigree order (parents before offspring), paternal before maternal. Not scaled:
        the diagonal is 1.

    Notes
    -----
    With gametes :math:`i^p` (a copy of one of the sire's two gametes, each with
    probability 1/2) and :math:`i^m` (likewise from the dam), and
    :math:`G_{ab} = P(a \\equiv b \\text{ IBD})`:

    .. math::

        G_{i^p, x} = \\tfrac12 (G_{s^p, x} + G_{s^m, x}), \\quad
        G_{i^m, x} = \\tfrac12 (G_{d^p, x} + G_{d^m, x}) \\quad (x \\text{ older}),
        \\qquad G_{i^p, i^p} = 1, \\quad G_{i^p, i^m} = F_i,

    and 0 for the gametes of unknown parents (founder gametes). The numerator relationship
    matrix is :math:`A_{ij} = \\tfrac12 \\sum_{a \\in i, b \\in j} G_{ab}` (Schaeffer,
    Kennedy and Gibson 1989; Tier and Meyer 2012). Memory is :math:`(2n)^2` floats.

    Examples
    --------
    >>> import pandas as pd
    >>> ped = pd.DataFrame({"id": ["s", "d", "o"], "sire": [None, None, "s"], "dam": [None, None, "d"]})
    >>> G = gametic_relationship(ped)
    >>> G.ids.tolist()[-2:], G.matrix[4, :4].tolist()
    (['o:p', 'o:m'], [0.5, 0.5, 0.0, 0.0])
    """
    parsed = _parse(ped, id, sire, dam, unknown)
    g = _dense_gametic(parsed)
    ids = np.empty(2 * parsed.ids.shape[0], dtype=object)
    ids[0::2] = [f"{i}:p" for i in parsed.ids]
    ids[1::2] = [f"{i}:m" for i in parsed.ids]
    return Kernel(g, ids, name, scale=False, _owned=True,
                  source=f"gametic relationship ({parsed.ids.shape[0]} individuals, {2 * parsed.ids.shape[0]} gametes)")


def parent_of_origin(
    ped: Any,
    id: str = "id",
    sire: str = "sire",
    dam: str = "dam",
    *,
    name: str | None = None,
    unknown: Sequence[str] = DEFAULT_UNKNOWN,
) -> ParentOfOrigin:
    """Maternal and paternal gametic relationship kernels for a parent-of-origin model.

    Parameters
    ----------
    ped, id, sire, dam, unknown
        As :func:`bayeslmm.kernels.pedigree`.
    name : str, optional
        Prefix of the kernel names (``"<name>_maternal"``, ``"<name>_paternal"``);
        default ``"Am"`` and ``"Ap"``.

    Returns
    -------
    ParentOfOrigin
        ``(maternal, paternal)`` kernels over the pedigree ids (parents before offspring).
        Their diagonal is 1, so their variance components are on the scale of one
        observation without rescaling. ``kernel.psd`` reports the smallest eigenvalue of the
        whole gametic matrix (from its sparse inverse by Lanczos), a lower bound of theirs.

    Notes
    -----
    Let every gamete :math:`a` carry a value :math:`v^P_a` expressed when it is inherited
    from the father and :math:`v^M_a` expressed when inherited from the mother, with
    :math:`\\operatorname{Cov}(v_a, v_b) = \\sigma^2 G_{ab}` (``G`` of
    :func:`gametic_relationship`). The phenotype of i carries
    :math:`p_i = v^P_{i^p}` and :math:`m_i = v^M_{i^m}`, so

    .. math::

        p \\sim N(0, \\sigma^2_P A_p), \\quad m \\sim N(0, \\sigma^2_M A_m), \\quad
        (A_p)_{ij} = G_{i^p j^p}, \\quad (A_m)_{ij} = G_{i^m j^m}.

    ``y ~ x + (1 | gr(id, cov=Ap)) + (1 | gr(id, cov=Am))`` estimates
    :math:`\\sigma^2_P` and :math:`\\sigma^2_M` separately: paternal-only expression
    (e.g. IGF2) shows as :math:`\\sigma^2_M \\approx 0`. The two effects are independent in
    this model: exact when paternal and maternal expression values are uncorrelated. Without
    imprinting (:math:`v^P = v^M`) the two effects are perfectly correlated and the additive
    model ``gr(id, cov=A)`` is the right one; compare both by LOO. Paternal half-sibs share
    :math:`A_p = (1 + F_s)/2` and :math:`A_m = 0` (for unrelated dams), which is what
    separates the components; a design with paternal and maternal half-sib families is
    needed (Neugebauer et al. 2010; Tier and Meyer 2012).

    Examples
    --------
    >>> import pandas as pd
    >>> ped = pd.DataFrame({"id": ["s", "d1", "d2", "o1", "o2"], "sire": [None, None, None, "s", "s"],
    ...                     "dam": [None, None, None, "d1", "d2"]})
    >>> Am, Ap = parent_of_origin(ped)
    >>> float(Ap.matrix[3, 4]), float(Am.matrix[3, 4])   # paternal half-sibs
    (0.5, 0.0)
    """
    parsed = _parse(ped, id, sire, dam, unknown)
    g = _dense_gametic(parsed)
    n = parsed.ids.shape[0]
    detail = f"{n} individuals"
    if parsed.n_added:
        detail += f", {parsed.n_added} parents added as founders"
    f = np.ascontiguousarray(np.diagonal(g[0::2, 1::2])).copy()
    info = {"n_added_parents": parsed.n_added, "reordered": parsed.reordered, "inbreeding": f}
    inverse = _gametic_inverse(parsed, f)
    report = None
    if inverse is not None:  # interlacing: a principal submatrix's smallest eigenvalue is >= G's
        report = PSDReport.by_construction(_min_eigenvalue(inverse), "lower bound: the smallest eigenvalue of the "
                                           "gametic matrix G = T D T' with D > 0, positive definite")
    kernels = {}
    for which, sl in (("maternal", slice(1, None, 2)), ("paternal", slice(0, None, 2))):
        label = f"{name}_{which}" if name else ("Am" if which == "maternal" else "Ap")
        kernels[which] = Kernel(np.ascontiguousarray(g[sl, sl]), parsed.ids, label, scale=False, _owned=True,
                                source=f"{which} gametic relationship ({detail})", info=info,
                                _psd_report=report)
    return ParentOfOrigin(maternal=kernels["maternal"], paternal=kernels["paternal"])
