"""Simulators with documented truth, for examples, tests and the demo.

Every simulator takes a ``seed`` and returns a DataFrame whose ``attrs["truth"]`` holds the
values used to simulate it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["sleepstudy_like", "random_slopes", "genotypes", "microbiome_counts", "heritability",
           "load_gryphon"]


def sleepstudy_like(n_subjects: int = 18, n_days: int = 10, seed: int | None = 0) -> pd.DataFrame:
    """Reaction times over days of sleep deprivation, like lme4's ``sleepstudy``.

    Truth: intercept 251.4, slope 10.5, subject intercept sd 24.7, slope sd 5.9,
    correlation 0.07, residual sd 25.6 (the lme4 REML fit of the real data).

    Examples
    --------
    >>> df = sleepstudy_like(seed=1)
    >>> df.shape, df.attrs["truth"]["slope"]
    ((180, 3), 10.5)
    """
    truth = {"intercept": 251.4, "slope": 10.5, "sd_intercept": 24.7, "sd_slope": 5.9, "cor": 0.07, "sigma": 25.6}
    return random_slopes(n_subjects, n_days, seed=seed, names=("Reaction", "Days", "Subject"), **truth)


def random_slopes(
    n_groups: int = 30,
    n_per_group: int = 10,
    *,
    intercept: float = 0.0,
    slope: float = 1.0,
    sd_intercept: float = 1.0,
    sd_slope: float = 0.5,
    cor: float = 0.0,
    sigma: float = 1.0,
    seed: int | None = 0,
    names: tuple[str, str, str] = ("y", "t", "g"),
) -> pd.DataFrame:
    """Longitudinal data ``y ~ t + (t | g)`` with correlated intercepts and slopes.

    ``t`` runs 0, 1, ..., ``n_per_group - 1`` within each group; the truth is in ``attrs``.
    """
    rng = np.random.default_rng(seed)
    cov = np.array([[sd_intercept**2, cor * sd_intercept * sd_slope], [cor * sd_intercept * sd_slope, sd_slope**2]])
    u = rng.multivariate_normal(np.zeros(2), cov, size=n_groups)
    g = np.repeat(np.arange(n_groups), n_per_group)
    t = np.tile(np.arange(n_per_group, dtype=float), n_groups)
    y = intercept + slope * t + u[g, 0] + u[g, 1] * t + sigma * rng.standard_normal(len(t))
    yname, tname, gname = names
    df = pd.DataFrame({yname: y, tname: t, gname: [f"s{i:03d}" for i in g]})
    df.attrs["truth"] = {"intercept": intercept, "slope": slope, "sd_intercept": sd_intercept,
                         "sd_slope": sd_slope, "cor": cor, "sigma": sigma}
    return df


def genotypes(n: int, m: int, *, maf_range: tuple[float, float] = (0.05, 0.5), seed: int | None = 0) -> pd.DataFrame:
    """Unrelated individuals' 0/1/2 genotypes at ``m`` independent markers (Hardy-Weinberg).

    Index: ids ``"i0000"...``; columns ``"snp00000"...``; allele frequencies in ``attrs["freq"]``.
    """
    rng = np.random.default_rng(seed)
    freq = rng.uniform(*maf_range, size=m)
    G = rng.binomial(2, freq, size=(n, m)).astype(np.float64)
    ids = [f"i{i:04d}" for i in range(n)]
    df = pd.DataFrame(G, index=ids, columns=[f"snp{j:05d}" for j in range(m)])
    df.attrs["freq"] = freq
    return df


def microbiome_counts(n: int, taxa: int = 100, *, n_clusters: int = 4, depth: int = 5000, seed: int | None = 0) -> pd.DataFrame:
    """Taxon counts with community structure (clusters of similar samples), multinomial sampling."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, size=(n_clusters, taxa))
    cluster = rng.integers(0, n_clusters, size=n)
    logits = centres[cluster] + rng.normal(0, 0.7, size=(n, taxa))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    counts = np.vstack([rng.multinomial(depth, row) for row in p])
    return pd.DataFrame(counts, index=[f"i{i:04d}" for i in range(n)], columns=[f"taxon{j:03d}" for j in range(taxa)])


def heritability(
    n: int = 500,
    m: int = 1000,
    *,
    h2: float = 0.5,
    m2: float = 0.0,
    taxa: int = 100,
    beta_x: float = 0.5,
    seed: int | None = 0,
):
    """A phenotype with genomic heritability ``h2`` and microbiability ``m2``.

    Returns ``(data, kernels)``: ``data`` has columns ``id``, ``x`` (a covariate), ``y``;
    ``kernels`` maps ``"G"`` (VanRaden GRM of the simulated markers) and, when ``taxa > 0``,
    ``"M"`` (CLR microbiome kernel) to :class:`~bayeslmm.Kernel` objects. The phenotype is
    ``y = 1 + beta_x x + g + b + e`` with ``g ~ N(0, h2 G)``, ``b ~ N(0, m2 M)``,
    ``e ~ N(0, 1 - h2 - m2)`` (total variance 1 besides ``x``). Truth in ``data.attrs``.
    """
    from .kernels import grm, microbiome

    rng = np.random.default_rng(seed)
    geno = genotypes(n, m, seed=rng.integers(2**31))
    G = grm(geno)
    kernels = {"G": G}
    total = np.zeros(n)
    total += _draw(G, h2, rng)
    if taxa:
        M = microbiome(microbiome_counts(n, taxa, seed=rng.integers(2**31)))
        kernels["M"] = M
        total += _draw(M, m2, rng)
    x = rng.standard_normal(n)
    e = rng.standard_normal(n) * np.sqrt(max(1.0 - h2 - m2, 0.0))
    y = 1.0 + beta_x * x + total + e
    data = pd.DataFrame({"id": G.ids, "x": x, "y": y})
    data.attrs["truth"] = {"h2": h2, "m2": m2, "beta_x": beta_x, "intercept": 1.0}
    return data, kernels


def _draw(kernel, variance: float, rng: np.random.Generator) -> np.ndarray:
    if variance <= 0:
        return np.zeros(kernel.n)
    eig = kernel.eigh
    pos = np.clip(eig.values, 0, None)
    return eig.vectors @ (np.sqrt(variance * pos) * rng.standard_normal(len(pos)))


def load_gryphon(path: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The gryphon tutorial data (Wilson et al. 2010) from ``shared/data``.

    Returns ``(phenotypes, pedigree)``; raises ``FileNotFoundError`` naming the folder when absent.
    """
    from pathlib import Path

    here = Path(path) if path else Path(__file__).resolve().parents[2] / "shared" / "data"
    phen, ped = here / "gryphon.csv", here / "gryphonped.csv"
    if not phen.exists() or not ped.exists():
        raise FileNotFoundError(f"gryphon data not found in {here}")
    return pd.read_csv(phen), pd.read_csv(ped)
