"""Hand-built posteriors and a brute-force reference for the pointwise LOO densities."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import norm

from bayeslmm.results import arviz_bridge as azb


def fake_posterior(spec, chains: int = 2, draws: int = 3, seed: int = 0):
    """InferenceData with plausible draws of every parameter the marginal density reads.

    ``tau`` around the sd of y, proportions from a flat Dirichlet, correlations uniform in
    (-0.8, 0.8): values a fit could produce, without sampling.
    """
    rng = np.random.default_rng(seed)
    K = len(spec.components)
    shape = (chains, draws)
    tau = spec.y_scale * rng.uniform(0.5, 1.5, size=shape)
    prop = rng.dirichlet(np.ones(K), size=shape)
    x_scale = np.concatenate([t.x_scale for t in spec.terms] + [np.atleast_1d(g.x_scale) for g in spec.gp_terms]
                             + ([np.ones(1)] if spec.family.has_residual else []))
    sd = np.sqrt(prop) * tau[..., None] / x_scale
    b = spec.y_center * (spec.X.mean(axis=0) > 0) + rng.normal(0, 0.3 * spec.y_scale, size=shape + (spec.X.shape[1],))
    post = {
        "tau": (("chain", "draw"), tau),
        "proportions": (("chain", "draw", "component"), prop),
        "sd": (("chain", "draw", "component"), sd),
        "b": (("chain", "draw", "coef"), b),
    }
    for t in spec.terms:
        if t.correlated:
            q = len(t.columns)
            corr = np.broadcast_to(np.eye(q), shape + (q, q)).copy()
            r = rng.uniform(-0.8, 0.8, size=shape)
            corr[..., 0, 1] = corr[..., 1, 0] = r
            post[f"corr_{t.key}"] = (("chain", "draw", f"{t.key}_c1", f"{t.key}_c2"), corr)
    for g in spec.gp_terms:
        post[f"ls_{g.key}"] = (("chain", "draw"), rng.uniform(1.0, 4.0, size=shape))
    ds = xr.Dataset(post, coords={"chain": np.arange(chains), "draw": np.arange(draws)})
    return azb.from_groups({"posterior": ds})


def brute_force_loo(spec, idata) -> np.ndarray:
    """``(S, n)`` values of log p(y_i | y_-i, theta) by conditioning the dense normal.

    Built without the package's covariance helpers: the design M maps (level, coefficient)
    pairs to rows, C = Sigma (x) K over them, V = M C M' + sigma^2 I, and each y_i is
    conditioned on the rest through the Schur complement.
    """
    post = idata.posterior
    b = post["b"].values.reshape(-1, spec.X.shape[1])
    sd = post["sd"].values.reshape(b.shape[0], -1)
    S, n = b.shape[0], spec.n
    out = np.empty((S, n))
    for s in range(S):
        V = sd[s, -1] ** 2 * np.eye(n)
        for t in spec.terms:
            q, J = len(t.columns), t.n_levels
            k0 = spec.components.index(t.components[0])
            sds = sd[s, k0 : k0 + q]
            R = post[f"corr_{t.key}"].values.reshape(S, q, q)[s] if t.correlated else np.eye(q)
            Sigma = np.outer(sds, sds) * R
            K = np.asarray(spec.kernels[t.kernel].matrix) if t.kernel else np.eye(J)
            M = np.zeros((n, J * q))
            for i in range(n):
                for c in range(q):
                    M[i, t.index[i] * q + c] = t.Z[i, c]
            V += M @ np.kron(K, Sigma) @ M.T
        for g in spec.gp_terms:  # the field's covariance at the rows, as the model defines it
            from bayeslmm.results.gp_predict import field_correlation

            amp = sd[s, spec.components.index(g.label)]
            ls = post[f"ls_{g.key}"].values.reshape(-1)[s]
            V += amp**2 * field_correlation(spec, g, g.coords, g.by_design, g.coords, g.by_design, ls)
        mu = spec.X @ b[s]
        for i in range(n):
            o = np.delete(np.arange(n), i)
            w = np.linalg.solve(V[np.ix_(o, o)], V[o, i])
            m = mu[i] + w @ (spec.y[o] - mu[o])
            v = V[i, i] - w @ V[o, i]
            out[s, i] = norm.logpdf(spec.y[i], m, np.sqrt(v))
    return out
