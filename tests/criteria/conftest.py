import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import warnings

import pytest

import bayeslmm as bl

# Small fits shared by the tests of this folder (nutpie, 2 chains x 500 draws): enough for
# PSIS (k thresholds depend on the number of draws) while each costs one compile.
FIT_ARGS = dict(draws=500, tune=500, chains=2, progress=False)


def _fit(model: bl.Model, seed: int) -> bl.Fit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sampling diagnostics are tested in test_diagnostics.py
        return model.fit(seed=seed, **FIT_ARGS)


@pytest.fixture(scope="session")
def sleep_data():
    return bl.datasets.sleepstudy_like(seed=1)


@pytest.fixture(scope="session")
def sleep_fit(sleep_data):
    """Latent iid random intercept: the conditional density is the stored log-likelihood."""
    return _fit(bl.Model("Reaction ~ Days + (1 | Subject)", sleep_data), seed=1)


@pytest.fixture(scope="session")
def heritability_fits():
    """Genomic-only and genomic + microbiome fits of two traits (h² = 0.4; m² = 0.2 or 0).

    n = 300 keeps each fit near 10 s; the same seed gives both traits the same kernels.
    """
    out = {}
    for m2 in (0.2, 0.0):
        data, kernels = bl.datasets.heritability(n=300, h2=0.4, m2=m2, seed=11)
        out[m2] = {
            "G": _fit(bl.Model("y ~ x + (1 | gr(id, cov=G))", data, kernels=kernels), seed=1),
            "G+M": _fit(bl.Model("y ~ x + (1 | gr(id, cov=G)) + (1 | gr(id, cov=M))", data, kernels=kernels), seed=1),
        }
    return out
