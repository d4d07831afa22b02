"""Numpy/scipy linear algebra under the kernels and likelihood strategies.

`Eigh` is the one hand-off format for eigendecompositions; `check_psd` reports and
corrects non-PSD kernels; `truncate` and `woodbury_logdet_solve` serve low-rank strategies.
"""

from bayeslmm.linalg.eigh import Eigh, eigh_from_factor, eigh_of
from bayeslmm.linalg.lowrank import factor_of, truncate
from bayeslmm.linalg.psd import PSDReport, check_psd
from bayeslmm.linalg.woodbury import woodbury_logdet_solve

__all__ = [
    "Eigh",
    "eigh_of",
    "eigh_from_factor",
    "check_psd",
    "PSDReport",
    "truncate",
    "factor_of",
    "woodbury_logdet_solve",
]
