"""Numerator relationship matrix A from a pedigree, its sparse inverse, inbreeding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg

from bayeslmm.errors import KernelError
from bayeslmm.kernels.ids import format_ids, normalize_ids
from bayeslmm.kernels.kernel import Kernel
from bayeslmm.linalg.psd import PSDReport

__all__ = ["pedigree", "PedigreeInverse", "inbreeding"]

DEFAULT_UNKNOWN = ("0", "NA", ".")


@dataclass(frozen=True)
class PedigreeInverse:
    """Sparse inverse of the numerator relationship matrix.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix, shape (n, n)
        :math:`A^{-1}` by Henderson's rules with inbreeding (Quaas 1976).
    ids : numpy.ndarray of str
        Row/column ids (parents before offspring).
    inbreeding : numpy.ndarray, shape (n,)
        Inbreeding coefficients F, aligned with ``ids``.

    Examples
    --------
    >>> import pandas as pd
    >>> ped = pd.DataFrame({"id": ["s", "d", "o"], "sire": [None, None, "s"], "dam": [None, None, "d"]})
    >>> inv = pedigree(ped, inverse=True)
    >>> inv.matrix.toarray().tolist()
    [[1.5, 0.5, -1.0], [0.5, 1.5, -1.0], [-1.0, -1.0, 2.0]]
    """

    matrix: sp.csr_matrix
    ids: np.ndarray
    inbreeding: np.ndarray

    @property
    def n(self) -> int:
        return int(self.ids.shape[0])

    def __repr__(self) -> str:
        return f"PedigreeInverse(n={self.n}, nnz={self.matrix.nnz}, max F={self.inbreeding.max():.4g})"


@dataclass(frozen=True)
class _Ped:
    ids: np.ndarray  # parents before offspring
    sire: np.ndarray  # index into ids, -1 unknown
    dam: np.ndarray
    n_added: int
    reordered: bool


def _column(ped: pd.DataFrame, column: str, role: str) -> pd.Series:
    if column not in ped.columns:
        raise KernelError(
            f"pedigree has no {role} column {column!r}; columns are {list(map(str, ped.columns))}"
        )
    return ped[column]


def _parents(values: pd.Series, unknown: set[str]) -> tuple[np.ndarray, np.ndarray]:
    missing = values.isna().to_numpy().copy()
    out = np.full(values.shape[0], "", dtype=object)
    if (~missing).any():
        out[~missing] = normalize_ids(values[~missing].to_numpy())
    missing |= np.isin(out, list(unknown))
    return out, missing


def _find_cycle(remaining: np.ndarray, sire: np.ndarray, dam: np.ndarray, ids: np.ndarray) -> str:
    """Walk from an unsortable individual to one that is its own ancestor."""
    in_rest = np.zeros(sire.shape[0], bool)
    in_rest[remaining] = True
    current = int(remaining[0])
    path: list[int] = []
    seen: dict[int, int] = {}
    while current not in seen:
        seen[current] = len(path)
        path.append(current)
        parents = [p for p in (sire[current], dam[current]) if p >= 0 and in_rest[p]]
        current = int(parents[0])
    cycle = path[seen[current] :] + [current]
    chain = " -> ".join(repr(str(ids[i])) for i in reversed(cycle))
    return (
        f"pedigree has a loop: individual {str(ids[current])!r} is its own ancestor "
        f"(ancestry {chain}); {remaining.shape[0]} individuals cannot be ordered"
    )


def _generations(sire: np.ndarray, dam: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Depth of each individual: 0 for founders, 1 + max(parents' depth) otherwise."""
    n = sire.shape[0]
    gen = np.full(n, -1, dtype=np.int64)
    s0, d0 = np.where(sire >= 0, sire, 0), np.where(dam >= 0, dam, 0)
    level = 0
    while True:
        remaining = gen < 0
        if not remaining.any():
            return gen
        ready = remaining & ((sire < 0) | (gen[s0] >= 0)) & ((dam < 0) | (gen[d0] >= 0))
        # an individual listed as parent in the same pass is not yet assigned: levels stay exact
        if not ready.any():
            raise KernelError(_find_cycle(np.flatnonzero(remaining), sire, dam, ids))
        gen[ready] = level
        level += 1


