"""Microbiome, methylation, spatial and Hadamard kernels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist, squareform

from bayeslmm.errors import KernelError
from bayeslmm.kernels import Kernel, grm, hadamard, methylation, microbiome, spatial
from bayeslmm.kernels.similarity import gower_centre
from bayeslmm.kernels.spatial import haversine

RNG = np.random.default_rng(11)
COUNTS = RNG.poisson(4.0, size=(40, 25))


def test_aitchison_equals_gower_centred_aitchison_distance() -> None:
    k = microbiome(pd.DataFrame(COUNTS, index=[f"m{i}" for i in range(40)]), scale=False)
    clr = np.log(COUNTS + 0.5)
    clr -= clr.mean(axis=1, keepdims=True)
    expected = gower_centre(squareform(pdist(clr))) / COUNTS.shape[1]
    np.testing.assert_allclose(k.matrix, expected, atol=1e-10)
    assert k.ids[0] == "m0" and k.factor is not None and "aitchison" in k.source


def test_bray_curtis_psd_correction_reported() -> None:
    k = microbiome(COUNTS, method="bray_curtis")
    assert k.psd.action == "clipped" and k.psd.min_eigenvalue < 0
    assert "clipped" in k.describe()["psd"]
    assert np.linalg.eigvalsh(k.matrix)[0] > -1e-10
    assert np.diag(k.matrix).mean() == pytest.approx(1.0)
    with pytest.raises(KernelError, match="not positive semi-definite"):
        microbiome(COUNTS, method="bray_curtis", psd="error")


@pytest.mark.parametrize(
    ("counts", "kwargs", "message"),
    [
        (np.array([[1, -1], [2, 3]]), {}, "finite and >= 0; sample '0', taxon 1 is -1.0"),
        (np.array([[0, 0], [2, 3]]), {}, "sample '0' has all counts 0"),
        (np.array([[0, 1], [2, 3]]), {"pseudocount": 0}, "zero count \\(sample '0', taxon 0\\) with pseudocount 0"),
        (np.array([[1, 1], [2, 3]]), {"method": "unifrac"}, "method must be one of .* got 'unifrac'"),
        (np.array([1, 2]), {}, "must be 2-D"),
    ],
)
def test_microbiome_errors(counts, kwargs, message) -> None:
    with pytest.raises(KernelError, match=message):
        microbiome(counts, **kwargs)


def test_methylation_beta_to_m_standardised() -> None:
    beta = RNG.uniform(0.05, 0.95, size=(30, 50))
    beta[0, 0] = np.nan
    k = methylation(beta, scale=False)
    m = np.log2((beta + 1e-6) / (1 - beta + 1e-6))
    mu = np.nanmean(m, 0)
    z = np.where(np.isnan(m), 0.0, m - mu)
    sd = np.sqrt((z**2).sum(0) / ((~np.isnan(m)).sum(0) - 1))
    z /= sd
    np.testing.assert_allclose(k.matrix, z @ z.T / 50, atol=1e-10)
    assert "1 missing values mean-imputed" in k.source
    k_m = methylation(np.where(np.isnan(m), 0.0, m), kind="m")
    assert k_m.n == 30
    with pytest.raises(KernelError, match="beta values must lie in \\[0, 1\\]; sample '0', probe 1 is 1.5"):
        methylation(np.array([[0.1, 1.5], [0.2, 0.3]]))
    with pytest.raises(KernelError, match="kind must be one of .* got 'raw'"):
        methylation(beta, kind="raw")
    with pytest.raises(KernelError, match="every methylation probe is constant"):
        methylation(np.full((3, 2), 0.5))


@pytest.mark.parametrize("cov", ["exponential", "matern32", "matern52", "gaussian"])
def test_spatial_covariances(cov: str) -> None:
    xy = RNG.uniform(0, 10, size=(30, 2))
    k = spatial(xy, cov=cov, lengthscale=2.0)
    d = squareform(pdist(xy)) / 2.0
    ref = {
        "exponential": np.exp(-d),
        "matern32": (1 + np.sqrt(3) * d) * np.exp(-np.sqrt(3) * d),
        "matern52": (1 + np.sqrt(5) * d + 5 * d**2 / 3) * np.exp(-np.sqrt(5) * d),
        "gaussian": np.exp(-0.5 * d**2),
    }[cov]
    np.testing.assert_allclose(k.matrix, ref, atol=1e-12)
    assert k.scale == 1.0 and cov in k.source


def test_haversine_and_lonlat() -> None:
    # London - Paris about 344 km
    d = haversine(np.array([[-0.1276, 51.5072], [2.3522, 48.8566]]))
    assert d[0, 1] == pytest.approx(343.5, abs=1.0)
    k = spatial(np.array([[-0.1276, 51.5072], [2.3522, 48.8566], [13.4, 52.5]]), lonlat=True, lengthscale=500.0)
    assert k.matrix[0, 1] == pytest.approx(np.exp(-d[0, 1] / 500.0))
    assert "great-circle" in k.source
    with pytest.raises(KernelError, match="latitude 120.0: outside"):
        spatial(np.array([[0.0, 120.0], [1.0, 1.0]]), lonlat=True, lengthscale=1.0)
    with pytest.raises(KernelError, match="lengthscale must be a finite number > 0, got -1"):
        spatial(np.eye(2), lengthscale=-1)
    with pytest.raises(KernelError, match="cov must be one of .* got 'rbf'"):
        spatial(np.eye(2), cov="rbf")


def test_hadamard_epistasis_and_gxe() -> None:
    x = RNG.binomial(2, 0.3, size=(30, 200)).astype(float)
    g = grm(x, ids=[f"i{j}" for j in range(30)], name="G")
    gg = hadamard(g, g, scale=False)
    np.testing.assert_allclose(gg.matrix, g.matrix**2)
    env = np.repeat([0, 1, 2], 10)
    e = Kernel((env[:, None] == env[None, :]).astype(float), [f"i{j}" for j in range(29, -1, -1)], name="E")
    gxe = hadamard(g, e, scale=False)
    assert gxe.ids.tolist() == g.ids.tolist()
    reordered = e.matrix[np.ix_(e.align(g.ids), e.align(g.ids))]
    np.testing.assert_allclose(gxe.matrix, g.matrix * reordered)
    assert gxe.psd.min_eigenvalue > -1e-10


def test_hadamard_common_ids_and_errors() -> None:
    a = Kernel(np.eye(3), ["a", "b", "c"], name="A")
    b = Kernel(np.eye(3), ["b", "c", "d"], name="B")
    ab = hadamard(a, b)
    assert ab.ids.tolist() == ["b", "c"] and "dropped 1 from 'A', 1 from 'B'" in ab.source
    with pytest.raises(KernelError, match="different ids: 1 only in 'A' \\('a'\\), 1 only in 'B' \\('d'\\)"):
        hadamard(a, b, strict=True)
    with pytest.raises(KernelError, match="'A' and 'C' share no ids"):
        hadamard(a, Kernel(np.eye(2), ["x", "y"], name="C"))
    with pytest.raises(KernelError, match="K2 is ndarray"):
        hadamard(a, np.eye(3))  # type: ignore[arg-type]


def test_hadamard_keeps_rowwise_kronecker_factor() -> None:
    rng = np.random.default_rng(5)
    w1, w2 = rng.standard_normal((40, 3)), rng.standard_normal((40, 4))
    k1 = Kernel(w1 @ w1.T, range(40), factor=w1, scale=False)
    k2 = Kernel(w2 @ w2.T, range(40), factor=w2, scale=False)
    h = hadamard(k1, k2, scale=False)
    assert h.factor is not None and h.factor.shape == (40, 12)
    np.testing.assert_allclose(h.factor @ h.factor.T, h.matrix, atol=1e-10)
