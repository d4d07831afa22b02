"""Kernel validation, scaling, PSD handling, alignment, caching; ids; io."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeslmm.errors import KernelError
from bayeslmm.kernels import Kernel, normalize_ids, read_matrix, write_matrix


def _psd(n: int = 6, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, n + 2))
    return x @ x.T


def test_normalize_ids_forms() -> None:
    assert normalize_ids([1029, 1029.0, " 1029 ", "a7", np.int32(5)]).tolist() == ["1029", "1029", "1029", "a7", "5"]
    assert normalize_ids(np.array([1.0, 2.0])).tolist() == ["1", "2"]
    assert normalize_ids(pd.Index([3, 4])).tolist() == ["3", "4"]
    assert normalize_ids([1.5, "x"]).tolist() == ["1.5", "x"]


@pytest.mark.parametrize("bad", [[1, None], [1, float("nan")], ["a", " "]])
def test_normalize_ids_rejects_missing(bad: list) -> None:
    with pytest.raises(KernelError, match="id at position 1"):
        normalize_ids(bad)


def test_scaling_recorded_and_mean_diagonal_one() -> None:
    m = _psd()
    k = Kernel(m, ids=range(6), name="K")
    assert k.scale == pytest.approx(np.diag(m).mean())
    assert np.diag(k.matrix).mean() == pytest.approx(1.0)
    raw = Kernel(m, ids=range(6), scale=False)
    assert raw.scale == 1.0 and np.allclose(raw.matrix, m)
    assert not k.matrix.flags.writeable
    assert k.describe()["scale"] == k.scale


def test_input_is_not_modified() -> None:
    m = _psd()
    before = m.copy()
    Kernel(m + 0.0, ids=range(6))
    Kernel(m, ids=range(6))
    assert np.array_equal(m, before)


@pytest.mark.parametrize(
    ("matrix", "ids", "message"),
    [
        (np.ones((2, 3)), [1, 2], "must be a square 2-D matrix, got shape \\(2, 3\\)"),
        (np.ones(3), [1, 2, 3], "must be a square 2-D matrix, got shape \\(3,\\)"),
        (np.eye(2), [1, 2, 3], "has 2 rows but 3 ids"),
        (np.eye(3), [1, 2, 1], "ids must be unique; duplicated: '1'"),
        (np.eye(3), ["a", "a ", "b"], "duplicated: 'a'"),
        (np.array([[1.0, np.nan], [np.nan, 1.0]]), [1, 2], "2 non-finite entries, e.g. \\('1', '2'\\) = nan"),
        (np.array([[1.0, 0.5], [0.4, 1.0]]), ["a", "b"], "not symmetric: entry \\('a', 'b'\\) is 0.5 but \\('b', 'a'\\) is 0.4"),
        (np.array([["x", "y"], ["z", "w"]]), [1, 2], "cannot be converted to a float matrix"),
        (np.zeros((2, 2)), [1, 2], "mean diagonal 0.0; it cannot be scaled"),
    ],
)
def test_validation_errors(matrix: np.ndarray, ids: list, message: str) -> None:
    with pytest.raises(KernelError, match=message):
        Kernel(matrix, ids)


def test_other_argument_errors() -> None:
    with pytest.raises(KernelError, match="psd must be one of .* got 'ignore'"):
        Kernel(np.eye(2), [1, 2], psd="ignore")
    with pytest.raises(KernelError, match="sym_tol must be a finite number >= 0, got -1"):
        Kernel(np.eye(2), [1, 2], sym_tol=-1)
    with pytest.raises(KernelError, match="name must be a non-empty string or None, got 3"):
        Kernel(np.eye(2), [1, 2], name=3)  # type: ignore[arg-type]
    with pytest.raises(KernelError, match="ids are required"):
        Kernel(np.eye(2))
    with pytest.raises(KernelError, match="factor must have shape \\(2, m\\), got \\(3, 1\\)"):
        Kernel(np.eye(2), [1, 2], factor=np.ones((3, 1)))
    with pytest.raises(KernelError, match="factor W does not reproduce the matrix"):
        Kernel(np.eye(2), [1, 2], factor=np.ones((2, 1)))


def test_symmetry_tolerance_and_symmetrisation() -> None:
    m = _psd()
    m[0, 1] += 1e-12
    k = Kernel(m, ids=range(6), scale=False)
    assert np.array_equal(k.matrix, k.matrix.T)
    assert k.matrix[0, 1] == pytest.approx(m[1, 0] + 0.5e-12, abs=1e-15)


def test_psd_policies_recorded() -> None:
    m = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]])  # indefinite
    lam = np.linalg.eigvalsh(m)[0]
    with pytest.raises(KernelError, match=f"kernel 'bad' is not positive semi-definite: smallest eigenvalue {lam:.3e}"):
        Kernel(m, ["a", "b", "c"], name="bad")
    clipped = Kernel(m, ["a", "b", "c"], psd="clip", scale=False)
    assert clipped.psd.action == "clipped" and clipped.psd.n_negative == 1
    assert clipped.psd.min_eigenvalue == pytest.approx(lam)
    assert np.linalg.eigvalsh(clipped.matrix)[0] > -1e-12
    assert "clipped 1 negative eigenvalue to 0" in clipped.psd.describe()
    assert clipped.has_eigh  # the clipping decomposition is reused
    assert np.allclose(clipped.eigh.reconstruct(), clipped.matrix)
    jit = Kernel(m, ["a", "b", "c"], psd="jitter", scale=False)
    assert jit.psd.action == "jittered" and jit.psd.amount == pytest.approx(-lam, rel=1e-6)
    assert np.linalg.eigvalsh(jit.matrix)[0] >= 0
    assert "added jitter" in jit.describe()["psd"]


def test_psd_check_large_path_reports_min_eigenvalue() -> None:
    x = np.random.default_rng(1).standard_normal((400, 500))
    m = x @ x.T / 500 + 0.1 * np.eye(400)
    k = Kernel(m, range(400), scale=False)
    assert k.psd.action == "none"
    assert k.psd.min_eigenvalue == pytest.approx(np.linalg.eigvalsh(m)[0], rel=1e-6)
    bad = m - 2.0 * np.eye(400)
    with pytest.raises(KernelError, match="not positive semi-definite"):
        Kernel(bad, range(400))
    fixed = Kernel(bad, range(400), psd="clip")
    assert np.diag(fixed.matrix).mean() == pytest.approx(1.0)  # scaled after correction


def test_align_and_missing_ids_message() -> None:
    k = Kernel(np.eye(4), ids=[10, 11, 12, 13], name="A")
    assert k.align([13, "10", 11.0, 13]).tolist() == [3, 0, 1, 3]
    with pytest.raises(KernelError, match="2 ids in the data are not in kernel 'A' \\(4 ids\\): '99', '98'"):
        k.align([10, 99, 98, 99])
    many = list(range(100, 125))
    with pytest.raises(KernelError, match="25 ids in the data .*'109', \\.\\.\\. \\(25 in all\\)"):
        k.align(many)


def test_eigh_cached_shared_and_factor_path() -> None:
    rng = np.random.default_rng(2)
    w = rng.standard_normal((30, 5))
    k = Kernel(w @ w.T, ids=range(30), factor=w, name="F")
    assert k.psd.action == "none" and k.psd.min_eigenvalue == 0.0
    assert k.factor is not None and np.allclose(k.factor @ k.factor.T, k.matrix)
    renamed = k.with_name("G")
    assert renamed.name == "G" and k.name == "F"
    e = renamed.eigh
    assert k.eigh is e  # computed once, shared
    assert not e.complete and e.k == 5 and e.rank == 5
    assert np.allclose(e.reconstruct(), k.matrix)
    assert "rank" in k.describe() and "Kernel(name='F'" in repr(k)


def test_dataframe_matrix_and_io_roundtrip(tmp_path) -> None:
    m = _psd(4)
    frame = pd.DataFrame(m, index=["a", "b", "c", "d"], columns=["a", "b", "c", "d"])
    k = Kernel(frame, name="K", scale=False)
    assert k.ids.tolist() == ["a", "b", "c", "d"]
    csv = write_matrix(k, tmp_path / "K.csv")
    back = read_matrix(csv, scale=False)
    assert back.name == "K" and np.allclose(back.matrix, m) and back.ids.tolist() == k.ids.tolist()
    npy = write_matrix(k, tmp_path / "K2.npy")
    back2 = read_matrix(npy, scale=False)
    assert np.allclose(back2.matrix, m) and back2.ids.tolist() == k.ids.tolist()
    # header in another order is reordered to the rows
    frame[["d", "c", "b", "a"]].to_csv(tmp_path / "R.csv")
    assert np.allclose(read_matrix(tmp_path / "R.csv", scale=False).matrix, m)


def test_read_matrix_errors(tmp_path) -> None:
    with pytest.raises(KernelError, match="does not exist"):
        read_matrix(tmp_path / "none.csv")
    np.save(tmp_path / "x.npy", np.eye(2))
    with pytest.raises(KernelError, match="no ids for"):
        read_matrix(tmp_path / "x.npy")
    pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "z"]).to_csv(tmp_path / "m.csv")
    with pytest.raises(KernelError, match="header ids differ from row ids .*'b'"):
        read_matrix(tmp_path / "m.csv")
    (tmp_path / "k.bin").write_text("x")
    with pytest.raises(KernelError, match="unsupported kernel file type '.bin'"):
        read_matrix(tmp_path / "k.bin")
