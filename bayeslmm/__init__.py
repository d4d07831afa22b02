"""bayeslmm: Bayesian linear mixed models on structured data.

The pipeline, one direction: ``spec/`` (formula, data, kernels -> ModelSpec) ->
``backend/`` (ModelSpec -> pm.Model, one module per likelihood strategy) ->
``inference`` (NUTS) -> ``results/`` (Fit).
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import datasets, kernels, transforms
from .errors import (
    BayesLMMError,
    DataError,
    FormulaError,
    KernelError,
    PriorError,
    SamplingError,
    SpecError,
)
from . import gwas
from .kernels import Kernel
from .model import Model
from .results.fit import Fit
from .results.criteria import compare
from .results.io import load
from .spec.data import DroppedRowsWarning
from .spec.priors import Prior

__all__ = [
    "Model",
    "Fit",
    "Kernel",
    "Prior",
    "load",
    "compare",
    "kernels",
    "datasets",
    "transforms",
    "gwas",
    "BayesLMMError",
    "SpecError",
    "FormulaError",
    "PriorError",
    "DataError",
    "KernelError",
    "SamplingError",
    "DroppedRowsWarning",
]
