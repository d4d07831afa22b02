"""Parent-of-origin kernels: the gametic relationship matrix against gene dropping and A."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.errors import KernelError
from bayeslmm.kernels import gametic_relationship, parent_of_origin, pedigree


def _ped() -> pd.DataFrame:
    """Two founder sires, three founder dams, paternal and maternal half-sibs, an inbred
    full-sib mating and a parent missing as 0; listed offspring-first to force a sort."""
    rows = [
        ("x1", "o1", "o2"),   # full-sib mating: inbred
        ("x2", "o1", "o4"),   # sire o1 with his paternal half-sister
        ("o1", "s1", "d1"), ("o2", "s1", "d1"), ("o3", "s1", "d2"), ("o4", "s2", "d2"),
        ("o5", "s2", "d3"), ("o6", "0", "d3"),
        ("s1", None, None), ("s2", None, None), ("d1", None, None), ("d2", None, None), ("d3", None, None),
    ]
    return pd.DataFrame(rows, columns=["id", "sire", "dam"])


def _gene_drop(ped: pd.DataFrame, reps: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """Monte Carlo IBD: founder gametes get unique labels, offspring copy one of each
    parent's two gametes at random. Returns the (2n, 2n) frequency of equal labels."""
    G = gametic_relationship(ped)
    order = [i[:-2] for i in G.ids[0::2]]
    parent = {r.id: (r.sire, r.dam) for r in ped.itertuples()}
    rng = np.random.default_rng(seed)
    labels: dict[str, np.ndarray] = {}
    fresh = 0
    for ind in order:
        lab = np.empty((reps, 2), dtype=np.int64)
        for k, par in enumerate(parent.get(ind, (None, None))):
            if par is None or par == "0" or par not in labels:
                lab[:, k] = fresh + np.arange(reps) * 10_000  # a new founder gamete per replicate
                fresh += 1
            else:
                pick = rng.integers(0, 2, reps)
                lab[:, k] = labels[par][np.arange(reps), pick]
        labels[ind] = lab
    gam = np.concatenate([labels[i] for i in order], axis=1)  # (reps, 2n): p, m, p, m, ...
    same = (gam[:, :, None] == gam[:, None, :]).mean(axis=0)
    return same, order


def test_gametic_matrix_matches_gene_dropping() -> None:
    # 20,000 replicates: the sd of an IBD frequency is at most 0.5 / sqrt(20000) = 0.0035,
    # so 0.02 is more than 5 sd for all 24 x 24 entries.
    ped = _ped()
    empirical, _ = _gene_drop(ped, 20_000, seed=1)
    np.testing.assert_allclose(gametic_relationship(ped).matrix, empirical, atol=0.02)


def test_numerator_matrix_is_the_gametic_sum() -> None:
    ped = _ped()
    g = gametic_relationship(ped).matrix
    A = pedigree(ped, scale=False)
    a = 0.5 * (g[0::2, 0::2] + g[0::2, 1::2] + g[1::2, 0::2] + g[1::2, 1::2])
    np.testing.assert_allclose(a, A.matrix, atol=1e-14)


def test_parent_of_origin_blocks_and_known_values() -> None:
    ped = _ped()
    Am, Ap = pedigree(ped, parent_of_origin=True)
    g = gametic_relationship(ped).matrix
    np.testing.assert_array_equal(Ap.matrix, g[0::2, 0::2])
    np.testing.assert_array_equal(Am.matrix, g[1::2, 1::2])
    idx = {k: i for i, k in enumerate(Ap.ids)}
    # paternal half-sibs o3, o2 (sire s1, dams d2, d1): share paternal gametes only
    assert Ap.matrix[idx["o2"], idx["o3"]] == pytest.approx(0.5)
    assert Am.matrix[idx["o2"], idx["o3"]] == 0.0
    # maternal half-sibs o3, o4 (dam d2): share maternal gametes only
    assert Am.matrix[idx["o3"], idx["o4"]] == pytest.approx(0.5)
    assert Ap.matrix[idx["o3"], idx["o4"]] == 0.0
    # the inbred x1 (full sibs o1 x o2): F = 1/4 between its own two gametes
    assert Am.info["inbreeding"][idx["x1"]] == pytest.approx(0.25)
    np.testing.assert_allclose(np.diag(Am.matrix), 1.0)
    np.testing.assert_allclose(np.diag(Ap.matrix), 1.0)
    assert (Am.name, Ap.name) == ("Am", "Ap")
    assert min(Am.psd.min_eigenvalue, Ap.psd.min_eigenvalue) > 0


def test_sparse_gametic_inverse_and_psd_bound() -> None:
    from bayeslmm.kernels.imprinting import _gametic_inverse
    from bayeslmm.kernels.pedigree import _parse

    ped = _ped()
    G = gametic_relationship(ped).matrix
    parsed = _parse(ped, "id", "sire", "dam", ("0", "NA", "."))
    inverse = _gametic_inverse(parsed, np.diagonal(G[0::2, 1::2]))
    np.testing.assert_allclose(inverse @ G, np.eye(G.shape[0]), atol=1e-10)
    Am, Ap = pedigree(ped, parent_of_origin=True)
    lam_g = np.linalg.eigvalsh(G)[0]
    for K in (Am, Ap):  # interlacing: the reported bound is G's smallest eigenvalue, below K's own
        assert K.psd.min_eigenvalue == pytest.approx(lam_g, rel=1e-6)
        assert K.psd.min_eigenvalue <= np.linalg.eigvalsh(K.matrix)[0] + 1e-12


def test_names_and_bad_options() -> None:
    ped = _ped()
    pair = parent_of_origin(ped, name="G")
    assert (pair.maternal.name, pair.paternal.name) == ("G_maternal", "G_paternal")
    with pytest.raises(KernelError, match="inverse=True"):
        pedigree(ped, parent_of_origin=True, inverse=True)
    with pytest.raises(KernelError, match="own parent"):
        parent_of_origin(pd.DataFrame({"id": ["a"], "sire": ["a"], "dam": [None]}))


def test_gryphon_gametic_sum_is_a(shared_file) -> None:
    ped = pd.read_csv(shared_file("gryphonped.csv"))
    g = gametic_relationship(ped, sire="father", dam="mother").matrix
    A = pedigree(ped, sire="father", dam="mother", scale=False)
    a = 0.5 * (g[0::2, 0::2] + g[0::2, 1::2] + g[1::2, 0::2] + g[1::2, 1::2])
    np.testing.assert_allclose(a, A.matrix, atol=1e-12)


def test_exported() -> None:
    assert bl.kernels.parent_of_origin is parent_of_origin
    assert isinstance(bl.kernels.pedigree(_ped(), parent_of_origin=True), bl.kernels.ParentOfOrigin)
