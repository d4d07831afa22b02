"""The Hilbert-space basis approximates the kernel: measured errors of the correlation matrix.

Tolerances are the errors measured on these 300 uniform locations (seed 0) with a margin:
in one dimension PyMC's heuristic plan is near exact over the lengthscale prior's 90% interval
(error < 0.02 at its 5% quantile, < 0.002 at the median); the capped two-dimensional plan
(20 x 19 functions) is off by 0.09 (Matérn 3/2), 0.05 (Matérn 5/2) and 0.003 (squared
exponential) at the median lengthscale, and more basis functions shrink the error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist, squareform

import bayeslmm as bl
from bayeslmm.backend.gp import (
    GPApproximationWarning,
    hsgp_plan,
    spectral_density_numpy,
)
from bayeslmm.spec.gp import hsgp_basis, hsgp_frequencies, kernel_matrix


@pytest.fixture(scope="module")
def unit_square() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.uniform(0, 1, 300), "v": rng.uniform(0, 1, 300), "y": rng.standard_normal(300)})


def _error(term, plan, ls: float) -> float:
    """Largest |K_hsgp - K| over every pair of the term's locations, computed here from scratch."""
    phi = hsgp_basis(term.coords, plan.L, plan.m)
    psd = spectral_density_numpy(term.cov, hsgp_frequencies(plan.L, plan.m), ls)
    K = kernel_matrix(term.cov, squareform(pdist(term.coords)), ls)
    return float(np.max(np.abs((phi * psd) @ phi.T - K)))


def _plan(formula, data):
    m = bl.Model(formula, data)
    term = m.spec.gp_terms[0]
    return term, hsgp_plan(m.spec, term)


@pytest.mark.parametrize("cov", ["matern32", "matern52", "expquad"])
def test_one_dimension_heuristic_is_near_exact(unit_square, cov):
    term, plan = _plan(f'y ~ gp(x, cov="{cov}", approx="hsgp")', unit_square)
    assert plan.source == "heuristic"
    lo, hi = plan.lengthscale_range
    errors = [_error(term, plan, ls) for ls in (lo, np.sqrt(lo * hi), hi)]
    assert errors[0] < 0.02 and errors[1] < 0.002 and errors[2] < 0.002, errors
    np.testing.assert_allclose(plan.errors[0], errors[0], rtol=1e-8)  # the reported error is the real one


@pytest.mark.parametrize("cov,median_tol", [("matern32", 0.1), ("matern52", 0.06), ("expquad", 0.01)])
def test_two_dimensions_capped_plan(unit_square, cov, median_tol):
    _, plan = _plan(f'y ~ gp(x, v, cov="{cov}", approx="hsgp")', unit_square)
    assert plan.source == "capped"
    assert plan.errors[1] < median_tol
    _, finer_plan = _plan(f'y ~ gp(x, v, cov="{cov}", m=32, c=2.5)', unit_square)
    assert finer_plan.errors[1] < plan.errors[1] or finer_plan.errors[1] < 1e-3


def test_coarse_approximation_warns(unit_square):
    """The exponential kernel's spectral density decays slowly: the capped plan is coarse and says so."""
    with pytest.warns(GPApproximationWarning, match="coarse"):
        _plan('y ~ gp(x, v, cov="exponential", approx="hsgp")', unit_square)
