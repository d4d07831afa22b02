"""`GwasResult`: the association table, the null models, what was skipped, and plots."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from bayeslmm.errors import SpecError
from bayeslmm.gwas.gls import CHI2_MEDIAN
from bayeslmm.gwas.plots import manhattan_plot, qq_plot

__all__ = ["GwasResult", "ScanReport", "lambda_gc"]

PLOT_KINDS = ("qq", "manhattan")


def lambda_gc(chi2: Any) -> float:
    """Genomic control inflation factor: median chi-square(1) statistic / 0.4549.

    Examples
    --------
    >>> round(lambda_gc([0.4549364231195724]), 6)
    1.0
    """
    values = np.asarray(chi2, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values) / CHI2_MEDIAN) if values.size else float("nan")


@dataclass(frozen=True)
class ScanReport:
    """Counts of everything a scan matched, dropped, imputed or skipped, and its settings.

    Attributes
    ----------
    n_genotyped, n_phenotyped
        Samples in the genotypes; phenotyped rows usable (after dropping rows with a
        missing response, covariate or id).
    n_rows_missing
        Data rows dropped for a missing response, covariate or id.
    n_used
        Samples analysed (genotyped and phenotyped).
    n_only_in_data, n_only_in_genotypes
        Ids on one side only.
    n_snps, n_tested, n_monomorphic, n_collinear
        SNPs given, tested, skipped as monomorphic among the analysed samples, skipped as
        collinear with the covariates.
    n_missing_genotypes, n_snps_with_missing
        Missing genotype calls (mean-imputed) and SNPs with at least one.
    loco, pcs, variance, prior_sd, kernel_method
        Settings of the scan.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from bayeslmm.gwas import scan
    >>> rng = np.random.default_rng(2)
    >>> G = rng.binomial(2, 0.4, size=(80, 50)).astype(float)
    >>> G[:, 0] = 1.0
    >>> G[3, 5] = np.nan
    >>> report = scan(pd.DataFrame({"id": range(80), "y": rng.normal(size=80)}), "y ~ 1", G, loco=False).report
    >>> report.n_tested, report.n_monomorphic, report.n_missing_genotypes
    (49, 1, 1)
    """

    n_genotyped: int
    n_phenotyped: int
    n_rows_missing: int
    n_used: int
    n_only_in_data: int
    n_only_in_genotypes: int
    n_snps: int
    n_tested: int
    n_monomorphic: int
    n_collinear: int
    n_missing_genotypes: int
    n_snps_with_missing: int
    loco: bool
    pcs: int
    variance: str
    prior_sd: float
    kernel_method: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """A few lines for a log or a report."""
        lines = [
            (f"samples: {self.n_used} analysed ({self.n_genotyped} genotyped, {self.n_phenotyped} phenotyped rows; "
             f"{self.n_only_in_data} phenotyped without genotypes, {self.n_only_in_genotypes} genotyped without "
             f"phenotype; {self.n_rows_missing} data rows dropped for missing values)"),
            (f"SNPs: {self.n_tested} tested of {self.n_snps} ({self.n_monomorphic} monomorphic skipped, "
             f"{self.n_collinear} collinear with covariates skipped); {self.n_missing_genotypes} missing genotypes "
             f"mean-imputed in {self.n_snps_with_missing} SNPs"),
            (f"model: {'LOCO' if self.loco else 'one'} GRM ({self.kernel_method}), {self.pcs} PCs, "
             f"variance components {self.variance}, Wakefield prior sd {self.prior_sd:g} phenotype sd per allele"),
        ]
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class GwasResult:
    """Result of `bayeslmm.gwas.scan`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per tested SNP, in input order: ``chromosome``, ``position``, ``snp``,
        ``allele1`` (the counted allele) and ``allele2`` where known, ``beta`` (effect per
        copy of the counted allele), ``se``, ``chi2``, ``p``, ``log10_bf`` (Wakefield),
        ``af`` (frequency of the counted allele), ``n`` (observed, non-imputed genotypes).
    null : pandas.DataFrame
        One row per null model (per left-out chromosome, or one ``"all"``): ``h2``,
        ``sigma2``, ``log_likelihood``, ``method``, ``n_snps``.
    skipped : pandas.DataFrame
        SNPs not tested: ``chromosome``, ``position``, ``snp``, ``reason``
        (``"monomorphic"`` or ``"collinear"``).
    report : ScanReport

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from bayeslmm.gwas import scan
    >>> rng = np.random.default_rng(1)
    >>> G = rng.binomial(2, 0.4, size=(100, 200))
    >>> res = scan(pd.DataFrame({"id": range(100), "y": rng.normal(size=100)}), "y ~ 1", G, loco=False)
    >>> res.table.columns[:4].tolist(), res.null["chromosome"].tolist()
    (['chromosome', 'position', 'snp', 'beta'], ['all'])
    >>> fig = res.plot("manhattan")
    """

    table: pd.DataFrame
    null: pd.DataFrame
    skipped: pd.DataFrame
    report: ScanReport = field(repr=False)

    @property
    def lambda_gc(self) -> float:
        """Median chi-square / 0.4549 over the tested SNPs (1 when the test is calibrated)."""
        return lambda_gc(self.table["chi2"].to_numpy())

    def top(self, k: int = 10) -> pd.DataFrame:
        """The ``k`` SNPs with the smallest p-values."""
        return self.table.nsmallest(k, "p")

    def plot(self, kind: str = "qq", **kwargs: Any) -> Figure:
        """``"qq"`` (with lambda_GC printed) or ``"manhattan"`` (5e-8 and 1e-5 lines).

        Keyword arguments go to `qq_plot` or `manhattan_plot` (``ax``, ``title``, ...).
        """
        if kind == "qq":
            return qq_plot(self.table["p"].to_numpy(), lambda_gc=self.lambda_gc, **kwargs)
        if kind == "manhattan":
            return manhattan_plot(self.table, **kwargs)
        raise SpecError(f"kind must be one of {PLOT_KINDS}, got {kind!r}")

    def __repr__(self) -> str:
        return (f"GwasResult({self.report.n_tested} SNPs tested on {self.report.n_used} samples, "
                f"lambda_GC={self.lambda_gc:.3f}, min p={self.table['p'].min():.3g})\n{self.report.describe()}")
