"""Mixed-model genome-wide association scans with leave-one-chromosome-out kernels.

``bl.gwas.scan(data, "y ~ covariates", genotypes, chromosomes)`` tests every SNP by
generalised least squares in the eigenbasis of a GRM built from the other chromosomes, and
returns a `GwasResult` (table, lambda_GC, QQ and Manhattan plots). numpy/scipy maths in
`gls` and `variance`; genotype inputs (numpy, pandas, xarray, dask, PLINK) in `genotypes`.
"""

from bayeslmm.gwas.genotypes import SampleMismatchWarning, read_fam
from bayeslmm.gwas.gls import wakefield_log10_bf
from bayeslmm.gwas.plots import manhattan_plot, qq_plot
from bayeslmm.gwas.result import GwasResult, ScanReport, lambda_gc
from bayeslmm.gwas.scan import scan

__all__ = [
    "scan",
    "GwasResult",
    "ScanReport",
    "lambda_gc",
    "read_fam",
    "qq_plot",
    "manhattan_plot",
    "wakefield_log10_bf",
    "SampleMismatchWarning",
]
