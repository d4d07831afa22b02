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


# -- simulators for the models/ catalogue and the command line ---------------------------------
# Each returns a DataFrame (or ``(data, objects)`` where ``objects`` maps names to tables or
# kernels that a spec file reaches as ``"@name"``) with the values used in ``attrs["truth"]``.


def _ids(prefix: str, n: int) -> list[str]:
    width = len(str(n))
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def longitudinal_trial(
    n_patients: int = 60,
    n_visits: int = 6,
    *,
    baseline: float = 50.0,
    slope: float = -1.0,
    treatment_slope: float = 0.6,
    sd_intercept: float = 5.0,
    sd_slope: float = 0.8,
    cor: float = -0.3,
    sigma: float = 2.0,
    dropout: float = 0.08,
    seed: int | None = 0,
) -> pd.DataFrame:
    """A two-arm trial with a biomarker measured at monthly visits, and dropout.

    Model: ``biomarker ~ month * arm + (1 + month | patient)``. Patient ``i`` in arm
    ``a`` (``"control"`` or ``"treated"``, alternating) at month ``t = 0, 1, ...``:
    ``biomarker = baseline + (slope + treatment_slope [a = treated]) t + u0_i + u1_i t + e``,
    ``(u0, u1) ~ N(0, [[sd_intercept², r s0 s1], [r s0 s1, sd_slope²]])``, ``e ~ N(0, sigma²)``.
    After each visit from month 1 a patient drops out with probability ``dropout``; later
    visits stay in the table with a missing ``biomarker`` (``NaN``), as in a trial database.

    Truth (``attrs["truth"]``): ``intercept``, ``month`` (control slope),
    ``month:arm[treated]`` (difference in slopes), ``sd_intercept``, ``sd_slope``, ``cor``,
    ``sigma`` and ``n_missing``.
    """
    rng = np.random.default_rng(seed)
    cov = np.array([[sd_intercept**2, cor * sd_intercept * sd_slope], [cor * sd_intercept * sd_slope, sd_slope**2]])
    u = rng.multivariate_normal(np.zeros(2), cov, size=n_patients)
    arm = np.where(np.arange(n_patients) % 2 == 0, "control", "treated")
    rows = []
    for i, pid in enumerate(_ids("p", n_patients)):
        gone = False
        for t in range(n_visits):
            if t >= 2 and not gone:
                gone = rng.uniform() < dropout
            mean = baseline + (slope + treatment_slope * (arm[i] == "treated")) * t + u[i, 0] + u[i, 1] * t
            y = mean + sigma * rng.standard_normal()
            rows.append((pid, arm[i], float(t), np.nan if gone else y))
    df = pd.DataFrame(rows, columns=["patient", "arm", "month", "biomarker"])
    df.attrs["truth"] = {"intercept": baseline, "month": slope, "month:arm[treated]": treatment_slope,
                         "sd_intercept": sd_intercept, "sd_slope": sd_slope, "cor": cor, "sigma": sigma,
                         "n_missing": int(df["biomarker"].isna().sum())}
    return df


