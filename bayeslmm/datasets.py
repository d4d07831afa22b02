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

    Examples
    --------
    >>> df = random_slopes(5, 4, sd_slope=0.5, seed=1)
    >>> df.shape, df.attrs["truth"]["sd_slope"]
    ((20, 3), 0.5)
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

    Examples
    --------
    >>> g = genotypes(10, 20, seed=1)
    >>> g.shape, g.index[0], g.columns[0], sorted(set(g.values.ravel().tolist()))
    ((10, 20), 'i0000', 'snp00000', [0.0, 1.0, 2.0])
    """
    rng = np.random.default_rng(seed)
    freq = rng.uniform(*maf_range, size=m)
    G = rng.binomial(2, freq, size=(n, m)).astype(np.float64)
    ids = [f"i{i:04d}" for i in range(n)]
    df = pd.DataFrame(G, index=ids, columns=[f"snp{j:05d}" for j in range(m)])
    df.attrs["freq"] = freq
    return df


def microbiome_counts(n: int, taxa: int = 100, *, n_clusters: int = 4, depth: int = 5000, seed: int | None = 0) -> pd.DataFrame:
    """Taxon counts with community structure (clusters of similar samples), multinomial sampling.

    Examples
    --------
    >>> counts = microbiome_counts(5, taxa=10, depth=5000, seed=1)
    >>> counts.shape, counts.sum(axis=1).unique().tolist()
    ((5, 10), [5000])
    """
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

    Examples
    --------
    >>> data, kernels = heritability(n=50, m=100, h2=0.5, m2=0.2, seed=1)
    >>> data.shape, sorted(kernels), data.attrs["truth"]["m2"]
    ((50, 3), ['G', 'M'], 0.2)
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

    Examples
    --------
    >>> phenotypes, ped = load_gryphon()          # doctest: +SKIP
    >>> phenotypes.shape, ped.shape               # doctest: +SKIP
    ((1084, 6), (1309, 3))
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

    Examples
    --------
    >>> df = longitudinal_trial(n_patients=10, seed=1)
    >>> df.shape, df.attrs["truth"]["month:arm[treated]"]
    ((60, 4), 0.6)
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

    Examples
    --------
    >>> df = rater_reliability(seed=1)
    >>> list(df.columns), round(df.attrs["truth"]["icc"], 3)
    (['subject', 'rater', 'score'], 0.59)
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

    Examples
    --------
    >>> df = nested_experiment(seed=1)
    >>> df.shape, list(df.columns)
    ((288, 5), ['donor', 'mouse', 'treatment', 'day', 'log_volume'])
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
                mean = intercept + growth * day + treatment_effect * day * treated + ud + um
                y = mean + sigma * rng.standard_normal()
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

    Examples
    --------
    >>> data, tables = animal_model(n_founders=10, n_generations=2, seed=1)
    >>> data.shape, int(data["weight"].isna().sum()), list(tables["pedigree"].columns)
    ((30, 3), 10, ['id', 'sire', 'dam'])
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
    correlated structure (M-values: 20 latent factors, loadings sd 0.3, plus probe-specific
    noise sd 1, ``beta = 2^M / (1 + 2^M)``; a few dominant factors would make the kernel
    nearly low-rank and its share poorly identified). With ``G = grm(genotypes)`` and ``E = methylation(beta)`` (both default options,
    as a spec file builds them): ``y = 1 + beta_age age + g + s + e``, ``g ~ N(0, h2 G)``,
    ``s ~ N(0, e2 E)``, ``e ~ N(0, 1 - h2 - e2)``.

    Returns ``(data, {"genotypes": ..., "methylation": ...})`` (ids as the tables' index);
    model: ``y ~ age + (1 | gr(id, cov=G)) + (1 | gr(id, cov=E))``. Truth: ``h2``, ``e2``
    (the methylation share), ``age``.

    Examples
    --------
    >>> data, tables = methylation_trait(n=30, m=50, probes=20, seed=1)
    >>> data.shape, tables["methylation"].shape, data.attrs["truth"]["e2"]
    ((30, 3), (30, 20), 0.25)
    """
    from .kernels import grm, methylation

    rng = np.random.default_rng(seed)
    geno = genotypes(n, m, seed=rng.integers(2**31))
    factors = rng.standard_normal((n, 20))
    loadings = rng.normal(0, 0.3, size=(probes, 20))
    mvals = factors @ loadings.T + rng.normal(0, 1.0, size=(n, probes)) + rng.normal(0, 1.5, size=probes)
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
    n_generations: int = 0,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Additive and additive-by-additive (epistatic) genetic variance.

    With ``G = grm(genotypes)`` and ``GG = hadamard(G, G)`` (scaled to mean diagonal 1):
    ``y = 1 + g + gg + e``, ``g ~ N(0, h2_additive G)``, ``gg ~ N(0, h2_epistatic GG)``,
    ``e ~ N(0, 1 - h2_additive - h2_epistatic)``.

    ``n_generations = 0``: unrelated individuals (:func:`genotypes`). Their ``G`` has
    off-diagonal entries of order :math:`1/\\sqrt m`, so ``G o G`` is close to the identity and
    the epistatic share is hardly told apart from the residual. ``n_generations > 0``: a
    random-mating population with relatives (:func:`_pedigree_genotypes`:
    ``n // (n_generations + 1)`` founders, then generations of the same size, genotypes
    passed on by Mendelian sampling of independent markers); relatives of several degrees
    separate the two kernels. The pedigree is returned too.

    Returns ``(data, {"genotypes": ...})`` (and ``"pedigree"`` when ``n_generations > 0``);
    model: ``y ~ 1 + (1 | gr(id, cov=G)) + (1 | gr(id, cov=GG))``. Truth: ``h2_additive``,
    ``h2_epistatic``.

    Examples
    --------
    >>> data, tables = epistasis(n=30, m=50, seed=1)
    >>> data.shape, data.attrs["truth"]["h2_epistatic"]
    ((30, 2), 0.2)
    """
    from .kernels import grm, hadamard

    rng = np.random.default_rng(seed)
    tables: dict[str, pd.DataFrame] = {}
    if n_generations > 0:
        geno, tables["pedigree"] = _pedigree_genotypes(n // (n_generations + 1), n_generations, m, rng)
    else:
        geno = genotypes(n, m, seed=rng.integers(2**31))
    tables["genotypes"] = geno
    G = grm(geno)
    GG = hadamard(G, G)
    resid = 1.0 - h2_additive - h2_epistatic
    size = len(geno)
    y = 1.0 + _draw(G, h2_additive, rng) + _draw(GG, h2_epistatic, rng) + rng.standard_normal(size) * np.sqrt(resid)
    data = pd.DataFrame({"id": geno.index, "y": y})
    data.attrs["truth"] = {"h2_additive": h2_additive, "h2_epistatic": h2_epistatic, "residual": resid,
                           "intercept": 1.0}
    return data, {"genotypes": geno, **{k: v for k, v in tables.items() if k != "genotypes"}}


def _pedigree_genotypes(n_founders: int, n_generations: int, m: int,
                        rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Genotypes of a random-mating population with relatives, and its pedigree.

    ``n_founders`` founders (rounded down to even; half of each sex) with Hardy-Weinberg genotypes at ``m``
    independent markers (frequencies uniform on [0.05, 0.5]); each generation has
    ``n_founders`` members, two offspring per random pair of the previous generation. An
    offspring receives one allele from each parent, the copy drawn at random at every marker
    (no linkage). Ids ``"i001"...``; pedigree columns ``id``, ``sire``, ``dam``.
    """
    if n_founders < 4:
        raise ValueError(f"need at least 4 founders per generation, got {n_founders}")
    n_founders -= n_founders % 2  # pairs of parents: an even generation size
    freq = rng.uniform(0.05, 0.5, size=m)
    geno = [rng.binomial(2, freq, size=(n_founders, m))]
    total = n_founders * (n_generations + 1)
    ids = _ids("i", total)
    sex = np.arange(n_founders) % 2
    sire: list[str | None] = [None] * n_founders
    dam: list[str | None] = [None] * n_founders
    start = 0
    for _ in range(n_generations):
        parents = geno[-1]
        males = np.flatnonzero(sex == 1)
        females = np.flatnonzero(sex == 0)
        kids, kid_sex = [], []
        for _ in range(n_founders // 2):
            s, d = rng.choice(males), rng.choice(females)
            for _ in range(2):
                from_sire = rng.binomial(1, parents[s] / 2.0)
                from_dam = rng.binomial(1, parents[d] / 2.0)
                kids.append(from_sire + from_dam)
                kid_sex.append(rng.integers(0, 2))
                sire.append(ids[start + s])
                dam.append(ids[start + d])
        start += n_founders
        geno.append(np.array(kids))
        sex = np.array(kid_sex)
        if not (sex == 1).any() or not (sex == 0).any():
            sex[0], sex[-1] = 1, 0
    values = np.vstack(geno).astype(np.float64)
    frame = pd.DataFrame(values, index=ids, columns=[f"snp{j:05d}" for j in range(m)])
    return frame, pd.DataFrame({"id": ids, "sire": sire, "dam": dam})


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

    Examples
    --------
    >>> data, tables = reaction_norms(n=20, m=50, seed=1)
    >>> data.shape, round(data.attrs["truth"]["share_slope"], 4)
    ((80, 3), 0.1441)
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

    Examples
    --------
    >>> df = heteroscedastic(seed=1)
    >>> df.shape, round(df.attrs["truth"]["sigma:arm[treated]"], 4)
    ((360, 4), 0.6931)
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

    Examples
    --------
    >>> data, tables = binary_trait(n=50, m=100, seed=1)
    >>> sorted(data["disease"].unique().tolist()), data.attrs["truth"]["h2"]
    ([0, 1], 0.4)
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


# -- simulators for the worked examples (examples/) ----------------------------------------------
# Each documents its data-generating process and stores the values used in ``attrs["truth"]``.


def monitoring_cohort(
    n_patients: int = 80,
    n_visits: int = 6,
    *,
    gap: float = 3.0,
    intercept: float = 6.5,
    slope: float = 0.01,
    sd_intercept: float = 0.4,
    sd_slope: float = 0.02,
    cor: float = 0.2,
    sigma: float = 0.1,
    new_patient: tuple[float, float] = (6.2, 0.035),
    new_visits: int = 4,
    threshold: float = 7.0,
    seed: int | None = 0,
) -> pd.DataFrame:
    """HbA1c (%) of a monitored cohort plus a new patient with only a few visits.

    ``n_patients`` patients are seen every ``gap`` months (``month = 0, gap, ...``):
    ``hba1c = intercept + slope month + u0_i + u1_i month + e``, with
    ``(u0, u1) ~ N(0, [[sd_intercept², r s0 s1], [r s0 s1, sd_slope²]])`` and
    ``e ~ N(0, sigma²)``. Patient ``"new"`` has intercept and slope ``new_patient`` (their
    own values, population effects included) and only its first ``new_visits`` visits.
    Model: ``hba1c ~ month + (1 + month | patient)``.

    Truth: the population values, ``new_intercept``, ``new_slope``, ``threshold``,
    ``last_visit`` (month of the new patient's last visit) and ``oracle_next_visit``: the
    latest whole month after ``last_visit`` (up to 24 months later) such that, with the true
    parameters, a measurement at it and at every month before it exceeds ``threshold`` with
    probability below 5% (``last_visit + 1`` when none is that safe).

    Examples
    --------
    >>> df = monitoring_cohort(n_patients=5, seed=1)
    >>> int((df["patient"] == "new").sum()), df.attrs["truth"]["oracle_next_visit"]
    (4, 18.0)
    """
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    cov = np.array([[sd_intercept**2, cor * sd_intercept * sd_slope], [cor * sd_intercept * sd_slope, sd_slope**2]])
    u = rng.multivariate_normal(np.zeros(2), cov, size=n_patients)
    months = gap * np.arange(n_visits)
    rows = []
    for i, pid in enumerate(_ids("p", n_patients)):
        y = intercept + u[i, 0] + (slope + u[i, 1]) * months + sigma * rng.standard_normal(n_visits)
        rows += [(pid, float(t), float(v)) for t, v in zip(months, y)]
    b0, b1 = new_patient
    new_months = months[:new_visits]
    y_new = b0 + b1 * new_months + sigma * rng.standard_normal(new_visits)
    rows += [("new", float(t), float(v)) for t, v in zip(new_months, y_new)]
    df = pd.DataFrame(rows, columns=["patient", "month", "hba1c"])
    last = float(new_months[-1])
    future = last + np.arange(1, 25)
    p_exceed = norm.sf((threshold - (b0 + b1 * future)) / sigma)
    safe = p_exceed < 0.05
    k = len(safe) if safe.all() else int(np.argmin(safe))  # months in a row, from last + 1, below 5%
    oracle = float(future[max(k, 1) - 1])
    df.attrs["truth"] = {"intercept": intercept, "month": slope, "sd_intercept": sd_intercept, "sd_slope": sd_slope,
                         "cor": cor, "sigma": sigma, "new_intercept": b0, "new_slope": b1, "threshold": threshold,
                         "last_visit": last, "oracle_next_visit": oracle}
    return df


def tumour_growth(
    n_donors: int = 8,
    mice_per_donor: int = 6,
    n_times: int = 8,
    *,
    intercept: float = 150.0,
    growth: float = 25.0,
    treatment_effect: float = -10.0,
    sd_donor: float = 40.0,
    sd_mouse: float = 20.0,
    sigma0: float = 10.0,
    sigma_growth: float = 0.07,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Tumour volumes (mm³) in mice engrafted from human donors, noisier as tumours grow.

    Three levels: measurements every 3 days (``day = 0, 3, ...``) in mice (``m1, m2, ...``
    within each donor; half of them treated) in donors.
    ``volume = intercept + growth day + treatment_effect day [treated] + d_donor + m_mouse + e``
    with ``d ~ N(0, sd_donor²)``, ``m ~ N(0, sd_mouse²)`` and a residual sd that grows with
    time, and so with tumour size: ``e ~ N(0, (sigma0 exp(sigma_growth day))²)``.
    Model: ``["volume ~ day * treatment + (1 | donor/mouse)", "sigma ~ day"]``.

    Truth: ``intercept``, ``day``, ``day:treatment[treated]``, ``sd_donor``, ``sd_mouse``,
    ``sigma`` (= ``sigma0``, the residual sd at day 0) and ``sigma:day`` (= ``sigma_growth``).

    Examples
    --------
    >>> df = tumour_growth(n_donors=2, seed=1)
    >>> df.shape, df.attrs["truth"]["sigma:day"]
    ((96, 5), 0.07)
    """
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(n_donors):
        ud = rng.normal(0, sd_donor)
        for k in range(mice_per_donor):
            um = rng.normal(0, sd_mouse)
            treated = k % 2 == 1
            for t in range(n_times):
                day = 3.0 * t
                sd = sigma0 * np.exp(sigma_growth * day)
                y = intercept + growth * day + treatment_effect * day * treated + ud + um + sd * rng.standard_normal()
                rows.append((f"d{d + 1}", f"m{k + 1}", "treated" if treated else "control", day, y))
    df = pd.DataFrame(rows, columns=["donor", "mouse", "treatment", "day", "volume"])
    df.attrs["truth"] = {"intercept": intercept, "day": growth, "day:treatment[treated]": treatment_effect,
                         "sd_donor": sd_donor, "sd_mouse": sd_mouse, "sigma": sigma0, "sigma:day": sigma_growth}
    return df


def eeg_trials(
    n_subjects: int = 16,
    n_trials: int = 15,
    *,
    intercept: float = 5.0,
    drug_effect: float = 1.5,
    rt_effect: float = 0.8,
    sd_intercept: float = 2.0,
    sd_drug: float = 1.0,
    cor: float = 0.3,
    sigma_placebo: float = 3.0,
    sigma_drug: float = 4.5,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Single-trial EEG amplitudes (µV) under placebo and drug, noisier under the drug.

    Every subject has ``n_trials`` trials per condition, each with a standardised reaction
    time ``rt``: ``amplitude = intercept + (drug_effect + v_i) drug + rt_effect rt + u_i + e``,
    ``(u, v) ~ N(0, [[sd_intercept², r s_u s_v], [r s_u s_v, sd_drug²]])``,
    ``e ~ N(0, sigma_condition²)``; ``drug`` is 1 under the drug, 0 under placebo
    (``condition`` names it). Model:
    ``["amplitude ~ drug + rt + (1 + drug | subject)", "sigma ~ drug"]``.

    Truth: ``intercept``, ``drug``, ``rt``, ``sd_intercept``, ``sd_drug``, ``cor``,
    ``sigma`` (placebo) and ``sigma:drug`` (``log(sigma_drug / sigma_placebo)``).

    Examples
    --------
    >>> df = eeg_trials(n_subjects=2, n_trials=3, seed=1)
    >>> df.shape, round(df.attrs["truth"]["sigma:drug"], 4)
    ((12, 5), 0.4055)
    """
    rng = np.random.default_rng(seed)
    cov = np.array([[sd_intercept**2, cor * sd_intercept * sd_drug], [cor * sd_intercept * sd_drug, sd_drug**2]])
    u = rng.multivariate_normal(np.zeros(2), cov, size=n_subjects)
    subject = np.repeat(np.arange(n_subjects), 2 * n_trials)
    drug = np.tile(np.repeat([0, 1], n_trials), n_subjects)
    rt = rng.standard_normal(subject.size)
    sd = np.where(drug == 1, sigma_drug, sigma_placebo)
    y = intercept + (drug_effect + u[subject, 1]) * drug + rt_effect * rt + u[subject, 0] + sd * rng.standard_normal(subject.size)
    df = pd.DataFrame({"subject": np.array(_ids("s", n_subjects))[subject],
                       "condition": np.where(drug == 1, "drug", "placebo"), "drug": drug.astype(float),
                       "rt": rt, "amplitude": y})
    df.attrs["truth"] = {"intercept": intercept, "drug": drug_effect, "rt": rt_effect,
                         "sd_intercept": sd_intercept, "sd_drug": sd_drug, "cor": cor, "sigma": sigma_placebo,
                         "sigma:drug": float(np.log(sigma_drug / sigma_placebo))}
    return df


def practice_effect(
    n_subjects: int = 20,
    n_trials: int = 40,
    *,
    baseline: float = 650.0,
    learning: float = 120.0,
    rate: float = 10.0,
    condition_effect: float = 40.0,
    sd_intercept: float = 50.0,
    sd_learning: float = 40.0,
    sigma: float = 45.0,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Reaction times (ms) that speed up with practice, each subject at their own pace.

    Trials ``1..n_trials`` with a random condition (``congruent`` / ``incongruent``) each:
    ``rt = baseline + u_i - (learning + v_i) (1 - exp(-trial / rate)) +
    condition_effect [incongruent] + e``, ``u ~ N(0, sd_intercept²)``,
    ``v ~ N(0, sd_learning²)``, ``e ~ N(0, sigma²)``. The learning curve is not a polynomial
    or spline: a smooth fixed part such as ``bs(trial, df=4)`` approximates it.
    Model: ``rt ~ condition + bs(trial, df=4) + (1 + practice | subject)`` with
    ``practice = 1 - exp(-trial / 10)`` (or any increasing function of trial).

    Truth: ``condition[incongruent]``, ``baseline``, ``learning``, ``rate``, the sds, and
    ``curve``: the mean curve ``baseline - learning (1 - exp(-trial / rate))`` at trials
    1..n_trials (congruent).

    Examples
    --------
    >>> df = practice_effect(n_subjects=2, n_trials=5, seed=1)
    >>> df.shape, [round(v) for v in df.attrs["truth"]["curve"][:2]]
    ((10, 4), [639, 628])
    """
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(n_subjects), n_trials)
    trial = np.tile(np.arange(1, n_trials + 1, dtype=float), n_subjects)
    incongruent = rng.integers(0, 2, subject.size)
    u = rng.normal(0, sd_intercept, n_subjects)
    v = rng.normal(0, sd_learning, n_subjects)
    shape = 1.0 - np.exp(-trial / rate)
    rt = (baseline + u[subject] - (learning + v[subject]) * shape + condition_effect * incongruent
          + sigma * rng.standard_normal(subject.size))
    df = pd.DataFrame({"subject": np.array(_ids("s", n_subjects))[subject], "trial": trial,
                       "condition": np.where(incongruent == 1, "incongruent", "congruent"), "rt": rt})
    grid = np.arange(1, n_trials + 1, dtype=float)
    df.attrs["truth"] = {"condition[incongruent]": condition_effect, "baseline": baseline, "learning": learning,
                         "rate": rate, "sd_intercept": sd_intercept, "sd_learning": sd_learning, "sigma": sigma,
                         "curve": (baseline - learning * (1.0 - np.exp(-grid / rate))).tolist()}
    return df


def classrooms(
    n_classrooms: int = 20,
    students_per_class: int = 8,
    n_waves: int = 3,
    *,
    intercept: float = 100.0,
    growth: float = 8.0,
    sd_classroom: float = 5.0,
    sd_student: float = 8.0,
    sd_growth: float = 2.0,
    cor: float = 0.3,
    sigma: float = 4.0,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Reading scores of students in classrooms, measured in several school-year waves.

    ``score = intercept + growth wave + c_class + s0_student + s1_student wave + e`` with
    ``wave = 0, 1, ...``, ``c ~ N(0, sd_classroom²)``,
    ``(s0, s1) ~ N(0, [[sd_student², r s_0 s_1], [r s_0 s_1, sd_growth²]])``,
    ``e ~ N(0, sigma²)``. Student ids are unique across classrooms.
    Model: ``score ~ wave + (1 + wave | student) + (1 | classroom)``.

    Truth: ``intercept``, ``wave``, the sds and ``cor``, and ``icc_classroom``: the share of
    the variance of a wave-0 score due to classrooms,
    ``sd_classroom² / (sd_classroom² + sd_student² + sigma²)``.

    Examples
    --------
    >>> df = classrooms(seed=1)
    >>> df.shape, round(df.attrs["truth"]["icc_classroom"], 4)
    ((480, 4), 0.2381)
    """
    rng = np.random.default_rng(seed)
    cov = np.array([[sd_student**2, cor * sd_student * sd_growth], [cor * sd_student * sd_growth, sd_growth**2]])
    n_students = n_classrooms * students_per_class
    s = rng.multivariate_normal(np.zeros(2), cov, size=n_students)
    c = rng.normal(0, sd_classroom, n_classrooms)
    student = np.repeat(np.arange(n_students), n_waves)
    klass = student // students_per_class
    wave = np.tile(np.arange(n_waves, dtype=float), n_students)
    score = intercept + growth * wave + c[klass] + s[student, 0] + s[student, 1] * wave + sigma * rng.standard_normal(student.size)
    df = pd.DataFrame({"classroom": np.array(_ids("c", n_classrooms))[klass],
                       "student": np.array(_ids("st", n_students))[student], "wave": wave, "score": score})
    df.attrs["truth"] = {"intercept": intercept, "wave": growth, "sd_classroom": sd_classroom,
                         "sd_student": sd_student, "sd_growth": sd_growth, "cor": cor, "sigma": sigma,
                         "icc_classroom": sd_classroom**2 / (sd_classroom**2 + sd_student**2 + sigma**2)}
    return df


def dyads(
    n_couples: int = 150,
    *,
    intercept: float = 70.0,
    actor: float = 5.0,
    partner: float = 3.0,
    support_cor: float = 0.4,
    sd_couple: float = 6.0,
    sigma: float = 8.0,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Medication adherence (%) of both partners of couples: the actor-partner model.

    Each person reports perceived support ``support`` (standardised; partners' reports
    correlate ``support_cor``). A person's adherence depends on their own report (actor
    effect) and their partner's (partner effect):
    ``adherence = intercept + actor support_own + partner support_partner + c_couple + e``,
    ``c ~ N(0, sd_couple²)``, ``e ~ N(0, sigma²)``. Dyads are indistinguishable (no
    partner role). Columns: ``couple``, ``person``, ``support`` (own), ``partner_support``,
    ``adherence``. Model: ``adherence ~ support + partner_support + (1 | couple)``.

    Truth: ``intercept``, ``support`` (actor), ``partner_support`` (partner), ``sd_couple``,
    ``sigma``, ``icc_couple`` = ``sd_couple² / (sd_couple² + sigma²)``.

    Examples
    --------
    >>> df = dyads(n_couples=3, seed=1)
    >>> df.shape, df["couple"].nunique()
    ((6, 5), 3)
    """
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, support_cor], [support_cor, 1.0]])
    sup = rng.multivariate_normal(np.zeros(2), cov, size=n_couples)
    c = rng.normal(0, sd_couple, n_couples)
    own, other = sup.ravel(), sup[:, ::-1].ravel()
    couple = np.repeat(np.arange(n_couples), 2)
    y = intercept + actor * own + partner * other + c[couple] + sigma * rng.standard_normal(couple.size)
    df = pd.DataFrame({"couple": np.array(_ids("c", n_couples))[couple],
                       "person": [f"{a}{b}" for a, b in zip(np.array(_ids("c", n_couples))[couple], np.tile(["a", "b"], n_couples))],
                       "support": own, "partner_support": other, "adherence": y})
    df.attrs["truth"] = {"intercept": intercept, "support": actor, "partner_support": partner,
                         "sd_couple": sd_couple, "sigma": sigma,
                         "icc_couple": sd_couple**2 / (sd_couple**2 + sigma**2)}
    return df


def structured_gwas(
    n: int = 500,
    n_chromosomes: int = 5,
    snps_per_chromosome: int = 400,
    *,
    fst: float = 0.05,
    h2: float = 0.35,
    qtl_variance: float = 0.05,
    population_shift: float = 0.6,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, dict]:
    """A GWAS sample from two diverged populations: stratification inflates naive tests.

    Allele frequencies of the two populations (``n / 2`` each) are drawn around a common
    frequency ``p ~ U(0.1, 0.5)`` with the Balding-Nichols model (``Beta(p(1-F)/F,
    (1-p)(1-F)/F)``, ``F = fst``), except at the two QTL, whose allele has frequency 0.4 in
    both populations. The phenotype is
    ``y = population_shift [pop = B] + g + q + e``: ``g = Z beta`` with every marker's
    effect ``beta_j ~ N(0, h2 / sum_j 2 p_j (1 - p_j))`` (``Z`` centred on the pooled
    frequencies, so ``g ~ N(0, h2 G)`` for the VanRaden GRM ``G`` of all markers), two QTL
    (the middle marker of chromosomes 2 and 4) explaining ``qtl_variance`` each, and
    ``e ~ N(0, 1 - h2 - 2 qtl_variance)``. The population shift is environmental: it
    confounds a scan that ignores structure.

    Returns ``(data, info)``: ``data`` has ``id``, ``pop`` (``"A"``/``"B"``) and ``y``;
    ``info`` has ``"genotypes"`` (DataFrame, ids as index), ``"chromosomes"`` (one label per
    marker) and ``"positions"``. Truth: ``h2`` (all marker effects: ``h2 + 2
    qtl_variance``), ``h2_polygenic``, ``qtl`` (the two marker names), ``qtl_variance``,
    ``pop[B]``.

    Examples
    --------
    >>> data, info = structured_gwas(n=40, n_chromosomes=4, snps_per_chromosome=10, seed=1)
    >>> data.shape, info["genotypes"].shape, data.attrs["truth"]["qtl"]
    ((40, 3), (40, 40), ['snp00015', 'snp00035'])
    """
    if n_chromosomes < 4:
        from .errors import DataError

        raise DataError(f"structured_gwas puts its QTL on chromosomes 2 and 4: n_chromosomes must be >= 4, "
                        f"got {n_chromosomes}")
    rng = np.random.default_rng(seed)
    m = n_chromosomes * snps_per_chromosome
    p = rng.uniform(0.1, 0.5, m)
    a, b = p * (1 - fst) / fst, (1 - p) * (1 - fst) / fst
    freqs = rng.beta(a, b, size=(2, m)).clip(0.01, 0.99)
    qtl = [snps_per_chromosome + snps_per_chromosome // 2, 3 * snps_per_chromosome + snps_per_chromosome // 2]
    freqs[:, qtl] = 0.4  # QTL alleles equally common in both populations
    pop = np.repeat([0, 1], [n // 2, n - n // 2])
    geno = rng.binomial(2, freqs[pop]).astype(np.float64)
    pooled = geno.mean(axis=0) / 2
    keep = (pooled > 0.01) & (pooled < 0.99)
    z = geno - 2 * pooled
    scale2 = float(np.sum(2 * pooled[keep] * (1 - pooled[keep])))
    beta = np.where(keep, rng.normal(0, np.sqrt(h2 / scale2), m), 0.0)
    g = z @ beta
    q = np.zeros(n)
    for j in qtl:
        q += z[:, j] * np.sqrt(qtl_variance / (2 * pooled[j] * (1 - pooled[j])))
    e = rng.standard_normal(n) * np.sqrt(1 - h2 - 2 * qtl_variance)
    y = population_shift * pop + g + q + e
    ids = _ids("i", n)
    names = [f"snp{j:05d}" for j in range(m)]
    data = pd.DataFrame({"id": ids, "pop": np.where(pop == 1, "B", "A"), "y": y})
    chrom = np.repeat(np.arange(1, n_chromosomes + 1), snps_per_chromosome).astype(str)
    positions = np.tile(np.arange(1, snps_per_chromosome + 1) * 10_000, n_chromosomes)
    data.attrs["truth"] = {"h2": h2 + 2 * qtl_variance, "h2_polygenic": h2, "qtl": [names[j] for j in qtl],
                           "qtl_variance": qtl_variance, "pop[B]": population_shift, "fst": fst}
    return data, {"genotypes": pd.DataFrame(geno, index=ids, columns=names), "chromosomes": chrom,
                  "positions": positions}


def invasive_plasticity(
    populations_per_lineage: int = 6,
    plants_per_cell: int = 10,
    *,
    intercept: float = 10.0,
    invasive: float = 1.0,
    nitrogen: float = 2.0,
    plasticity_gain: float = 1.5,
    sd_population: float = 1.0,
    sigma: float = 1.5,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Biomass of native and invasive plants grown under low and high nitrogen.

    ``populations_per_lineage`` source populations per lineage; ``plants_per_cell`` plants
    of each population in each nitrogen level:
    ``biomass = intercept + invasive [invasive] + nitrogen [high] +
    plasticity_gain [invasive and high] + p_population + e``, ``p ~ N(0, sd_population²)``,
    ``e ~ N(0, sigma²)``. The reaction norm of a lineage is its low-to-high difference;
    the interaction is the extra plasticity of the invaders. Besides the labels ``lineage``
    and ``nitrogen``, the 0/1 indicators ``invasive`` and ``high_n`` fix the reference
    levels (native, low). Model: ``biomass ~ invasive * high_n + (1 | population)``.

    Truth: ``Intercept``, ``invasive``, ``high_n``, ``invasive:high_n``,
    ``sd_population``, ``sigma``.

    Examples
    --------
    >>> df = invasive_plasticity(seed=1)
    >>> df.shape, df.attrs["truth"]["invasive:high_n"]
    ((240, 6), 1.5)
    """
    rng = np.random.default_rng(seed)
    rows = []
    for li, lineage in enumerate(("native", "invasive")):
        for k in range(populations_per_lineage):
            pop = f"{lineage[:3]}{k + 1}"
            up = rng.normal(0, sd_population)
            for ni, level in enumerate(("low", "high")):
                mean = intercept + invasive * li + nitrogen * ni + plasticity_gain * li * ni + up
                for y in mean + sigma * rng.standard_normal(plants_per_cell):
                    rows.append((lineage, pop, level, float(li), float(ni), float(y)))
    df = pd.DataFrame(rows, columns=["lineage", "population", "nitrogen", "invasive", "high_n", "biomass"])
    df.attrs["truth"] = {"Intercept": intercept, "invasive": invasive, "high_n": nitrogen,
                         "invasive:high_n": plasticity_gain, "sd_population": sd_population, "sigma": sigma}
    return df


def songbird_aggression(
    n_birds: int = 40,
    n_trials: int = 8,
    *,
    intercept: float = -0.3,
    within: float = 1.0,
    between: float = 0.4,
    sd_bird: float = 1.2,
    sd_testosterone: float = 1.0,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Attacks of songbirds on a simulated intruder, with testosterone before each trial.

    Bird ``i`` has a mean testosterone ``m_i ~ N(0, sd_testosterone²)`` and trial values
    ``m_i + N(0, 1)``. With ``testo_mean`` the bird's mean over its trials and
    ``testo_within`` the trial's deviation from it (within-bird centring),
    ``logit P(attack) = intercept + within testo_within + between testo_mean + a_i`` with
    ``a ~ N(0, sd_bird²)`` (the bird's latent aggressiveness).
    Model (family bernoulli): ``attack ~ testo_within + testo_mean + (1 | bird)``.

    Truth: ``Intercept``, ``testo_within``, ``testo_mean``, ``sd_bird`` and
    ``repeatability``: the latent-scale share ``sd_bird² / (sd_bird² + pi² / 3)``.

    Examples
    --------
    >>> df = songbird_aggression(n_birds=3, n_trials=2, seed=1)
    >>> df.shape, round(df.attrs["truth"]["repeatability"], 4)
    ((6, 5), 0.3044)
    """
    rng = np.random.default_rng(seed)
    bird = np.repeat(np.arange(n_birds), n_trials)
    mean_t = rng.normal(0, sd_testosterone, n_birds)
    testo = mean_t[bird] + rng.standard_normal(bird.size)
    frame = pd.DataFrame({"bird": np.array(_ids("b", n_birds))[bird], "testosterone": testo})
    frame["testo_mean"] = frame.groupby("bird")["testosterone"].transform("mean")
    frame["testo_within"] = frame["testosterone"] - frame["testo_mean"]
    a = rng.normal(0, sd_bird, n_birds)
    eta = intercept + within * frame["testo_within"].to_numpy() + between * frame["testo_mean"].to_numpy() + a[bird]
    frame["attack"] = (rng.uniform(size=bird.size) < 1 / (1 + np.exp(-eta))).astype(int)
    frame.attrs["truth"] = {"Intercept": intercept, "testo_within": within, "testo_mean": between,
                            "sd_bird": sd_bird, "repeatability": sd_bird**2 / (sd_bird**2 + np.pi**2 / 3)}
    return frame


def peptides(
    n_peptides: int = 12,
    samples_per_condition: int = 6,
    *,
    abundance: float = 20.0,
    log2_fold_change: float = 1.0,
    sd_peptide: float = 1.5,
    sd_sample: float = 0.2,
    sigma: float = 0.3,
    missing_quiet: float = 0.6,
    missing_loud: float = 0.05,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Peptide-level log2 intensities of one protein in control and disease samples, with gaps.

    ``log2_intensity = abundance + log2_fold_change [disease] + p_peptide + s_sample + e``,
    ``p ~ N(0, sd_peptide²)`` (peptides ionise with different efficiency),
    ``s ~ N(0, sd_sample²)`` (loading), ``e ~ N(0, sigma²)``. A peptide's intensity is missing
    with a probability that falls linearly in its rank from ``missing_quiet`` (the quietest
    peptide) to ``missing_loud`` (the loudest), the same in both conditions: missing values
    depend on the peptide, which the model knows (missing at random given the peptide), and
    stay in the table as ``NaN``.
    Model: ``log2_intensity ~ condition + (1 | peptide) + (1 | sample)``.

    Truth: ``condition[disease]`` (the log2 fold change), ``sd_peptide``, ``sd_sample``,
    ``sigma``, ``n_missing``.

    Examples
    --------
    >>> df = peptides(seed=1)
    >>> df.shape, df.attrs["truth"]["n_missing"]
    ((144, 4), 49)
    """
    rng = np.random.default_rng(seed)
    p = rng.normal(0, sd_peptide, n_peptides)
    rank = np.argsort(np.argsort(p))
    p_missing = missing_quiet + (missing_loud - missing_quiet) * rank / max(n_peptides - 1, 1)
    n_samples = 2 * samples_per_condition
    s = rng.normal(0, sd_sample, n_samples)
    rows = []
    for j in range(n_samples):
        disease = j >= samples_per_condition
        for k in range(n_peptides):
            y = abundance + log2_fold_change * disease + p[k] + s[j] + sigma * rng.standard_normal()
            if rng.uniform() < p_missing[k]:
                y = np.nan
            rows.append((f"S{j + 1:02d}", "disease" if disease else "control", f"pep{k + 1:02d}", y))
    df = pd.DataFrame(rows, columns=["sample", "condition", "peptide", "log2_intensity"])
    df.attrs["truth"] = {"condition[disease]": log2_fold_change, "sd_peptide": sd_peptide, "sd_sample": sd_sample,
                         "sigma": sigma, "n_missing": int(df["log2_intensity"].isna().sum())}
    return df


def species_abundance(
    n_sites: int = 150,
    *,
    extent: float = 10.0,
    intercept: float = 1.0,
    temperature: float = 0.6,
    sd_spatial: float = 0.6,
    lengthscale: float = 2.0,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of a species at sites on a landscape: environment (temperature) and space.

    Sites are uniform on ``[0, extent]²``. Temperature (standardised) is a smooth east-west
    gradient plus local noise. The log-abundance has a spatial field
    ``s ~ N(0, sd_spatial² R)``, ``R_ij = exp(-d_ij / lengthscale)`` (exponential
    covariance; dispersal limitation or unmeasured habitat):
    ``count ~ Poisson(exp(intercept + temperature temp + s))``.
    Model (family poisson): ``count ~ temp + (1 | gr(site, cov=S))`` with
    ``S = bl.kernels.spatial(coords)``.

    Returns ``(data, coords)``: ``data`` has ``site``, ``x``, ``y``, ``temp``, ``count``;
    ``coords`` has ``x``, ``y`` indexed by site. Truth: ``Intercept``, ``temp``,
    ``sd_spatial``, ``lengthscale``.

    Examples
    --------
    >>> data, coords = species_abundance(n_sites=10, seed=1)
    >>> data.shape, coords.shape
    ((10, 5), (10, 2))
    """
    from scipy.spatial.distance import pdist, squareform

    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, extent, size=(n_sites, 2))
    temp = (xy[:, 0] - extent / 2) / (extent / 4) + 0.5 * rng.standard_normal(n_sites)
    temp = (temp - temp.mean()) / temp.std()
    R = np.exp(-squareform(pdist(xy)) / lengthscale)
    s = np.linalg.cholesky(R + 1e-9 * np.eye(n_sites)) @ rng.standard_normal(n_sites) * sd_spatial
    count = rng.poisson(np.exp(intercept + temperature * temp + s))
    sites = _ids("site", n_sites)
    data = pd.DataFrame({"site": sites, "x": xy[:, 0], "y": xy[:, 1], "temp": temp, "count": count})
    data.attrs["truth"] = {"Intercept": intercept, "temp": temperature, "sd_spatial": sd_spatial,
                           "lengthscale": lengthscale}
    return data, pd.DataFrame(xy, index=sites, columns=["x", "y"])


def cross_lagged_panel(
    n_subjects: int = 150,
    n_waves: int = 5,
    *,
    tau_ar: float = 0.6,
    cog_ar: float = 0.5,
    tau_to_cog: float = -0.3,
    cog_to_tau: float = 0.0,
    sd_tau_subject: float = 0.4,
    sd_cog_subject: float = 0.4,
    subject_cor: float = -0.3,
    sigma_tau: float = 0.5,
    sigma_cog: float = 0.6,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Tau burden and cognition measured at waves 0..n_waves-1: who drives whom?

    A bivariate autoregressive process with stable person-level intercepts:
    ``tau_t = a_i + tau_ar tau_{t-1} + cog_to_tau cog_{t-1} + e``,
    ``cog_t = b_i + cog_ar cog_{t-1} + tau_to_cog tau_{t-1} + f``, with
    ``(a, b) ~ N(0, [[sd_tau_subject², r s_a s_b], [r s_a s_b, sd_cog_subject²]])``,
    ``e ~ N(0, sigma_tau²)``, ``f ~ N(0, sigma_cog²)`` independent. Each subject runs 30
    waves before wave 0 (so wave 0 is drawn from the process, jointly with ``a, b``).

    The table is long, one row per subject, wave >= 1 and outcome (``"tau"``, ``"cog"``):
    ``value`` is the outcome at this wave, ``tau_lag`` and ``cog_lag`` the previous wave's
    values, ``tau0`` and ``cog0`` the subject's wave-0 values. Conditioning on the initial
    values makes the person effects independent of them (Wooldridge 2005), and stacking
    both outcomes with correlated person effects gives the exact likelihood given wave 0:
    ``["value ~ 0 + outcome + outcome:(tau_lag + cog_lag + tau0 + cog0) +
    (0 + outcome | subject)", "sigma ~ outcome"]``.

    Truth: ``outcome[cog]:tau_lag`` (= ``tau_to_cog``), ``outcome[tau]:cog_lag``
    (= ``cog_to_tau``), ``outcome[tau]:tau_lag``, ``outcome[cog]:cog_lag`` and the sds.

    Examples
    --------
    >>> df = cross_lagged_panel(n_subjects=3, n_waves=3, seed=1)
    >>> df.shape, df.attrs["truth"]["outcome[cog]:tau_lag"]
    ((12, 8), -0.3)
    """
    rng = np.random.default_rng(seed)
    cov = np.array([[sd_tau_subject**2, subject_cor * sd_tau_subject * sd_cog_subject],
                    [subject_cor * sd_tau_subject * sd_cog_subject, sd_cog_subject**2]])
    ab = rng.multivariate_normal(np.zeros(2), cov, size=n_subjects)
    B = np.array([[tau_ar, cog_to_tau], [tau_to_cog, cog_ar]])
    y = np.zeros((n_subjects, 2))
    path = []
    for t in range(30 + n_waves):
        y = ab + y @ B.T + rng.standard_normal((n_subjects, 2)) * [sigma_tau, sigma_cog]
        if t >= 30:
            path.append(y.copy())
    path = np.stack(path, axis=1)  # (subject, wave, [tau, cog])
    rows = []
    for i, sid in enumerate(_ids("s", n_subjects)):
        for t in range(1, n_waves):
            lag = path[i, t - 1]
            for k, outcome in enumerate(("tau", "cog")):
                rows.append((sid, t, outcome, path[i, t, k], lag[0], lag[1], path[i, 0, 0], path[i, 0, 1]))
    df = pd.DataFrame(rows, columns=["subject", "wave", "outcome", "value", "tau_lag", "cog_lag", "tau0", "cog0"])
    df["outcome"] = pd.Categorical(df["outcome"], categories=["cog", "tau"])
    df.attrs["truth"] = {"outcome[cog]:tau_lag": tau_to_cog, "outcome[tau]:cog_lag": cog_to_tau,
                         "outcome[tau]:tau_lag": tau_ar, "outcome[cog]:cog_lag": cog_ar,
                         "sigma_tau": sigma_tau, "sigma_cog": sigma_cog}
    return df


def time_varying_eqtl(
    n_donors: int = 120,
    times: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0),
    *,
    maf: float = 0.3,
    intercept: float = 5.0,
    genotype: float = 0.4,
    time: float = 0.3,
    genotype_time: float = 0.25,
    sd_intercept: float = 0.5,
    sd_time: float = 0.15,
    sigma: float = 0.3,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Expression of a gene in donors' cells over time after stimulation, by cis-genotype.

    Donor ``i`` has ``snp`` copies (0/1/2, Hardy-Weinberg with ``maf``) of the eQTL allele:
    ``expression = intercept + genotype snp + time t + genotype_time snp t + u_i + v_i t + e``,
    ``u ~ N(0, sd_intercept²)``, ``v ~ N(0, sd_time²)`` (donors respond at their own pace),
    ``e ~ N(0, sigma²)``; ``t`` runs over ``times`` (days).
    Model: ``expression ~ snp * time + (1 + time | donor)``.

    Truth: ``Intercept``, ``snp``, ``time``, ``snp:time`` (the change of the eQTL effect per
    day), ``sd_intercept``, ``sd_time``, ``sigma``.

    Examples
    --------
    >>> df = time_varying_eqtl(n_donors=3, seed=1)
    >>> df.shape, df.attrs["truth"]["snp:time"]
    ((12, 4), 0.25)
    """
    rng = np.random.default_rng(seed)
    snp = rng.binomial(2, maf, n_donors)
    u = rng.normal(0, sd_intercept, n_donors)
    v = rng.normal(0, sd_time, n_donors)
    donor = np.repeat(np.arange(n_donors), len(times))
    t = np.tile(np.asarray(times, dtype=float), n_donors)
    y = (intercept + genotype * snp[donor] + time * t + genotype_time * snp[donor] * t + u[donor] + v[donor] * t
         + sigma * rng.standard_normal(donor.size))
    df = pd.DataFrame({"donor": np.array(_ids("d", n_donors))[donor], "snp": snp[donor].astype(float),
                       "time": t, "expression": y})
    df.attrs["truth"] = {"Intercept": intercept, "snp": genotype, "time": time, "snp:time": genotype_time,
                         "sd_intercept": sd_intercept, "sd_time": sd_time, "sigma": sigma}
    return df


def imprinting(
    n_sires: int = 20,
    n_dams: int = 60,
    n_generations: int = 2,
    *,
    offspring_per_mating: int = 2,
    sires_per_dam: int = 2,
    var_paternal: float = 0.35,
    var_maternal: float = 0.05,
    var_residual: float = 0.6,
    mean: float = 0.0,
    seed: int | None = 0,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A pedigreed population with a parent-of-origin (imprinted) genetic effect.

    Founders: ``n_sires`` males and ``n_dams`` females. In each generation every dam is
    mated to ``sires_per_dam`` random sires and has ``offspring_per_mating`` offspring by
    each, so there are paternal and maternal half-sib families (which separate the two
    effects); ``n_sires`` males and ``n_dams`` females of each generation become the parents
    of the next. Each individual's phenotype is ``y = mean + p + m + e`` with
    ``p ~ N(0, var_paternal Ap)`` (the effect of its paternally inherited genome),
    ``m ~ N(0, var_maternal Am)`` (maternally inherited genome), ``e ~ N(0, var_residual)``,
    and ``(Am, Ap)`` from ``bl.kernels.pedigree(ped, parent_of_origin=True)``. Founders have
    phenotypes too.

    Returns ``(data, {"pedigree": ped})``: ``data`` has ``id``, ``sex``, ``y``; ``ped`` has
    ``id``, ``sire``, ``dam``. Model:
    ``y ~ 1 + (1 | gr(id, cov=Ap)) + (1 | gr(id, cov=Am))``. Truth: the variances and their
    shares ``share_paternal``, ``share_maternal``, ``share_residual`` (of their sum) and
    ``imprinting_variance`` = ``var_paternal - var_maternal`` (positive: paternal expression).

    Examples
    --------
    >>> data, tables = imprinting(n_sires=2, n_dams=4, n_generations=1, seed=1)
    >>> data.shape, tables["pedigree"].shape, data.attrs["truth"]["share_paternal"]
    ((22, 3), (22, 3), 0.35)
    """
    from .kernels import parent_of_origin

    rng = np.random.default_rng(seed)
    ids: list[str] = []
    sire: list[str | None] = []
    dam: list[str | None] = []
    sex: list[str] = []

    def add(s: str | None, d: str | None, x: str) -> str:
        ids.append(f"a{len(ids) + 1:05d}")
        sire.append(s)
        dam.append(d)
        sex.append(x)
        return ids[-1]

    males = [add(None, None, "M") for _ in range(n_sires)]
    females = [add(None, None, "F") for _ in range(n_dams)]
    for _ in range(n_generations):
        born_m, born_f = [], []
        for d in females:
            for s in rng.choice(males, size=sires_per_dam, replace=False):
                for _ in range(offspring_per_mating):
                    x = "M" if rng.uniform() < 0.5 else "F"
                    (born_m if x == "M" else born_f).append(add(str(s), str(d), x))
        if len(born_m) < n_sires or len(born_f) < n_dams:
            break
        males = list(rng.choice(born_m, size=n_sires, replace=False))
        females = list(rng.choice(born_f, size=n_dams, replace=False))
    ped = pd.DataFrame({"id": ids, "sire": sire, "dam": dam})
    Am, Ap = parent_of_origin(ped)
    n = len(ids)
    order = Ap.align(np.asarray(ids))
    p = np.linalg.cholesky(Ap.matrix + 1e-10 * np.eye(n)) @ rng.standard_normal(n) * np.sqrt(var_paternal)
    m = np.linalg.cholesky(Am.matrix + 1e-10 * np.eye(n)) @ rng.standard_normal(n) * np.sqrt(var_maternal)
    y = mean + p[order] + m[order] + rng.standard_normal(n) * np.sqrt(var_residual)
    data = pd.DataFrame({"id": ids, "sex": sex, "y": y})
    total = var_paternal + var_maternal + var_residual
    data.attrs["truth"] = {"var_paternal": var_paternal, "var_maternal": var_maternal, "var_residual": var_residual,
                           "share_paternal": var_paternal / total, "share_maternal": var_maternal / total,
                           "share_residual": var_residual / total,
                           "imprinting_variance": var_paternal - var_maternal, "Intercept": mean}
    return data, {"pedigree": ped}


__all__ += ["monitoring_cohort", "tumour_growth", "eeg_trials", "practice_effect", "classrooms", "dyads",
            "structured_gwas", "invasive_plasticity", "songbird_aggression", "peptides", "species_abundance",
            "cross_lagged_panel", "time_varying_eqtl", "imprinting"]


# -- spatial random fields (issue 9) ----------------------------------------------------------------
_SPATIAL_EXACT_MAX = 3000


def _matern_spectral_draws(cov: str, lengthscale: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """Frequencies ``(size, 2)`` from a kernel's normalised spectral density (random Fourier features).

    Matérn :math:`\\nu` in two dimensions: a bivariate Student-t with :math:`2\\nu` degrees of
    freedom and scale :math:`1/\\ell`; squared exponential: :math:`N(0, \\ell^{-2} I)`.
    """
    z = rng.standard_normal((size, 2)) / lengthscale
    if cov == "expquad":
        return z
    nu = {"exponential": 0.5, "matern32": 1.5, "matern52": 2.5}[cov]
    return z / np.sqrt(rng.chisquare(2 * nu, size)[:, None] / (2 * nu))


def spatial_field(
    n: int = 1000,
    *,
    cov: str = "matern32",
    lengthscale: float = 0.15,
    sd_field: float = 1.0,
    sigma: float = 0.5,
    intercept: float = 0.0,
    env_effect: float = 0.0,
    family: str = "gaussian",
    extent: float = 1.0,
    features: int = 2000,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Observations of a Gaussian-process random field at random locations, with an environmental covariate.

    Locations ``x``, ``y`` are uniform on the square :math:`[0, E]^2` (``extent``). The field
    :math:`f \\sim GP(0, \\sigma_f^2 k_\\ell)` with kernel ``cov`` (as in ``gp(x, y, cov=...)``;
    Matérn 3/2 by default). The covariate ``env`` is an east-west gradient plus independent
    local variation, :math:`\\text{env}_i = 2x_i/E - 1 + N(0, 0.5^2)`, so that its effect is
    identified beside the field. The linear predictor is
    :math:`\\eta_i = \\beta_0 + \\beta_{env}\\,\\text{env}_i + f(s_i)` and the response ``y`` is
    :math:`N(\\eta_i, \\sigma^2)` (``family="gaussian"``), :math:`\\text{Poisson}(e^{\\eta_i})`
    (species counts, ``"poisson"``) or :math:`\\text{Bernoulli}(\\text{logit}^{-1}\\eta_i)`
    (presence/absence, ``"bernoulli"``), in the column ``response``, ``count`` or ``present``.
    The column ``field`` holds :math:`f(s_i)`.

    Up to 3,000 locations the field is drawn exactly (Cholesky factor of the kernel matrix);
    above, by ``features`` random Fourier features (Rahimi and Recht 2007):
    :math:`f(s) = \\sigma_f F^{-1/2}\\sum_k a_k\\cos(\\omega_k's) + b_k\\sin(\\omega_k's)` with
    :math:`\\omega_k` drawn from the kernel's normalised spectral density, a Gaussian field
    whose covariance is the kernel up to a Monte Carlo error of order :math:`F^{-1/2}`.

    Truth (``attrs["truth"]``): ``intercept``, ``env`` (the effect), ``sd_field``,
    ``lengthscale``, ``sigma`` (Gaussian only), ``cov``, ``extent``, ``method``
    (``"exact"`` or ``"fourier"``) and ``var_field_sample`` (the variance of the drawn field
    values).

    Examples
    --------
    >>> df = spatial_field(200, lengthscale=0.2, seed=1)
    >>> sorted(df.columns), df.attrs["truth"]["lengthscale"]
    (['env', 'field', 'response', 'x', 'y'], 0.2)
    """
    from .spec.gp import COVARIANCES, kernel_matrix

    if cov not in COVARIANCES:
        raise ValueError(f"cov must be one of {COVARIANCES}, got {cov!r}")
    if family not in ("gaussian", "poisson", "bernoulli"):
        raise ValueError(f"family must be 'gaussian', 'poisson' or 'bernoulli', got {family!r}")
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, extent, (n, 2))
    if n <= _SPATIAL_EXACT_MAX:
        d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        K = kernel_matrix(cov, d, lengthscale) + 1e-8 * np.eye(n)
        field = sd_field * (np.linalg.cholesky(K) @ rng.standard_normal(n))
        method = "exact"
    else:
        omega = _matern_spectral_draws(cov, lengthscale, features, rng)
        phase = xy @ omega.T
        a, b = rng.standard_normal(features), rng.standard_normal(features)
        field = sd_field * (np.cos(phase) @ a + np.sin(phase) @ b) / np.sqrt(features)
        method = "fourier"
    env = 2.0 * xy[:, 0] / extent - 1.0 + 0.5 * rng.standard_normal(n)
    eta = intercept + env_effect * env + field
    if family == "gaussian":
        y = eta + sigma * rng.standard_normal(n)
    elif family == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    else:
        y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    data = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "env": env, "field": field})
    response = {"gaussian": "response", "poisson": "count", "bernoulli": "present"}[family]
    data.insert(0, response, y)
    truth = {"intercept": intercept, "env": env_effect, "sd_field": sd_field, "lengthscale": lengthscale,
             "cov": cov, "extent": extent, "method": method, "var_field_sample": float(np.var(field))}
    if family == "gaussian":
        truth["sigma"] = sigma
    data.attrs["truth"] = truth
    return data


__all__ += ["spatial_field"]
