"""Fixtures of the GWAS tests: a small genotype set with one causal SNP, the bed-reader sample files."""

from __future__ import annotations

import pathlib
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))  # helpers_gwas under --import-mode=importlib


@dataclass(frozen=True)
class Small:
    G: np.ndarray  # (n, m) int8
    ids: np.ndarray
    chromosomes: np.ndarray
    positions: np.ndarray
    snps: np.ndarray
    alleles: np.ndarray
    data: pd.DataFrame
    causal: int


@pytest.fixture(scope="session")
def small() -> Small:
    """150 samples x 300 SNPs on 3 chromosomes; SNP 40 has effect 0.9 per allele on y, x a covariate."""
    rng = np.random.default_rng(0)
    n, m = 150, 300
    freq = rng.uniform(0.1, 0.5, m)
    G = rng.binomial(2, freq, size=(n, m)).astype(np.int8)
    ids = np.array([f"s{i:03d}" for i in range(n)])
    chromosomes = np.repeat([1, 2, 3], m // 3)
    positions = np.tile(np.arange(1, m // 3 + 1) * 1000, 3)
    snps = np.array([f"rs{j}" for j in range(m)])
    alleles = np.column_stack([np.full(m, "A"), np.full(m, "G")])
    x = rng.standard_normal(n)
    poly = (G[:, 100:200] - 2 * freq[100:200]) @ rng.normal(0, 0.1, 100)
    y = 0.5 * x + 0.9 * G[:, 40] + poly + rng.standard_normal(n)
    data = pd.DataFrame({"id": ids, "y": y, "x": x})
    return Small(G, ids, chromosomes, positions, snps, alleles, data, 40)


@pytest.fixture(scope="session")
def bed_data_dir() -> pathlib.Path:
    bed_reader = pytest.importorskip("bed_reader")
    return pathlib.Path(bed_reader.__file__).parent / "tests" / "data"


@pytest.fixture(scope="session")
def small_bed(small: Small, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The small genotypes written as a PLINK fileset; returns the prefix."""
    from bed_reader import to_bed

    prefix = tmp_path_factory.mktemp("bed") / "small"
    to_bed(
        str(prefix) + ".bed",
        small.G.astype(np.float32),
        properties={
            "iid": small.ids, "fid": small.ids, "sid": small.snps, "chromosome": small.chromosomes.astype(str),
            "bp_position": small.positions, "allele_1": small.alleles[:, 0], "allele_2": small.alleles[:, 1],
        },
    )
    return prefix
