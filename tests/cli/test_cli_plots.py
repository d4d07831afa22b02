"""Plot functions: each returns a Figure; labels of kernel components; the density helpers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.figure import Figure

import bayeslmm as bl
from bayeslmm.errors import SpecError
from bayeslmm.results import plots


KINDS = ["variance", "proportions", "trace", "rank", "ppc", "caterpillar", "shrinkage", "correlation"]


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_returns_a_figure(small_fit, kind):
    assert kind in plots.PLOTS
    fig = small_fit.plot(kind)
    assert isinstance(fig, Figure)
    assert fig.axes and any(ax.has_data() for ax in fig.axes)


@pytest.mark.slow
def test_plot_options_and_errors(small_fit):
    fig = small_fit.plot("caterpillar", group="Subject", coef="Days")
    assert "Days | Subject" in fig.axes[0].get_title(loc="left")
    fig = small_fit.plot("trace", var_names=["Days", "sigma"])
    assert len(fig.axes) == 4
    with pytest.raises(SpecError, match="'nope'"):
        small_fit.plot("nope")
    with pytest.raises(SpecError, match="'bogus'"):
        small_fit.plot("trace", var_names=["bogus"])
    with pytest.raises(SpecError, match="'Age'"):
        small_fit.plot("caterpillar", coef="Age")


@pytest.mark.slow
def test_variance_shares_of_a_gaussian_fit_are_the_proportions(small_fit):
    draws, scale = plots.proportion_draws(small_fit)
    assert scale == "response scale"
    prop = small_fit.idata.posterior["proportions"].values.reshape(-1, 3)
    np.testing.assert_allclose(draws["Residual"], prop[:, 2])
    np.testing.assert_allclose(sum(draws.values()), 1.0, rtol=1e-12)


def _spec_only(formula, data, kernels, family="gaussian", link=None):
    """A stand-in for a fit: the labels need only the model spec (no sampling)."""
    model = bl.Model(formula, data, kernels=kernels, family=family, link=link)
    return SimpleNamespace(spec=model.spec)


@pytest.fixture(scope="module")
def two_kernels():
    return bl.datasets.heritability(n=40, m=60, h2=0.4, m2=0.2, taxa=20, seed=1)


def test_genomic_and_microbiome_kernels_are_labelled(two_kernels):
    data, K = two_kernels
    fake = _spec_only("y ~ x + (1 | gr(id, cov=G)) + (1 | gr(id, cov=M))", data, K)
    labels = plots.component_labels(fake)
    assert labels == {"1|gr(id, cov=G)": "h²", "1|gr(id, cov=M)": "m²", "Residual": "Residual"}


def test_kernel_names_decide_for_matrices_read_from_files(two_kernels):
    data, K = two_kernels
    # kernels of unknown origin: the name decides (A is a pedigree name, OTHER is nothing known)
    renamed = {"A": bl.Kernel(K["G"].matrix, K["G"].ids), "OTHER": bl.Kernel(K["M"].matrix, K["M"].ids)}
    fake = _spec_only("y ~ (1 | gr(id, cov=A)) + (1 | gr(id, cov=OTHER))", data, renamed)
    assert plots.component_labels(fake) == {"1|gr(id, cov=A)": "h²", "1|gr(id, cov=OTHER)": "1|gr(id, cov=OTHER)",
                                            "Residual": "Residual"}
    custom = plots.component_labels(fake, {"OTHER": "diet share", "Residual": "noise"})
    assert custom["1|gr(id, cov=OTHER)"] == "diet share" and custom["Residual"] == "noise"


def test_two_genomic_kernels_get_their_names_and_hadamard_is_not_h2(two_kernels):
    data, K = two_kernels
    G = K["G"]
    kernels = {"G": G, "A": G.with_name("A"), "GG": bl.kernels.hadamard(G, G)}
    fake = _spec_only("y ~ (1 | gr(id, cov=G)) + (1 | gr(id, cov=A)) + (1 | gr(id, cov=GG))", data, kernels)
    labels = plots.component_labels(fake)
    assert labels["1|gr(id, cov=G)"] == "h² (G)" and labels["1|gr(id, cov=A)"] == "h² (A)"
    assert labels["1|gr(id, cov=GG)"] == "1|gr(id, cov=GG)"


def test_slopes_of_a_kernel_term_are_not_h2():
    data, kernels = bl.datasets.reaction_norms(n=30, m=50, n_env=3, seed=1)
    G = bl.kernels.grm(kernels["genotypes"])
    fake = _spec_only("y ~ env + (1 + env | gr(id, cov=G))", data, {"G": G})
    labels = plots.component_labels(fake)
    assert labels["1|gr(id, cov=G)"] == "h²"
    assert labels["env|gr(id, cov=G)"] == "env|gr(id, cov=G)"


def test_kde_integrates_to_one_and_matches_a_normal_density():
    rng = np.random.default_rng(0)
    grid = np.linspace(-5, 5, 1001)
    dens = plots._kde(rng.standard_normal(20000), grid)
    assert abs(dens.sum() * (grid[1] - grid[0]) - 1) < 1e-3
    # Scott's bandwidth smooths the peak by about 2% at n = 20,000; 0.02 absolute is ample
    assert abs(dens[500] - 1 / np.sqrt(2 * np.pi)) < 0.02


def test_reflected_kde_keeps_mass_inside_the_unit_interval():
    rng = np.random.default_rng(1)
    grid = np.linspace(0, 1, 401)
    uniform = plots._kde01(rng.uniform(size=20000), grid)
    assert abs(uniform.sum() * (grid[1] - grid[0]) - 1) < 0.01
    # without reflection the density at 0 and 1 would be about half (0.5); reflected it stays near 1
    assert np.all(np.abs(uniform[[0, 200, 400]] - 1) < 0.1)
