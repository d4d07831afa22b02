"""One exception hierarchy for everything bayeslmm raises on purpose.

Every message names the offending value (a column, a term, an id, a number) so a user can
fix the input without reading a traceback.
"""

from __future__ import annotations

__all__ = [
    "BayesLMMError",
    "SpecError",
    "FormulaError",
    "PriorError",
    "DataError",
    "KernelError",
    "SamplingError",
]


class BayesLMMError(Exception):
    """Base class of all errors raised by bayeslmm."""


class SpecError(BayesLMMError, ValueError):
    """The model specification (formula, family, priors, options) is invalid."""


class FormulaError(SpecError):
    """The formula cannot be parsed or names something that does not exist."""


class PriorError(SpecError):
    """A prior names an unknown term or has invalid parameters."""


class DataError(BayesLMMError, ValueError):
    """The data are unusable: wrong type, non-finite, empty, or out of the family's support."""


class KernelError(BayesLMMError, ValueError):
    """A kernel matrix is malformed or does not match the data."""


class SamplingError(BayesLMMError, RuntimeError):
    """The sampler could not be run (unknown or unavailable sampler, failed compile)."""