def rater_reliability(
    n_subjects: int = 40,
    n_raters: int = 6,
    *,
    mean: float = 20.0,
    sd_subject: float = 3.0,
    sd_rater: float = 1.5,
    sigma: float = 2.0,
    p_missing: float = 0.25,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Scores of subjects by crossed raters, unbalanced: each pair is rated with probability
    ``1 - p_missing`` (unrated pairs are absent; every subject keeps at least one rating).

    Model: ``score ~ 1 + (1 | subject) + (1 | rater)``; ``score = mean + s_i + r_j + e``,
    ``s ~ N(0, sd_subject²)``, ``r ~ N(0, sd_rater²)``, ``e ~ N(0, sigma²)``.

    Truth: ``icc`` (the reliability of one rating,
    ``sd_subject² / (sd_subject² + sd_rater² + sigma²)``, the share of ``1|subject``),
    ``share_rater``, ``share_residual``, the three sds and ``mean``.
    """
    rng = np.random.default_rng(seed)
    s = rng.normal(0, sd_subject, n_subjects)
    r = rng.normal(0, sd_rater, n_raters)
    keep = rng.uniform(size=(n_subjects, n_raters)) >= p_missing
    keep[np.arange(n_subjects), rng.integers(0, n_raters, n_subjects)] = True
    ii, jj = np.nonzero(keep)
    score = mean + s[ii] + r[jj] + sigma * rng.standard_normal(len(ii))
    df = pd.DataFrame({"subject": np.array(_ids("s", n_subjects))[ii], "rater": np.array(_ids("r", n_raters))[jj],
                       "score": score})
    total = sd_subject**2 + sd_rater**2 + sigma**2
    df.attrs["truth"] = {"mean": mean, "sd_subject": sd_subject, "sd_rater": sd_rater, "sigma": sigma,
                         "icc": sd_subject**2 / total, "share_rater": sd_rater**2 / total,
                         "share_residual": sigma**2 / total}
    return df


def nested_experiment(
    n_donors: int = 8,
    mice_per_donor: int = 6,
    n_days: int = 6,
    *,
    intercept: float = 4.0,
    growth: float = 0.15,
    treatment_effect: float = -0.08,
    sd_donor: float = 0.5,
    sd_mouse: float = 0.3,
    sigma: float = 0.2,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Three levels: tumour measurements within mice within donors (a PDX experiment).

    Model: ``log_volume ~ day * treatment + (1 | donor/mouse)``. Mice are labelled
    ``m1, m2, ...`` within each donor, so ``mouse`` alone does not identify a mouse: the
    nesting ``donor/mouse`` (= ``(1 | donor) + (1 | donor:mouse)``) does. Half the mice of a
    donor are treated. Measured every 3 days: ``log_volume = intercept + growth day +
    treatment_effect day [treated] + d_donor + m_mouse + e``.

    Truth: ``intercept``, ``day``, ``day:treatment[treated]``, ``sd_donor``, ``sd_mouse``,
    ``sigma`` and the variance shares ``share_donor``, ``share_mouse``, ``share_residual``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_donors):
        ud = rng.normal(0, sd_donor)
        for k in range(mice_per_donor):
            um = rng.normal(0, sd_mouse)
            treated = k % 2 == 1
            for t in range(n_days):
                day = 3.0 * t
                y = intercept + growth * day + treatment_effect * day * treated + ud + um + sigma * rng.standard_normal()
                rows.append((f"d{d + 1}", f"m{k + 1}", "treated" if treated else "control", day, y))
    df = pd.DataFrame(rows, columns=["donor", "mouse", "treatment", "day", "log_volume"])
    total = sd_donor**2 + sd_mouse**2 + sigma**2
    df.attrs["truth"] = {"intercept": intercept, "day": growth, "day:treatment[treated]": treatment_effect,
                         "sd_donor": sd_donor, "sd_mouse": sd_mouse, "sigma": sigma,
                         "share_donor": sd_donor**2 / total, "share_mouse": sd_mouse**2 / total,
                         "share_residual": sigma**2 / total}
    return df


def animal_model(
    n_founders: int = 60,
    n_generations: int = 4,
    *,
    h2: float = 0.4,
    mean: float = 10.0,
    sex_effect: float = 1.5,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A pedigreed population with a heritable trait (the quantitative-genetics animal model).

    ``n_founders`` unrelated founders (half male), then ``n_generations`` generations of the
    same size from random pairs of the previous one (two offspring per pair). Breeding
    values ``a ~ N(0, h2 A)`` with ``A`` the numerator relationship matrix of the pedigree
    (inbreeding included), residuals ``e ~ N(0, 1 - h2)``;
    ``weight = mean + sex_effect [sex = M] + a + e``. Founders are not phenotyped: their
    ``weight`` is missing, but they stay in the pedigree.

    Returns ``(data, {"pedigree": ped})``: ``data`` has ``animal``, ``sex``, ``weight``;
    ``ped`` has ``id``, ``sire``, ``dam`` (missing for founders).
    Model: ``weight ~ sex + (1 | gr(animal, cov=A))`` with ``A`` from ``ped``.
    Truth: ``h2``, ``va`` (= h2), ``ve``, ``sex[M]``, ``intercept``.
    """
    from .kernels import pedigree

    rng = np.random.default_rng(seed)
    ids = _ids("a", n_founders * (n_generations + 1))
    sex = np.where(np.arange(n_founders) % 2 == 0, "F", "M").tolist()
    sire: list[str | None] = [None] * n_founders
    dam: list[str | None] = [None] * n_founders
    previous = np.arange(n_founders)
    for _ in range(n_generations):
        males = previous[np.array(sex)[previous] == "M"]
        females = previous[np.array(sex)[previous] == "F"]
        start = len(sex)
        for _ in range(n_founders // 2):
            s, d = ids[rng.choice(males)], ids[rng.choice(females)]
            for _ in range(2):
                sire.append(s)
                dam.append(d)
                sex.append("M" if rng.uniform() < 0.5 else "F")
        previous = np.arange(start, len(sex))
    n = len(sex)
    ped = pd.DataFrame({"id": ids[:n], "sire": sire, "dam": dam})
    A = pedigree(ped, scale=False)
    L = np.linalg.cholesky(A.matrix + 1e-10 * np.eye(n))
    order = A.align(ped["id"].to_numpy())
    a = (L @ rng.standard_normal(n))[order] * np.sqrt(h2)
    e = rng.standard_normal(n) * np.sqrt(1.0 - h2)
    weight = mean + sex_effect * (np.array(sex) == "M") + a + e
    weight[:n_founders] = np.nan
    data = pd.DataFrame({"animal": ids[:n], "sex": sex, "weight": weight})
    data.attrs["truth"] = {"h2": h2, "va": h2, "ve": 1.0 - h2, "intercept": mean, "sex[M]": sex_effect,
                           "mean_inbreeding": float(np.mean(A.info["inbreeding"])) if "inbreeding" in A.info else 0.0}
    return data, {"pedigree": ped}


def methylation_trait(
    n: int = 300,
    m: int = 800,
    probes: int = 400,
    *,
    h2: float = 0.3,
    e2: float = 0.25,
    beta_age: float = 0.3,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A trait with a genomic and an epigenetic (DNA methylation) variance component.

    Genotypes as :func:`genotypes`; methylation beta values of ``probes`` CpG sites with
    correlated structure (M-values from 5 latent factors plus noise, ``beta = 2^M / (1 +
    2^M)``). With ``G = grm(genotypes)`` and ``E = methylation(beta)`` (both default options,
    as a spec file builds them): ``y = 1 + beta_age age + g + s + e``, ``g ~ N(0, h2 G)``,
    ``s ~ N(0, e2 E)``, ``e ~ N(0, 1 - h2 - e2)``.

    Returns ``(data, {"genotypes": ..., "methylation": ...})`` (ids as the tables' index);
    model: ``y ~ age + (1 | gr(id, cov=G)) + (1 | gr(id, cov=E))``. Truth: ``h2``, ``e2``
    (the methylation share), ``age``.
    """
    from .kernels import grm, methylation

    rng = np.random.default_rng(seed)
    geno = genotypes(n, m, seed=rng.integers(2**31))
    factors = rng.standard_normal((n, 5))
    loadings = rng.normal(0, 0.8, size=(probes, 5))
    mvals = factors @ loadings.T + rng.normal(0, 0.7, size=(n, probes)) + rng.normal(0, 1.5, size=probes)
    beta = pd.DataFrame(2.0**mvals / (1.0 + 2.0**mvals), index=geno.index,
                        columns=[f"cg{j:05d}" for j in range(probes)])
    G, E = grm(geno), methylation(beta)
    age = rng.standard_normal(n)
    y = 1.0 + beta_age * age + _draw(G, h2, rng) + _draw(E, e2, rng) + rng.standard_normal(n) * np.sqrt(1 - h2 - e2)
    data = pd.DataFrame({"id": geno.index, "age": age, "y": y})
    data.attrs["truth"] = {"h2": h2, "e2": e2, "residual": 1 - h2 - e2, "age": beta_age, "intercept": 1.0}
    return data, {"genotypes": geno, "methylation": beta}


def epistasis(
    n: int = 300,
    m: int = 600,
    *,
    h2_additive: float = 0.3,
    h2_epistatic: float = 0.2,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Additive and additive-by-additive (epistatic) genetic variance.

    With ``G = grm(genotypes)`` and ``GG = hadamard(G, G)`` (scaled to mean diagonal 1):
    ``y = 1 + g + gg + e``, ``g ~ N(0, h2_additive G)``, ``gg ~ N(0, h2_epistatic GG)``,
    ``e ~ N(0, 1 - h2_additive - h2_epistatic)``.

    Returns ``(data, {"genotypes": ...})``; model:
    ``y ~ 1 + (1 | gr(id, cov=G)) + (1 | gr(id, cov=GG))``. Truth: ``h2_additive``,
    ``h2_epistatic``.
    """
    from .kernels import grm, hadamard

    rng = np.random.default_rng(seed)
    geno = genotypes(n, m, seed=rng.integers(2**31))
    G = grm(geno)
    GG = hadamard(G, G)
    resid = 1.0 - h2_additive - h2_epistatic
    y = 1.0 + _draw(G, h2_additive, rng) + _draw(GG, h2_epistatic, rng) + rng.standard_normal(n) * np.sqrt(resid)
    data = pd.DataFrame({"id": geno.index, "y": y})
    data.attrs["truth"] = {"h2_additive": h2_additive, "h2_epistatic": h2_epistatic, "residual": resid,
                           "intercept": 1.0}
    return data, {"genotypes": geno}


def reaction_norms(
    n: int = 150,
    m: int = 600,
    n_env: int = 4,
    *,
    va_intercept: float = 0.3,
    va_slope: float = 0.2,
    cor: float = 0.4,
    env_effect: float = 0.5,
    sigma: float = 0.6,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Genotype-by-environment interaction as genomic random regression (reaction norms).

    Every individual is measured once in each of ``n_env`` environments ``env`` (evenly
    spaced on [-1, 1], so centred). Individual ``i`` has a genomic intercept ``a_i`` and
    slope ``b_i`` on ``env`` with ``vec(a, b) ~ N(0, Sigma ⊗ G)``,
    ``Sigma = [[va_intercept, r s_a s_b], [r s_a s_b, va_slope]]``;
    ``y = 1 + env_effect env + a_i + b_i env + e``, ``e ~ N(0, sigma²)``.

    Returns ``(data, {"genotypes": ...})``; model:
    ``y ~ env + (1 + env | gr(id, cov=G))``. Truth: the variances and ``cor``, and the
    variance shares as bayeslmm defines them, ``share_intercept = va_intercept / T``,
    ``share_slope = va_slope var(env) / T``, ``share_residual = sigma² / T`` with
    ``T = va_intercept + va_slope var(env) + sigma²``.
    """
    from .kernels import grm

    rng = np.random.default_rng(seed)
    geno = genotypes(n, m, seed=rng.integers(2**31))
    G = grm(geno)
    env_levels = np.linspace(-1.0, 1.0, n_env)
    cov = np.array([[va_intercept, cor * np.sqrt(va_intercept * va_slope)],
                    [cor * np.sqrt(va_intercept * va_slope), va_slope]])
    F = np.linalg.cholesky(cov)
    eig = G.eigh
    root = eig.vectors * np.sqrt(np.clip(eig.values, 0, None))
    effects = root @ rng.standard_normal((n, 2)) @ F.T
    idx = np.repeat(np.arange(n), n_env)
    env = np.tile(env_levels, n)
    y = 1.0 + env_effect * env + effects[idx, 0] + effects[idx, 1] * env + sigma * rng.standard_normal(len(idx))
    data = pd.DataFrame({"id": np.asarray(geno.index)[idx], "env": env, "y": y})
    var_env = float(np.var(env))
    total = va_intercept + va_slope * var_env + sigma**2
    data.attrs["truth"] = {"va_intercept": va_intercept, "va_slope": va_slope, "cor": cor, "sigma": sigma,
                           "env": env_effect, "share_intercept": va_intercept / total,
                           "share_slope": va_slope * var_env / total, "share_residual": sigma**2 / total}
    return data, {"genotypes": geno}


def heteroscedastic(
    n_sites: int = 30,
    n_per_site: int = 12,
    *,
    intercept: float = 10.0,
    slope: float = 1.0,
    treated_effect: float = 0.5,
    sd_site: float = 1.0,
    sigma_control: float = 1.0,
    sigma_treated: float = 2.0,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Residual sd that differs between arms: a model for ``sigma ~ arm``.

    Rows alternate between arms within each site; ``y = intercept + slope x +
    treated_effect [treated] + u_site + e`` with ``u ~ N(0, sd_site²)`` and
    ``e ~ N(0, sigma_arm²)``. Model:
    ``["y ~ x + arm + (1 | site)", "sigma ~ arm"]``.

    Truth: ``sigma_control``, ``sigma_treated``, ``sigma:arm[treated]`` (the log ratio
    ``log(sigma_treated / sigma_control)``), ``sd_site``, ``x``, ``arm[treated]``.
    """
    rng = np.random.default_rng(seed)
    n = n_sites * n_per_site
    site = np.repeat(np.arange(n_sites), n_per_site)
    treated = np.tile(np.arange(n_per_site) % 2 == 1, n_sites)
    x = rng.standard_normal(n)
    u = rng.normal(0, sd_site, n_sites)
    sd = np.where(treated, sigma_treated, sigma_control)
    y = intercept + slope * x + treated_effect * treated + u[site] + sd * rng.standard_normal(n)
    df = pd.DataFrame({"site": np.array(_ids("site", n_sites))[site], "arm": np.where(treated, "treated", "control"),
                       "x": x, "y": y})
    df.attrs["truth"] = {"intercept": intercept, "x": slope, "arm[treated]": treated_effect, "sd_site": sd_site,
                         "sigma_control": sigma_control, "sigma_treated": sigma_treated,
                         "sigma:arm[treated]": float(np.log(sigma_treated / sigma_control))}
    return df


def binary_trait(
    n: int = 400,
    m: int = 800,
    *,
    h2: float = 0.4,
    prevalence: float = 0.3,
    beta_x: float = 0.5,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A binary disease status from a heritable liability (the probit threshold model).

    Liability ``l = b0 + beta_x x + g + e`` with ``g ~ N(0, s_g² G)``, ``e ~ N(0, 1)``,
    ``s_g² = h2 / (1 - h2)`` so that the liability-scale heritability
    ``s_g² / (s_g² + 1)`` is ``h2``; ``disease = 1`` when ``l > 0``. ``b0`` puts the
    expected prevalence at ``prevalence``.

    Returns ``(data, {"genotypes": ...})``; model (family bernoulli, link probit):
    ``disease ~ x + (1 | gr(id, cov=G))``; its latent-scale share of ``G`` estimates ``h2``.
    Truth: ``h2``, ``sd_genetic``, ``x``, ``intercept`` (probit scale), ``prevalence``.
    """
    from scipy.stats import norm

    from .kernels import grm

    rng = np.random.default_rng(seed)
    geno = genotypes(n, m, seed=rng.integers(2**31))
    G = grm(geno)
    var_g = h2 / (1.0 - h2)
    b0 = float(norm.ppf(prevalence) * np.sqrt(1.0 + var_g + beta_x**2))
    x = rng.standard_normal(n)
    liability = b0 + beta_x * x + _draw(G, var_g, rng) + rng.standard_normal(n)
    data = pd.DataFrame({"id": geno.index, "x": x, "disease": (liability > 0).astype(int)})
    data.attrs["truth"] = {"h2": h2, "sd_genetic": float(np.sqrt(var_g)), "x": beta_x, "intercept": b0,
                           "prevalence": prevalence, "observed_prevalence": float(data["disease"].mean())}
    return data, {"genotypes": geno}


__all__ += ["longitudinal_trial", "rater_reliability", "nested_experiment", "animal_model", "methylation_trait",
            "epistasis", "reaction_norms", "heteroscedastic", "binary_trait"]