def _parse(
    ped: Any, id: str, sire: str, dam: str, unknown: Sequence[str]
) -> _Ped:
    if not isinstance(ped, pd.DataFrame):
        try:
            ped = pd.DataFrame(ped)
        except (TypeError, ValueError) as exc:
            raise KernelError(f"pedigree must be a DataFrame with id, sire, dam columns: {exc}") from None
    if ped.shape[0] == 0:
        raise KernelError("pedigree has no rows")
    unknown_set = {str(u) for u in unknown}
    id_col = _column(ped, id, "id")
    missing_id = np.flatnonzero(id_col.isna().to_numpy())
    if missing_id.size:
        raise KernelError(f"pedigree id column {id!r} is missing in {missing_id.size} rows, e.g. row {int(missing_id[0])}")
    ids = normalize_ids(id_col.to_numpy())
    reserved = np.isin(ids, list(unknown_set))
    if reserved.any():
        raise KernelError(
            f"pedigree id {str(ids[reserved][0])!r} is also a code for an unknown parent {sorted(unknown_set)}; "
            "rename it or pass unknown=(...)"
        )
    sires, no_sire = _parents(_column(ped, sire, "sire"), unknown_set)
    dams, no_dam = _parents(_column(ped, dam, "dam"), unknown_set)

    frame = pd.DataFrame({"id": ids, "sire": np.where(no_sire, None, sires), "dam": np.where(no_dam, None, dams)})
    dup = frame["id"].duplicated(keep=False)
    if dup.any():
        conflict = frame[dup].drop_duplicates()
        conflicting = conflict["id"][conflict["id"].duplicated()].unique()
        if conflicting.size:
            raise KernelError(
                f"pedigree lists {conflicting.size} individuals more than once with different parents: "
                f"{format_ids(conflicting)}"
            )
        frame = frame.drop_duplicates("id")
    own = frame.index[(frame["id"] == frame["sire"]) | (frame["id"] == frame["dam"])]
    if len(own):
        raise KernelError(f"pedigree has a loop: individual {frame.loc[own[0], 'id']!r} is its own parent")

    listed = set(frame["id"])
    extra = [p for p in pd.unique(pd.concat([frame["sire"], frame["dam"]]).dropna()) if p not in listed]
    all_ids = np.concatenate([np.asarray(extra, dtype=str), frame["id"].to_numpy(dtype=str)])
    position = {key: i for i, key in enumerate(all_ids.tolist())}
    n_added = len(extra)

    def index(values: pd.Series) -> np.ndarray:
        head = np.full(n_added, -1, dtype=np.int64)
        body = np.array([position[v] if isinstance(v, str) else -1 for v in values.tolist()], dtype=np.int64)
        return np.concatenate([head, body])

    s_idx, d_idx = index(frame["sire"]), index(frame["dam"])
    order_idx = np.arange(all_ids.shape[0])
    if np.all(s_idx < order_idx) and np.all(d_idx < order_idx):
        return _Ped(all_ids, s_idx, d_idx, n_added, False)
    gen = _generations(s_idx, d_idx, all_ids)
    order = np.lexsort((order_idx, gen))
    rank = np.empty_like(order)
    rank[order] = order_idx

    def remap(parent: np.ndarray) -> np.ndarray:
        p = parent[order]
        return np.where(p >= 0, rank[np.where(p >= 0, p, 0)], -1)

    return _Ped(all_ids[order], remap(s_idx), remap(d_idx), n_added, True)


def _blocks(sire: np.ndarray, dam: np.ndarray) -> list[tuple[int, int]]:
    """Runs of consecutive individuals none of whom is a parent of another in the run."""
    newest_parent = np.maximum(sire, dam)
    n = sire.shape[0]
    out = []
    start = 0
    while start < n:
        later = np.flatnonzero(newest_parent[start + 1 :] >= start)
        end = start + 1 + int(later[0]) if later.size else n
        out.append((start, end))
        start = end
    return out


def _dense_a(ped: _Ped) -> np.ndarray:
    """Tabular method, vectorised over blocks of mutually unrelated-by-descent rows."""
    s, d = ped.sire, ped.dam
    n = s.shape[0]
    a = np.empty((n, n))
    for start, end in _blocks(s, d):
        bs, bd = s[start:end], d[start:end]
        hs, hd = bs >= 0, bd >= 0
        rows = np.zeros((end - start, start))
        if start:
            rows[hs] += 0.5 * a[bs[hs], :start]
            rows[hd] += 0.5 * a[bd[hd], :start]
            a[start:end, :start] = rows
            a[:start, start:end] = rows.T
        s0, d0 = np.where(hs, bs, 0), np.where(hd, bd, 0)
        if start:
            within = 0.5 * (rows[:, s0] * hs + rows[:, d0] * hd)
            within = 0.5 * (within + within.T)
        else:
            within = np.zeros((end - start, end - start))
        both = hs & hd
        f = np.zeros(end - start)
        f[both] = 0.5 * a[bs[both], bd[both]]
        np.fill_diagonal(within, 1.0 + f)
        a[start:end, start:end] = within
    return a


