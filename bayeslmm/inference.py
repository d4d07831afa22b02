"""Run a sampler on a PyMC model and return InferenceData with provenance attributes."""

from __future__ import annotations

import datetime as _dt
import importlib.util
import os
import time
import warnings
import weakref
from typing import Any

import numpy as np
import pymc as pm
from threadpoolctl import threadpool_limits

from .errors import SamplingError

__all__ = ["sample", "resolve_sampler", "SAMPLERS"]

SAMPLERS = ("auto", "nutpie", "pymc", "numpyro")

# Step-size target when none is given. At nutpie's 0.8, Dyestuff2 (lme4; batch sd at the REML
# boundary) had 1-2 divergences in 5 of 8 runs of 4 x 1000 draws, all at batch shares of 0.07-0.77;
# at 0.9 none in the same 8 runs, bulk ESS of the batch sd 1126 vs 1000, sampling 15% slower
# (rstanarm's stan_glmer uses 0.95 for the same reason)
DEFAULT_TARGET_ACCEPT = 0.9

# nutpie's compiled model per PyMC model: refitting a model (another seed, more draws) skips
# the 7-17 s numba compile; weak keys, so the entry goes with the model
_NUTPIE_CACHE: "weakref.WeakKeyDictionary[pm.Model, Any]" = weakref.WeakKeyDictionary()


def resolve_sampler(sampler: str) -> str:
    """``"auto"`` is nutpie when installed, else PyMC's NUTS; others are checked."""
    if sampler not in SAMPLERS:
        raise SamplingError(f"unknown sampler {sampler!r}; use one of {SAMPLERS}")
    if sampler == "auto":
        return "nutpie" if importlib.util.find_spec("nutpie") else "pymc"
    if sampler == "nutpie" and not importlib.util.find_spec("nutpie"):
        raise SamplingError("sampler='nutpie' but nutpie is not installed (pip install nutpie)")
    if sampler == "numpyro" and not (importlib.util.find_spec("numpyro") and importlib.util.find_spec("jax")):
        raise SamplingError("sampler='numpyro' needs the jax extra: pip install 'bayeslmm[jax]'")
    return sampler


def sample(
    model: pm.Model,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int | None = None,
    sampler: str = "auto",
    progress: bool = True,
    target_accept: float | None = None,
    cores: int | None = None,
    observed: np.ndarray | None = None,
) -> Any:
    """Sample ``model`` with NUTS and attach the pointwise log-likelihood.

    Parameters
    ----------
    draws, tune, chains
        Kept draws, tuning steps and chains.
    seed
        Integer seed; ``None`` draws one, which is recorded in ``idata.attrs["seed"]``, so
        every fit can be reproduced. The same seed gives the same draws.
    sampler
        ``"auto"``, ``"nutpie"``, ``"pymc"`` or ``"numpyro"``.
    target_accept
        NUTS step-size adaptation target; ``None`` uses :data:`DEFAULT_TARGET_ACCEPT` (0.9,
        where nutpie and PyMC default to 0.8). Recorded in ``idata.attrs``.
    observed
        The response, stored as ``observed_data`` when the sampler does not store it.

    Returns
    -------
    arviz.InferenceData
        With ``posterior``, ``sample_stats``, ``log_likelihood`` and ``observed_data``.
    """
    for name, value in (("draws", draws), ("tune", tune), ("chains", chains)):
        if not isinstance(value, (int, np.integer)) or value < (0 if name == "tune" else 1):
            raise SamplingError(f"{name} must be a positive integer, got {value!r}")
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0] % (2**31))
    seed = int(seed)
    if target_accept is None:
        target_accept = DEFAULT_TARGET_ACCEPT
    if not 0.0 < float(target_accept) < 1.0:
        raise SamplingError(f"target_accept must be between 0 and 1, got {target_accept!r}")
    used = resolve_sampler(sampler)
    cores = cores or max(1, min(chains, os.cpu_count() or 1))
    if used == "nutpie":
        idata = _sample_nutpie(model, draws, tune, chains, seed, progress, target_accept, cores)
    else:
        kwargs: dict[str, Any] = {}
        if target_accept is not None:
            kwargs["target_accept"] = target_accept
        if used == "numpyro":
            from .backend import collapsed_likelihood, crossed_likelihood, simplex

            collapsed_likelihood.register_jax()  # bayeslmm's Ops, for PyTensor's JAX backend
            crossed_likelihood.register_jax()
            simplex.register_jax()
        start = time.perf_counter()
        with model:
            idata = pm.sample(
                draws=draws, tune=tune, chains=chains, cores=cores, random_seed=seed,
                progressbar=progress, nuts_sampler=used, compute_convergence_checks=False, **kwargs,
            )
        idata.attrs["sampling_seconds"] = round(time.perf_counter() - start, 3)
    if "y" in model.named_vars and model["y"] in model.observed_RVs:
        # pointwise per observation; marginal strategies observe rotated data instead, whose
        # points are not observations (their LOO is computed in results/criteria.py)
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            pm.compute_log_likelihood(idata, var_names=["y"], progressbar=False)
    if "observed_data" not in idata.groups() and observed is not None:
        import xarray as xr

        idata.add_groups(observed_data=xr.Dataset({"y": ("obs", np.asarray(observed))}))
    idata.attrs.update(
        {"sampler": used, "seed": seed, "draws": draws, "tune": tune, "chains": chains,
         "target_accept": float(target_accept),
         "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    )
    return idata


def blas_threads_per_chain(cores: int) -> int:
    """BLAS threads each of ``cores`` parallel chains may use: the CPUs shared out, at least 1.

    nutpie runs chains as threads of this process; with BLAS free to use every CPU in each,
    2 chains on 2 cores oversubscribe them. Measured on the two-kernel hybrid model (n = 2,000,
    300 latent microbiome factors, 2 x 600 iterations): 28.2 s of sampling with OpenBLAS's
    default threads, 13.9 s with one thread per chain.
    """
    return max(1, (os.cpu_count() or 1) // max(1, cores))


def _sample_nutpie(model, draws, tune, chains, seed, progress, target_accept, cores):
    import nutpie

    start = time.perf_counter()
    compiled = _NUTPIE_CACHE.get(model)
    if compiled is None:
        try:
            compiled = nutpie.compile_pymc_model(model)
        except Exception as err:  # nutpie/numba compile failures are not user errors but must be named
            raise SamplingError(f"nutpie could not compile the model: {err}") from err
        _NUTPIE_CACHE[model] = compiled
    compiled_at = time.perf_counter()
    kwargs: dict[str, Any] = {}
    if target_accept is not None:
        kwargs["target_accept"] = target_accept
    with threadpool_limits(limits=blas_threads_per_chain(cores), user_api="blas"):
        idata = nutpie.sample(
            compiled, draws=draws, tune=tune, chains=chains, cores=cores, seed=seed,
            progress_bar=progress, save_warmup=False, **kwargs,
        )
    idata.attrs["compile_seconds"] = round(compiled_at - start, 3)
    idata.attrs["sampling_seconds"] = round(time.perf_counter() - compiled_at, 3)
    return idata
