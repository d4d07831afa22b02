"""Shared pieces of the strategies that marginalise one kernel in its eigenbasis
(spectral, low-rank, hybrid): the rotated Gaussian likelihood and, after sampling, the
intercept draws when the intercept was integrated out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..errors import SpecError
from ..linalg.rotation import Rotation, observed_eigh, rotate
from ..spec.model_spec import ModelSpec
from ..spec.terms import GroupTerm

__all__ = ["main_kernel_term", "rotation_of", "fixed_effects_rotated", "rotated_likelihood", "complete_intercept"]


def is_marginalisable_kernel_term(term: GroupTerm) -> bool:
    """A kernel term with an intercept only and at most one record per id."""
    return (
        term.kernel is not None
        and term.is_intercept_only
        and len(np.unique(term.index)) == len(term.index)
    )


def main_kernel_term(spec: ModelSpec) -> GroupTerm:
    """The first kernel term that can be marginalised spectrally."""
    for term in spec.terms:
        if is_marginalisable_kernel_term(term):
            return term
    raise SpecError(
        "no kernel term can be integrated out spectrally (needs (1 | gr(id, cov=K)) with one record per id)"
    )


def rotation_of(spec: ModelSpec, term: GroupTerm) -> Rotation:
    """Rotate ``spec``'s data by the eigenvectors of ``term``'s kernel on the data rows."""
    kernel = spec.kernels[term.kernel]
    eigh = observed_eigh(kernel, term.index)
    return rotate(eigh, spec.y, spec.X, spec.fixed_columns)


def fixed_effects_rotated(spec: ModelSpec, rot: Rotation) -> pt.TensorVariable:
    """Coefficients sampled by the model: all fixed effects, or all but an absorbed intercept.

    Returns the vector ``b`` of model columns (dims ``coef`` or ``coef_free``).
    """
    names = [spec.fixed_columns[j] for j in rot.model_columns]
    if not names:
        return pt.zeros(0)
    mu = np.array([spec.priors[c].params.get("mu", 0.0) for c in names], dtype=float)
    sigma = np.array([spec.priors[c].params["sigma"] for c in names], dtype=float)
    if any(spec.priors[c].dist != "Normal" for c in names):
        raise SpecError("marginal strategies take Normal priors on fixed effects; use strategy='latent' for others")
    dims = "coef" if not rot.absorbed else "coef_free"
    return pm.Normal("b" if not rot.absorbed else "b_free", mu=mu, sigma=sigma, dims=dims)


def rotated_likelihood(
    spec: ModelSpec,
    rot: Rotation,
    b: pt.TensorVariable,
    kernel_var: pt.TensorVariable,
    residual_var: pt.TensorVariable,
    offset: pt.TensorVariable | None = None,
    offset_rot: pt.TensorVariable | None = None,
) -> None:
    """Add :math:`\\log p(y \\mid b, \\sigma_g^2, \\sigma_e^2, o)` to the model.

    Parameters
    ----------
    offset, offset_rot
        Latent terms' contribution :math:`o` (length n) and :math:`U'o` (length k), or ``None``.

    Notes
    -----
    With :math:`r = y - Xb - o`, :math:`r^* = U'r`:

    .. math::
        \\log p = \\sum_{i \\le k} \\log N(r^*_i; 0, \\sigma_g^2\\lambda_i + \\sigma_e^2)
        - \\tfrac{c}{2}\\log(2\\pi\\sigma_e^2) - \\frac{Q}{2\\sigma_e^2}
        \\;[-\\tfrac12 \\log n],

    :math:`Q = r'Mr = \\lVert r\\rVert^2 - \\lVert r^*\\rVert^2 [- (1'r)^2/n]`, :math:`c` the
    complement dimension; the bracketed terms apply when the intercept is absorbed
    (:func:`bayeslmm.linalg.rotation.rotate`). The rotated part is an observed
    ``y_rotated`` (:math:`O(kp)`); the complement, when there is one, a ``Potential``:
    :math:`O(p^2)` from the projected cross-products of ``rot`` when there are no latent
    offsets, else :math:`O(np)`.
    """
    Xm = spec.X[:, list(rot.model_columns)]
    mean_rot = pt.dot(pt.as_tensor_variable(rot.X_rot), b) if Xm.shape[1] else pt.zeros(rot.k)
    if offset_rot is not None:
        mean_rot = mean_rot + offset_rot
    d = kernel_var * rot.values + residual_var
    pm.Normal("y_rotated", mu=mean_rot, sigma=pt.sqrt(d), observed=rot.y_rot)
    if rot.complement <= 0 and not rot.absorbed:
        return
    logp = pt.as_tensor_variable(0.0)
    if offset is None and offset_rot is None:
        # no latent offsets: Q = r'Mr from the projected cross-products, O(p²) per gradient
        Q = pt.as_tensor_variable(rot.cyy)
        if Xm.shape[1]:
            Q = Q - 2.0 * pt.dot(b, rot.cXy) + pt.dot(b, pt.dot(rot.cXX, b))
    else:
        r = pt.as_tensor_variable(spec.y)
        if Xm.shape[1]:
            r = r - pt.dot(pt.as_tensor_variable(Xm), b)
        if offset is not None:
            r = r - offset
        Q = pt.sum(r**2) - pt.sum((rot.y_rot - mean_rot) ** 2)
        if rot.absorbed:
            Q = Q - pt.sum(r) ** 2 / rot.n
    if rot.absorbed:
        logp = logp - 0.5 * np.log(rot.n)
    logp = logp - 0.5 * Q / residual_var
    if rot.complement > 0:
        logp = logp - 0.5 * rot.complement * pt.log(2 * np.pi * residual_var)
    pm.Potential("complement", logp)


def complete_intercept(spec: ModelSpec, rot: Rotation, idata: Any, offsets: np.ndarray | None, seed: int) -> None:
    """Add ``b`` (all fixed columns) to the posterior, drawing an absorbed intercept.

    Notes
    -----
    Given the other parameters, :math:`b_0 \\sim N(\\overline{r_{-0}}, \\sigma_e^2/n)` with
    :math:`r_{-0} = y - X_{-0}b_{-0} - o` (the latent offsets ``o`` per draw, shape
    ``(chains, draws, n)``, or ``None``).
    """
    import xarray as xr

    post = idata.posterior
    if not rot.absorbed:
        return
    rng = np.random.default_rng(seed)
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    cols = list(rot.model_columns)
    Xm = spec.X[:, cols]
    b_free = post["b_free"].values if cols else np.zeros((chains, draws, 0))
    mean_r = spec.y.mean() - b_free @ Xm.mean(axis=0)
    if offsets is not None:
        mean_r = mean_r - offsets.mean(axis=-1)
    sigma_e = post["sd"].values[..., -1]
    b0 = mean_r + sigma_e / np.sqrt(spec.n) * rng.standard_normal((chains, draws))
    b = np.zeros((chains, draws, len(spec.fixed_columns)))
    b[..., rot.intercept_column] = b0
    b[..., cols] = b_free
    post["b"] = xr.DataArray(b, dims=("chain", "draw", "coef"), coords={"coef": list(spec.fixed_columns)})