def _mendelian_variance(ped: _Ped, f: np.ndarray) -> np.ndarray:
    """D_i = 1 - (1 + F_s)/4 - (1 + F_d)/4 over the known parents."""
    s, d = ped.sire, ped.dam
    hs, hd = s >= 0, d >= 0
    out = np.ones(s.shape[0])
    out[hs] -= 0.25 * (1.0 + f[s[hs]])
    out[hd] -= 0.25 * (1.0 + f[d[hd]])
    return out


def _selection(ped: _Ped) -> sp.csr_matrix:
    """I - P with P_{i,sire} = P_{i,dam} = 1/2 (summed when sire == dam)."""
    n = ped.sire.shape[0]
    rows, cols, vals = [np.arange(n)], [np.arange(n)], [np.ones(n)]
    for parent in (ped.sire, ped.dam):
        known = np.flatnonzero(parent >= 0)
        rows.append(known)
        cols.append(parent[known])
        vals.append(np.full(known.shape[0], -0.5))
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    )


def _inbreeding_sparse(ped: _Ped) -> np.ndarray:
    """F from the rows of T = (I - P)^-1 (ancestor contributions), block by block."""
    s, d = ped.sire, ped.dam
    n = s.shape[0]
    f = np.zeros(n)
    dvar = np.ones(n)
    t = sp.csr_matrix((0, n))
    for start, end in _blocks(s, d):
        nb = end - start
        bs, bd = s[start:end], d[start:end]
        dvar[start:end] = _mendelian_variance(_Ped(ped.ids[start:end], bs, bd, 0, False), f)
        rows, cols = [np.arange(nb)], [np.arange(start, end)]
        block = sp.csr_matrix((np.ones(nb), (rows[0], cols[0])), shape=(nb, n))
        if start:
            pr, pc = [], []
            for parent in (bs, bd):
                known = np.flatnonzero(parent >= 0)
                pr.append(known)
                pc.append(parent[known])
            r, c = np.concatenate(pr), np.concatenate(pc)
            p = sp.csr_matrix((np.full(r.shape[0], 0.5), (r, c)), shape=(nb, start))
            block = block + p @ t
        f[start:end] = block.multiply(block) @ dvar - 1.0
        t = sp.vstack([t, block], format="csr")
    return f


def _inverse(ped: _Ped, f: np.ndarray) -> sp.csr_matrix:
    m = _selection(ped)
    dinv = sp.diags(1.0 / _mendelian_variance(ped, f))
    return (m.T @ dinv @ m).tocsr()


def _min_eigenvalue(ainv: sp.csr_matrix) -> float:
    n = ainv.shape[0]
    if n <= 300:
        return float(1.0 / np.linalg.eigvalsh(ainv.toarray())[-1])
    try:
        top = scipy.sparse.linalg.eigsh(
            ainv, k=1, which="LA", return_eigenvectors=False, tol=1e-8,
            v0=np.random.default_rng(3).standard_normal(n),
        )[0]
    except scipy.sparse.linalg.ArpackNoConvergence:
        return float("nan")
    return float(1.0 / top)


