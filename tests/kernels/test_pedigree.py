"""Pedigree A and A^-1 on the gryphon pedigree and on small hand-made pedigrees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers_kernels import dense_recursion, shared_file

from bayeslmm.errors import KernelError
from bayeslmm.kernels import inbreeding, pedigree


@pytest.fixture(scope="module")
def gryphon() -> pd.DataFrame:
    return pd.read_csv(shared_file("gryphonped.csv"))


@pytest.fixture(scope="module")
def gryphon_a(gryphon):
    return pedigree(gryphon, id="id", sire="father", dam="mother", scale=False)


def test_gryphon_a_matches_dense_recursion(gryphon, gryphon_a) -> None:
    a = gryphon_a
    pos = {k: i for i, k in enumerate(a.ids)}
    sire = {str(i): (None if pd.isna(f) else str(int(f))) for i, f in zip(gryphon["id"], gryphon["father"])}
    dam = {str(i): (None if pd.isna(m) else str(int(m))) for i, m in zip(gryphon["id"], gryphon["mother"])}
    ids = a.ids.tolist()
    ref = dense_recursion(ids, [sire.get(i) for i in ids], [dam.get(i) for i in ids])
    np.testing.assert_allclose(a.matrix, ref, atol=1e-12)
    assert len(pos) == 1309


def test_gryphon_a_properties(gryphon_a) -> None:
    a = gryphon_a.matrix
    f = gryphon_a.info["inbreeding"]
    np.testing.assert_allclose(np.diag(a), 1.0 + f)
    assert f.max() > 0  # the gryphon pedigree has inbred individuals
    assert np.array_equal(a, a.T)
    assert np.linalg.eigvalsh(a)[0] > 0
    assert gryphon_a.psd.min_eigenvalue == pytest.approx(np.linalg.eigvalsh(a)[0], rel=1e-6)


def test_gryphon_inverse_times_a_is_identity(gryphon, gryphon_a) -> None:
    inv = pedigree(gryphon, sire="father", dam="mother", inverse=True)
    assert inv.ids.tolist() == gryphon_a.ids.tolist()
    np.testing.assert_allclose(inv.matrix @ gryphon_a.matrix, np.eye(gryphon_a.n), atol=1e-10)
    np.testing.assert_allclose(inv.inbreeding, gryphon_a.info["inbreeding"], atol=1e-12)
    assert inv.matrix.format == "csr" and inv.matrix.nnz < 10 * gryphon_a.n


def test_scaled_by_default(gryphon_a, gryphon) -> None:
    scaled = pedigree(gryphon, sire="father", dam="mother", name="A")
    assert scaled.scale == pytest.approx(np.diag(gryphon_a.matrix).mean())
    assert np.diag(scaled.matrix).mean() == pytest.approx(1.0)


def _inbred() -> pd.DataFrame:
    # unsorted, parents missing as 0 and NA, parent 'x' not listed, full-sib and selfing matings
    return pd.DataFrame(
        {
            "id": ["g", "c", "d", "a", "b", "e", "s"],
            "sire": ["e", "a", "a", 0, None, "c", "d"],
            "dam": ["d", "b", "b", "0", "x", "d", "d"],
        }
    )


def test_unsorted_unknown_codes_added_parents_and_selfing() -> None:
    ped = _inbred()
    a = pedigree(ped, scale=False)
    assert a.ids[0] == "x" and a.info["n_added_parents"] == 1 and a.info["reordered"]
    assert "sorted parents-first" in a.source and "1 parents added" in a.source
    order = a.ids.tolist()
    par = {"g": ("e", "d"), "c": ("a", "b"), "d": ("a", "b"), "b": (None, "x"), "e": ("c", "d"), "s": ("d", "d")}
    ref = dense_recursion(order, [par.get(i, (None, None))[0] for i in order], [par.get(i, (None, None))[1] for i in order])
    np.testing.assert_allclose(a.matrix, ref, atol=1e-12)
    f = dict(zip(a.ids, a.info["inbreeding"]))
    assert f["e"] == pytest.approx(0.25)  # full-sib mating
    assert f["s"] == pytest.approx(0.5)  # selfing of a non-inbred parent
    inv = pedigree(ped, inverse=True)
    np.testing.assert_allclose(inv.matrix.toarray() @ a.matrix, np.eye(a.n), atol=1e-12)
    np.testing.assert_allclose(inbreeding(ped).to_numpy(), a.info["inbreeding"], atol=1e-12)


def test_float_ids_from_csv_match_int_ids() -> None:
    ped = pd.DataFrame({"id": [1.0, 2.0, 3.0], "sire": [np.nan, np.nan, 1.0], "dam": [np.nan, np.nan, 2.0]})
    a = pedigree(ped, scale=False)
    assert a.ids.tolist() == ["1", "2", "3"]
    assert a.align([3, 1]).tolist() == [2, 0]


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"id": [1], "father": [0], "dam": [0]}), {}, "no sire column 'sire'; columns are \\['id', 'father', 'dam'\\]"),
        (pd.DataFrame({"id": [1, None], "sire": [0, 0], "dam": [0, 0]}), {}, "id column 'id' is missing in 1 rows, e.g. row 1"),
        (pd.DataFrame({"id": [1, 0], "sire": [0, 0], "dam": [0, 0]}), {}, "pedigree id '0' is also a code for an unknown parent"),
        (pd.DataFrame({"id": [1, 1], "sire": [0, 2], "dam": [0, 0]}), {}, "more than once with different parents: '1'"),
        (pd.DataFrame({"id": [1, 2], "sire": [1, 0], "dam": [0, 0]}), {}, "individual '1' is its own parent"),
        (
            pd.DataFrame({"id": [1, 2, 3, 4], "sire": [2, 3, 1, 0], "dam": [0, 0, 0, 3]}),
            {},
            "pedigree has a loop: individual '[123]' is its own ancestor",
        ),
        (pd.DataFrame({"id": [], "sire": [], "dam": []}), {}, "pedigree has no rows"),
    ],
)
def test_pedigree_errors(frame, kwargs, message) -> None:
    with pytest.raises(KernelError, match=message):
        pedigree(frame, **kwargs)


def test_duplicate_identical_rows_are_merged() -> None:
    ped = pd.DataFrame({"id": [1, 2, 3, 3], "sire": [0, 0, 1, 1], "dam": [0, 0, 2, 2]})
    assert pedigree(ped).n == 3
