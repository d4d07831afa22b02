"""GRM against the VanRaden formula (bed-reader sample file and simulated), LOCO."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers_kernels import vanraden

from bayeslmm.errors import KernelError
from bayeslmm.kernels import grm, loco


def _toydata() -> Path:
    bed_reader = pytest.importorskip("bed_reader", reason="bed-reader is not installed")
    path = Path(bed_reader.__file__).parent / "tests" / "data" / "toydata.5chrom.bed"
    if not path.is_file():
        pytest.skip(f"bed-reader sample file not found at {path}")
    return path


@pytest.fixture(scope="module")
def toy() -> tuple[Path, np.ndarray]:
    from bed_reader import open_bed

    path = _toydata()
    with open_bed(path) as bed:
        return path, bed.read(dtype="float64")


def _simulated(n: int = 60, m: int = 400, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 0.5, m)
    x = rng.binomial(2, p, size=(n, m)).astype(float)
    x[rng.random((n, m)) < 0.02] = np.nan
    x[:, 7] = 0.0  # monomorphic
    return x


def test_vanraden_on_toydata_bed(toy) -> None:
    path, x = toy
    k = grm(str(path)[:-4], scale=False)  # PLINK prefix
    assert k.n == 500 and k.ids[0] == "per0"
    np.testing.assert_allclose(k.matrix, vanraden(x), rtol=1e-10, atol=1e-12)
    assert k.info["n_markers"] == 10000 and "grm(vanraden" in k.source
    assert k.factor is None  # m > n


def test_bed_path_and_array_agree(toy) -> None:
    path, x = toy
    a = grm(path, block_size=3000)
    b = grm(x, ids=[f"per{i}" for i in range(500)])
    np.testing.assert_allclose(a.matrix, b.matrix, rtol=1e-10, atol=1e-12)
    assert np.diag(a.matrix).mean() == pytest.approx(1.0)


def test_vanraden_simulated_with_missing() -> None:
    x = _simulated()
    k = grm(x, scale=False, block_size=64)
    np.testing.assert_allclose(k.matrix, vanraden(x), rtol=1e-10, atol=1e-12)
    assert k.info["n_missing"] == int(np.isnan(x).sum()) > 0
    assert k.info["n_monomorphic"] == 1
    assert f"{int(np.isnan(x).sum())} missing genotypes mean-imputed" in k.source
    assert np.allclose(k.matrix.sum(axis=1), 0.0, atol=1e-10)  # centred: 1 in the null space


def test_standardized_and_maf_filter() -> None:
    x = _simulated()
    p = np.nanmean(x, 0) / 2
    keep = (np.minimum(p, 1 - p) >= 0.1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(np.isnan(x), 0, (x - 2 * p) / np.sqrt(2 * p * (1 - p)))[:, keep]
    k = grm(x, method="standardized", maf_min=0.1, scale=False)
    np.testing.assert_allclose(k.matrix, z @ z.T / keep.sum(), rtol=1e-10, atol=1e-12)
    assert k.info["n_markers_used"] == keep.sum()


def test_factor_kept_when_fewer_markers_than_samples() -> None:
    x = _simulated(n=80, m=30)
    k = grm(pd.DataFrame(x, index=[f"s{i}" for i in range(80)]))
    assert k.factor is not None and k.factor.shape[1] < 80
    np.testing.assert_allclose(k.factor @ k.factor.T, k.matrix, atol=1e-12)
    e = k.eigh
    assert not e.complete and np.allclose(e.reconstruct(), k.matrix, atol=1e-10)
    assert k.ids[0] == "s0"


@pytest.mark.parametrize(
    ("genotypes", "kwargs", "message"),
    [
        (np.array([[0, 1], [3, 1]]), {}, "allele counts in \\[0, 2\\].*sample '1', marker 0 has 3.0"),
        (np.array([[0.0, 1], [-1, 1]]), {}, "sample '1', marker 0 has -1.0"),
        (np.zeros((3, 2)), {}, "no marker left after filtering"),
        (np.ones((2, 2, 2)), {}, "must be 2-D"),
        (np.array([["a"]]), {}, "must be numeric 0/1/2"),
        (np.array([[0, 1], [1, 2]]), {"method": "gcta"}, "method must be one of .* got 'gcta'"),
        (np.array([[0, 1], [1, 2]]), {"maf_min": 0.7}, "maf_min must be a number in \\[0, 0.5\\], got 0.7"),
        (np.array([[0, 1], [1, 2]]), {"ids": [1, 2, 3]}, "has 2 rows but 3 ids"),
        ("/nonexistent/prefix", {}, "no PLINK .bed file found for '/nonexistent/prefix'"),
    ],
)
def test_grm_errors(genotypes, kwargs, message) -> None:
    with pytest.raises(KernelError, match=message):
        grm(genotypes, **kwargs)


def test_loco_equals_grm_without_each_chromosome() -> None:
    x = _simulated(n=50, m=300)
    chrom = np.repeat([1, 2, 3], 100)
    out = loco(x, chrom, scale=False)
    assert set(out) == {"1", "2", "3"}
    for c in (1, 2, 3):
        direct = grm(x[:, chrom != c], scale=False)
        # frequencies per marker are the same; only the marker set differs
        np.testing.assert_allclose(out[str(c)].matrix, direct.matrix, rtol=1e-10, atol=1e-12)
        assert out[str(c)].name == f"loco_{c}"


def test_loco_from_bed_uses_bim_chromosomes(toy) -> None:
    path, x = toy
    out = loco(path)
    assert sorted(out) == ["1", "2", "3", "4", "5"]
    with pytest.raises(KernelError, match="chromosomes has 2 entries but the genotypes have 300 markers"):
        loco(_simulated(m=300), [1, 2])
    with pytest.raises(KernelError, match="at least 2 chromosomes"):
        loco(_simulated(m=300), np.ones(300))