def pedigree(
    ped: Any,
    id: str = "id",
    sire: str = "sire",
    dam: str = "dam",
    *,
    inverse: bool = False,
    name: str | None = None,
    scale: bool = True,
    unknown: Sequence[str] = DEFAULT_UNKNOWN,
    parent_of_origin: bool = False,
) -> Kernel | PedigreeInverse | Any:
    """Numerator relationship matrix A (or its sparse inverse) from a pedigree.

    Parameters
    ----------
    ped : pandas.DataFrame
        One row per individual with its id and its parents' ids.
    id, sire, dam : str
        Column names (e.g. ``sire="father", dam="mother"``).
    inverse : bool
        Return a `PedigreeInverse` (sparse :math:`A^{-1}`) instead of a dense `Kernel`.
    name : str, optional
        Kernel name.
    scale : bool
        Scale A to mean diagonal 1 (default). With ``scale=False`` the diagonal is 1 + F.
    unknown : sequence of str
        Parent codes meaning "unknown", besides NA/NaN/None (default ``"0"``, ``"NA"``, ``"."``).
    parent_of_origin : bool
        Return the maternal and paternal gametic relationship kernels ``(Am, Ap)`` for a
        parent-of-origin (imprinting) model instead of A; see
        :func:`bayeslmm.kernels.imprinting.parent_of_origin` (``scale`` does not apply:
        their diagonal is 1).

    Returns
    -------
    Kernel or PedigreeInverse or ParentOfOrigin
        Ids are ordered parents before offspring: parents not listed as individuals come
        first (as founders), then the input order when it already lists parents before
        offspring, else a stable sort by generation. ``info["inbreeding"]`` holds F.

    Raises
    ------
    KernelError
        Missing columns or ids, an id equal to an unknown-parent code, an individual listed
        twice with different parents, an individual that is its own ancestor (named).

    Notes
    -----
    Tabular method: with parents s, d of individual i (ordered after both),

    .. math::

        A_{ij} = \\tfrac12 (A_{sj} + A_{dj}) \\; (j < i), \\qquad
        A_{ii} = 1 + F_i = 1 + \\tfrac12 A_{sd},

    where terms of unknown parents are 0. It is vectorised over runs of consecutive
    individuals none of whom is another's parent (generations, in a sorted pedigree): a
    run's rows are ``P_run A[:start]`` in one gather, so the cost is O(n²) with one Python
    step per run. The inverse uses :math:`A = (I - P)^{-1} D (I - P)^{-\\top}`,

    .. math::

        A^{-1} = (I - P)^\\top D^{-1} (I - P), \\qquad
        D_{ii} = 1 - \\tfrac14 (1 + F_s) - \\tfrac14 (1 + F_d),

    (Henderson 1976; Quaas 1976), with F from the rows of :math:`T = (I-P)^{-1}`:
    :math:`F_i = \\sum_j T_{ij}^2 D_{jj} - 1`, computed run by run with sparse products.
    A is positive definite (D > 0); its smallest eigenvalue, reported on the kernel, is
    :math:`1/\\lambda_{\\max}(A^{-1})` from a sparse Lanczos step.

    Examples
    --------
    >>> import pandas as pd
    >>> ped = pd.DataFrame({"id": [3, 1, 2], "sire": [1, 0, 0], "dam": [2, 0, 0]})
    >>> A = pedigree(ped, scale=False)
    >>> A.ids.tolist(), A.matrix[2].tolist()
    (['1', '2', '3'], [0.5, 0.5, 1.0])
    """
    if parent_of_origin:
        if inverse:
            raise KernelError("parent_of_origin=True returns dense gametic kernels; it cannot be combined with inverse=True")
        from bayeslmm.kernels.imprinting import parent_of_origin as _gametic_pair

        return _gametic_pair(ped, id, sire, dam, name=name, unknown=unknown)
    parsed = _parse(ped, id, sire, dam, unknown)
    detail = f"{parsed.ids.shape[0]} individuals"
    if parsed.n_added:
        detail += f", {parsed.n_added} parents added as founders"
    if parsed.reordered:
        detail += ", sorted parents-first"
    if inverse:
        f = _inbreeding_sparse(parsed)
        matrix = _inverse(parsed, f)
        f.setflags(write=False)
        return PedigreeInverse(matrix=matrix, ids=parsed.ids, inbreeding=f)
    a = _dense_a(parsed)
    f = np.diagonal(a) - 1.0
    lam = _min_eigenvalue(_inverse(parsed, f))
    report = PSDReport.by_construction(lam, "A = T D T' with D > 0: positive definite")
    info = {"inbreeding": f.copy(), "n_added_parents": parsed.n_added, "reordered": parsed.reordered}
    return Kernel(
        a,
        parsed.ids,
        name,
        scale=scale,
        source=f"pedigree({detail}, mean F {f.mean():.4g}, max F {f.max():.4g})",
        info=info,
        _owned=True,
        _psd_report=report,
    )


def inbreeding(
    ped: Any, id: str = "id", sire: str = "sire", dam: str = "dam", *, unknown: Sequence[str] = DEFAULT_UNKNOWN
) -> pd.Series:
    """Inbreeding coefficients F of every individual (parents added), without forming A.

    Returns
    -------
    pandas.Series
        F indexed by normalized id, parents before offspring.

    Examples
    --------
    >>> import pandas as pd
    >>> ped = pd.DataFrame({"id": ["s", "d", "o", "x"], "sire": [None, None, "s", "o"], "dam": [None, None, "d", "d"]})
    >>> inbreeding(ped).tolist()              # x: son o mated back to his mother d
    [0.0, 0.0, 0.0, 0.25]
    """
    parsed = _parse(ped, id, sire, dam, unknown)
    return pd.Series(_inbreeding_sparse(parsed), index=parsed.ids, name="F")
