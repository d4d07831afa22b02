"""Prior and posterior predictive draws of the response, on the scale of the data.

Both return ``arviz.InferenceData`` whose ``prior_predictive`` / ``posterior_predictive``
group holds ``y`` with dims ``(chain, draw, obs)`` (``obs`` = the rows used in fitting, in
order) next to an ``observed_data`` group, so ``arviz.plot_ppc`` and ``fit.plot("ppc")``
read them directly. Whatever the likelihood strategy (some marginalise the random effects
or rotate the data), the draws are of the observations themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from ..errors import SamplingError
from . import arviz_bridge as azb

__all__ = ["prior_predictive", "posterior_predictive"]


def _observed(spec) -> xr.Dataset:
    return xr.Dataset({"y": ("obs", np.asarray(spec.y))}, coords={"obs": np.arange(spec.n)})


def _draws_dataset(values: np.ndarray, chains: int | None = None) -> xr.Dataset:
    """``(S, n)`` draws as ``y`` with dims ``(chain, draw, obs)``; one chain unless ``chains`` divides S."""
    S, n = values.shape
    c = chains if chains and S % chains == 0 else 1
    arr = values.reshape(c, S // c, n)
    return xr.Dataset({"y": (("chain", "draw", "obs"), arr)},
                      coords={"chain": np.arange(c), "draw": np.arange(S // c), "obs": np.arange(n)})


def prior_predictive(model: Any, draws: int = 500, seed: int | None = None) -> Any:
    """Draws of the parameters and of the response from the prior.

    Parameters
    ----------
    model
        A :class:`~bayeslmm.Model`.
    draws
        Number of prior draws.
    seed
        Random seed (the same seed gives the same draws).

    Returns
    -------
    arviz.InferenceData
        ``prior`` (``tau``, ``proportions``, ``sd``, ``b``, correlations, and where present
        ``nu``, ``alpha``, ``b_sigma``, ``gp()`` lengthscales; dims ``(chain=1, draw, ...)``), ``prior_predictive`` (``y``: ``(1, draws, n)``) and
        ``observed_data``.

    Notes
    -----
    The response is drawn from the latent form of the model (random effects drawn, then the
    family's observation model), whatever strategy the fit uses: every strategy has the
    same prior on the parameters and the same distribution of :math:`y`, and the latent
    form gives the observations themselves rather than rotated components.
    """
    import pymc as pm

    from ..backend import latent

    if not isinstance(draws, (int, np.integer)) or draws < 1:
        raise SamplingError(f"draws must be a positive integer, got {draws!r}")
    pm_model = model.build() if model.strategy.name == "latent" else latent.build(model.spec)
    names = [n for n in ("tau", "proportions", "sd", "b", "b_sigma", "nu", "alpha") if n in pm_model.named_vars]
    names += [n for n in pm_model.named_vars if n.startswith(("corr_", "ls_"))]
    with pm_model:
        idata = pm.sample_prior_predictive(draws=int(draws), random_seed=seed, var_names=names + ["y"])
    y = np.asarray(idata.prior["y"].values if "y" in idata.prior else idata.prior_predictive["y"].values)
    groups = {
        "prior": idata.prior[[n for n in names if n in idata.prior]],
        "prior_predictive": _draws_dataset(y.reshape(-1, model.spec.n)),
        "observed_data": _observed(model.spec),
    }
    out = azb.from_groups(groups)
    out.attrs.update({"seed": seed, "draws": int(draws), "formula": model.formula})
    return out


def posterior_predictive(fit: Any, seed: int | None = 0) -> Any:
    """Posterior predictive draws of a new response at every fitted row.

    Parameters
    ----------
    fit
        A :class:`~bayeslmm.Fit`.
    seed
        Random seed for the observation noise (and for effects drawn after sampling).

    Returns
    -------
    arviz.InferenceData
        ``posterior_predictive`` (``y``: ``(chain, draw, obs)``) and ``observed_data``.
        When the random effects were drawn after sampling for a subset of draws (marginal
        strategies keep at most 1000), the subset is one chain. The bare ``(S, n)`` array is
        ``fit.predict(kind="response", return_draws=True, seed=seed)``.

    Notes
    -----
    :math:`\\tilde y_{is} \\sim p(y \\mid \\eta_{is}, \\phi_s)` with
    :math:`\\eta_{is} = x_i b_s + \\sum_t z_{ti} u_{t,j(i),s}`: the same levels, new noise.
    """
    values = fit.predict(kind="response", return_draws=True, seed=seed)
    chains = int(fit.idata.posterior.sizes["chain"])
    total = chains * int(fit.idata.posterior.sizes["draw"])
    groups = {
        "posterior_predictive": _draws_dataset(values, chains if values.shape[0] == total else None),
        "observed_data": _observed(fit.spec),
    }
    out = azb.from_groups(groups)
    out.attrs.update({"seed": seed})
    return out
