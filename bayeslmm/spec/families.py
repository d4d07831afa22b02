"""Response families: their links, whether they have a residual variance, and data checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError, SpecError

__all__ = ["Family", "get_family", "FAMILIES"]


@dataclass(frozen=True)
class Family:
    """A response distribution with its link.

    Attributes
    ----------
    name
        ``gaussian``, ``student_t``, ``bernoulli``, ``binomial``, ``poisson``, ``negativebinomial``.
    link
        ``identity``, ``logit``, ``probit`` or ``log``.
    has_residual
        Whether the family has an additive residual variance that takes a share of ``tau²``.
    """

    name: str
    link: str
    has_residual: bool

    @property
    def marginalisable(self) -> bool:
        """Gaussian responses allow the random effects to be integrated out exactly."""
        return self.name == "gaussian"

    def link_variance(
        self, mu: np.ndarray | None = None, alpha: np.ndarray | None = None
    ) -> float | np.ndarray:
        """Variance of the latent-scale residual implied by the link (distribution-specific).

        Notes
        -----
        Logit: :math:`\\pi^2/3` (the logistic distribution). Probit: 1. Log-link Poisson:
        :math:`\\log(1 + 1/\\mu)`, the lognormal approximation of Nakagawa and Schielzeth
        (2013, 2017), evaluated at the mean count :math:`\\mu`. Negative binomial with
        :math:`\\text{Var}(y) = \\mu + \\mu^2/\\alpha`: :math:`\\log(1 + 1/\\mu + 1/\\alpha)`,
        the lognormal approximation of Nakagawa, Johnson and Schielzeth (2017, table 1).
        """
        if self.link == "logit":
            return np.pi**2 / 3
        if self.link == "probit":
            return 1.0
        if self.link == "log":
            if mu is None:
                raise SpecError("the log-link variance needs the mean count mu")
            extra = 0.0
            if self.name == "negativebinomial":
                if alpha is None:
                    raise SpecError("the negative binomial link variance needs its shape alpha")
                extra = 1.0 / np.asarray(alpha)
            return np.log1p(1.0 / np.asarray(mu) + extra)
        return 0.0

    def check_response(self, y: np.ndarray, trials: np.ndarray | None, name: str) -> None:
        """Raise :class:`DataError` if ``y`` is outside the family's support."""
        if self.name in ("bernoulli",):
            bad = ~np.isin(y, (0, 1))
            if bad.any():
                raise DataError(
                    f"bernoulli response {name!r} must be 0 or 1; found {np.unique(y[bad])[:5].tolist()}"
                )
        if self.name in ("poisson", "negativebinomial", "binomial"):
            bad = (y < 0) | (np.floor(y) != y)
            if bad.any():
                raise DataError(
                    f"{self.name} response {name!r} must be non-negative integers; found {np.unique(y[bad])[:5].tolist()}"
                )
        if self.name == "binomial":
            if trials is None:
                raise SpecError("binomial family needs trials: write the response as p(successes, trials)")
            bad_t = (trials < 1) | (np.floor(trials) != trials)
            if bad_t.any():
                raise DataError(f"binomial trials must be positive integers; found {np.unique(trials[bad_t])[:5].tolist()}")
            over = y > trials
            if over.any():
                i = int(np.argmax(over))
                raise DataError(
                    f"binomial successes exceed trials in {int(over.sum())} rows (first: {y[i]:g} > {trials[i]:g} at row {i})"
                )


FAMILIES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    # name: (default link, allowed links, has residual)
    "gaussian": ("identity", ("identity",), True),
    "student_t": ("identity", ("identity",), True),
    "bernoulli": ("logit", ("logit", "probit"), False),
    "binomial": ("logit", ("logit", "probit"), False),
    "poisson": ("log", ("log",), False),
    "negativebinomial": ("log", ("log",), False),
}


def get_family(name: str, link: str | None = None) -> Family:
    """Look up a family by name (case-insensitive) and check the link."""
    if isinstance(name, Family):
        return name
    key = str(name).lower().replace("-", "").replace("_", "")
    aliases = {"normal": "gaussian", "studentt": "student_t", "t": "student_t", "logistic": "bernoulli",
               "binary": "bernoulli", "negbinomial": "negativebinomial", "nb": "negativebinomial",
               "gaussian": "gaussian", "bernoulli": "bernoulli", "binomial": "binomial", "poisson": "poisson",
               "negativebinomial": "negativebinomial"}
    if key not in aliases:
        raise SpecError(f"unknown family {name!r}; use one of {sorted(FAMILIES)}")
    fam = aliases[key]
    default, allowed, residual = FAMILIES[fam]
    link = link or default
    if link not in allowed:
        raise SpecError(f"family {fam!r} does not take link {link!r}; allowed: {list(allowed)}")
    return Family(fam, link, residual)
