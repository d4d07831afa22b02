"""``gp()`` terms: Gaussian-process random fields over coordinates with a learned lengthscale.

A formula term ``gp(x, y, cov="matern32", by=None, lonlat=False, approx="auto", m=None, c=None)``
adds a zero-mean Gaussian process :math:`f(s)` over one or two coordinates to the linear
predictor. Its amplitude is a share of the total variance (the ``tau`` + Dirichlet split of
DESIGN.md section 5); its lengthscale gets a weakly informative prior scaled to the extent of
the coordinates (:func:`lengthscale_prior`).

Everything here is numpy: parsing the call, projecting longitude/latitude, centring, the
``by`` design, the default prior, and the Hilbert-space basis (:func:`hsgp_basis`), which
the backend and the predictions share. The numbers of basis functions and the boundary
factor come from PyMC's heuristic and are chosen in :mod:`bayeslmm.backend.gp`.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError
from .data import _label, check_finite, factor_codes
from .priors import Prior

__all__ = [
    "APPROXIMATIONS",
    "COVARIANCES",
    "EXACT_MAX_N",
    "EXACT_MAX_N_LATENT",
    "GPCall",
    "GPProjectionWarning",
    "GPTermSpec",
    "build_gp_term",
    "gp_keys",
    "hsgp_basis",
    "hsgp_basis_size",
    "hsgp_frequencies",
    "is_gp_call",
    "kernel_matrix",
    "lengthscale_name",
    "lengthscale_prior",
    "parse_gp_call",
    "project_lonlat",
]

COVARIANCES = ("matern32", "matern52", "exponential", "expquad")
APPROXIMATIONS = ("auto", "exact", "hsgp")
EXACT_MAX_N = 250
"""``approx="auto"``: exact GP up to this many rows for Gaussian responses (integrated out,
O(n³) per gradient), HSGP above."""
EXACT_MAX_N_LATENT = 100
"""The same for other families, whose exact field is sampled (n more parameters)."""

EARTH_RADIUS_KM = 6371.0088
PROJECTION_WARN = 0.05
"""Warn when the lon/lat projection distorts distances by more than 5%."""

LOWER_FRACTION, UPPER_FRACTION, TAIL = 1.0 / 20.0, 1.0 / 2.0, 0.05

_CALL = re.compile(r"^\s*gp\s*\(")
_OPTIONS = {"cov", "by", "lonlat", "approx", "m", "c"}


class GPProjectionWarning(UserWarning):
    """Longitude/latitude coordinates span so much that the local projection distorts distances."""


@dataclass(frozen=True)
class GPCall:
    """A ``gp(...)`` formula term as written.

    Attributes
    ----------
    text
        The term as written.
    columns
        One or two coordinate columns.
    cov
        ``"matern32"`` (default), ``"matern52"``, ``"exponential"`` or ``"expquad"``.
    by
        A column: a factor gives an independent field per level (sharing amplitude and
        lengthscale); a numeric column multiplies the field (a spatially varying slope).
    lonlat
        Coordinates are (longitude, latitude) in degrees; they are projected to km.
    approx
        ``"auto"`` (exact up to :data:`EXACT_MAX_N` rows, :data:`EXACT_MAX_N_LATENT` for
        non-Gaussian families, else HSGP; HSGP whenever ``m`` or ``c`` is given),
        ``"exact"``, ``"hsgp"``.
    m, c
        HSGP basis functions per dimension and boundary factor; ``None``: chosen from the
        lengthscale prior (:func:`bayeslmm.backend.gp.hsgp_plan`).
    """

    text: str
    columns: tuple[str, ...]
    cov: str = "matern32"
    by: str | None = None
    lonlat: bool = False
    approx: str = "auto"
    m: tuple[int, ...] | None = None
    c: float | None = None

    @property
    def label(self) -> str:
        """Component label: ``"gp(x, y)"``, or ``"gp(x, y, by=g)"``."""
        inner = ", ".join(self.columns) + (f", by={self.by}" if self.by else "")
        return f"gp({inner})"


def is_gp_call(text: str) -> bool:
    """Whether a top-level formula term is a ``gp(...)`` call."""
    return bool(_CALL.match(text))


def _name(node: ast.AST, text: str) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # R-style dotted column names: soil.ph
        return ast.unparse(node)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise FormulaError(f"in {text!r}: {ast.unparse(node)!r} is not a column name")


def _literal(key: str, node: ast.AST, text: str) -> Any:
    if key == "by":
        return _name(node, text)
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise FormulaError(f"in {text!r}: {key}={ast.unparse(node)} must be a literal value") from None
    return value


def parse_gp_call(text: str) -> GPCall:
    """Read a ``gp(...)`` term.

    Examples
    --------
    >>> parse_gp_call('gp(lon, lat, cov="matern52", lonlat=True)').label
    'gp(lon, lat)'
    """
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as err:
        raise FormulaError(f"cannot read the gp term {text.strip()!r}: {err.msg}") from None
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "gp"):
        raise FormulaError(f"{text.strip()!r} is not a single gp(...) term")
    text = text.strip()
    columns = tuple(_name(a, text) for a in tree.args)
    if not 1 <= len(columns) <= 2:
        raise FormulaError(f"{text!r} has {len(columns)} coordinates; gp() takes one or two (e.g. gp(x, y))")
    if len(set(columns)) != len(columns):
        raise FormulaError(f"{text!r} repeats a coordinate column")
    options: dict[str, Any] = {}
    for kw in tree.keywords:
        if kw.arg not in _OPTIONS:
            raise FormulaError(f"unknown gp() option {kw.arg!r} in {text!r}; options are {sorted(_OPTIONS)}")
        options[kw.arg] = _literal(kw.arg, kw.value, text)
    return _checked_call(text, columns, options)


def _checked_call(text: str, columns: tuple[str, ...], options: dict[str, Any]) -> GPCall:
    cov = options.get("cov", "matern32")
    if cov not in COVARIANCES:
        raise FormulaError(f"cov={cov!r} in {text!r} is not one of {COVARIANCES}")
    approx = options.get("approx", "auto")
    if approx not in APPROXIMATIONS:
        raise FormulaError(f"approx={approx!r} in {text!r} is not one of {APPROXIMATIONS}")
    lonlat = options.get("lonlat", False)
    if not isinstance(lonlat, bool):
        raise FormulaError(f"lonlat={lonlat!r} in {text!r} must be True or False")
    if lonlat and len(columns) != 2:
        raise FormulaError(f"lonlat=True in {text!r} needs two coordinates: gp(longitude, latitude, lonlat=True)")
    m = options.get("m")
    if m is not None:
        m = (m,) * len(columns) if isinstance(m, int) else tuple(m) if isinstance(m, (tuple, list)) else m
        if not (isinstance(m, tuple) and len(m) == len(columns)
                and all(isinstance(v, int) and not isinstance(v, bool) and v >= 2 for v in m)):
            raise FormulaError(f"m={options['m']!r} in {text!r} must be an integer >= 2 (or one per coordinate)")
    c = options.get("c")
    if c is not None and not (isinstance(c, (int, float)) and not isinstance(c, bool) and c > 1.0):
        raise FormulaError(f"c={c!r} in {text!r} must be a number > 1 (the boundary is c times the half-range)")
    if (m is not None or c is not None) and approx == "exact":
        raise FormulaError(f"{text!r} sets m or c, which only apply to approx='hsgp'")
    by = options.get("by")
    if by is not None and by in columns:
        raise FormulaError(f"by={by!r} in {text!r} is also a coordinate")
    return GPCall(text, columns, cov, by, lonlat, approx, m, None if c is None else float(c))


@dataclass(frozen=True)
class GPTermSpec:
    """A ``gp()`` term evaluated on the data.

    The term adds :math:`\\sum_l B_{il} f_l(s_i)` to the linear predictor of row :math:`i`
    at location :math:`s_i`, with independent fields :math:`f_l \\sim GP(0, \\sigma^2 k_\\ell)`
    (:math:`l` the levels of a factor ``by``; a single field otherwise), so the field's
    covariance on the rows is :math:`\\sigma^2 K_\\ell \\circ (BB')`.

    Attributes
    ----------
    call
        The parsed formula term.
    key
        Identifier-safe name for model variables (``"gp_x_y"``).
    coords
        ``(n, d)`` locations in model units (km for lon/lat), centred at ``center``.
    center
        Mid-range of the (projected) coordinates, subtracted from ``coords``.
    origin
        ``(lon0, lat0)`` of the projection (lon/lat only), else ``None``.
    half_range
        ``(d,)`` :math:`S_d = \\max_i |s_{id}|` of the centred coordinates.
    extent
        Largest coordinate range :math:`E = \\max_d (\\max_i s_{id} - \\min_i s_{id})`.
    by_design, by_levels, by_kind
        :math:`B` ``(n, L)`` (indicators of a factor ``by``, the values of a numeric one, ones
        without ``by``), the level labels and ``"none"``, ``"factor"`` or ``"numeric"``.
    x_scale
        ``(1,)``: sd of a numeric ``by`` (the share is on the scale of the response, as for
        slopes), else 1.
    method
        ``"exact"`` or ``"hsgp"``.
    projection_error
        Largest relative error of projected against great-circle distances (lon/lat only).
    """

    call: GPCall
    key: str
    coords: np.ndarray = field(repr=False)
    center: np.ndarray
    origin: tuple[float, float] | None
    half_range: np.ndarray
    extent: float
    by_design: np.ndarray = field(repr=False)
    by_levels: tuple[str, ...]
    by_kind: str
    x_scale: np.ndarray
    method: str
    projection_error: float | None = None

    @property
    def label(self) -> str:
        return self.call.label

    @property
    def components(self) -> tuple[str, ...]:
        return (self.label,)

    @property
    def cov(self) -> str:
        return self.call.cov

    @property
    def dim(self) -> int:
        return self.coords.shape[1]

    @property
    def n_fields(self) -> int:
        return self.by_design.shape[1]

    @property
    def units(self) -> str:
        if self.origin is None:
            return "coordinate units"
        return f"km (equirectangular projection about {self.origin[0]:.4g}E, {self.origin[1]:.4g}N)"

    def locations(self, frame: pd.DataFrame) -> np.ndarray:
        """Coordinates of new rows in model units, with the projection and centring of the fit."""
        missing = [c for c in self.call.columns if c not in frame.columns]
        if missing:
            raise DataError(f"newdata lacks the coordinate column {missing[0]!r} of {self.label}")
        raw = frame[list(self.call.columns)].to_numpy(dtype=float)
        check_finite(raw, f"coordinates of {self.label} in newdata")
        if self.origin is not None:
            raw = project_lonlat(raw, self.origin)
        return raw - self.center

    def by_matrix(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``B`` for new rows and, per row, whether its ``by`` level was seen in fitting.

        Rows of an unseen factor level get a zero row in ``B`` (their field is a fresh draw
        from the GP prior; see :mod:`bayeslmm.results.gp_predict`).
        """
        m = len(frame)
        if self.by_kind == "none":
            return np.ones((m, 1)), np.ones(m, bool)
        if self.call.by not in frame.columns:
            raise DataError(f"newdata lacks the by column {self.call.by!r} of {self.label}")
        if self.by_kind == "numeric":
            values = frame[self.call.by].to_numpy(dtype=float)
            check_finite(values, f"by column {self.call.by!r} in newdata")
            return values[:, None], np.ones(m, bool)
        labels = frame[self.call.by].map(_label).astype(str).to_numpy()
        position = pd.Index(self.by_levels).get_indexer(labels)
        B = np.zeros((m, self.n_fields))
        known = position >= 0
        B[np.flatnonzero(known), position[known]] = 1.0
        return B, known

    def describe(self) -> str:
        """One line for summaries: kernel, coordinates, units, ``by``."""
        text = f"{self.label}: {self.cov} over {', '.join(self.call.columns)} in {self.units}"
        if self.projection_error is not None:
            text += f" (distances within {100 * self.projection_error:.2g}% of great-circle)"
        if self.by_kind == "factor":
            text += f"; one field per level of {self.call.by} ({self.n_fields})"
        elif self.by_kind == "numeric":
            text += f"; field times {self.call.by}"
        return text


def project_lonlat(lonlat: np.ndarray, origin: tuple[float, float]) -> np.ndarray:
    """Equirectangular projection of (longitude, latitude) degrees to km about ``origin``.

    Notes
    -----
    :math:`x = R (\\lambda - \\lambda_0)\\cos\\phi_0`, :math:`y = R(\\phi - \\phi_0)` (radians,
    :math:`R` = 6371.0088 km). Distances are exact along meridians and at the central
    parallel; east-west distances away from it are off by about
    :math:`\\tan\\phi_0\\,|\\phi - \\phi_0|` (radians): 1.8% at the edges of a 2 degree
    north-south span at 46 degrees latitude, 4.4% for a 5 degree span. The largest error on
    the data is recorded (``projection_error``) and warned about above 5%. Longitudes are
    unwrapped about :math:`\\lambda_0`, so a region across the antimeridian stays contiguous.
    """
    lon0, lat0 = origin
    dlon = (lonlat[:, 0] - lon0 + 180.0) % 360.0 - 180.0
    x = EARTH_RADIUS_KM * np.radians(dlon) * np.cos(np.radians(lat0))
    y = EARTH_RADIUS_KM * np.radians(lonlat[:, 1] - lat0)
    return np.column_stack([x, y])


def _haversine_pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _projection_error(raw: np.ndarray, projected: np.ndarray, rng: np.random.Generator) -> float:
    """Largest relative error of projected distances on up to 2,000 random pairs."""
    n = len(raw)
    i, j = rng.integers(0, n, 2000), rng.integers(0, n, 2000)
    great = _haversine_pairs(raw[i], raw[j])
    keep = great > 1e-9
    if not keep.any():
        return 0.0
    flat = np.linalg.norm(projected[i] - projected[j], axis=1)
    return float(np.max(np.abs(flat[keep] - great[keep]) / great[keep]))


def _coordinates(call: GPCall, data: pd.DataFrame) -> tuple[np.ndarray, tuple[float, float] | None, float | None]:
    for c in call.columns:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise DataError(f"coordinate column {c!r} of {call.label} must be numeric, got dtype {data[c].dtype}")
    raw = data[list(call.columns)].to_numpy(dtype=float)
    check_finite(raw, f"coordinates of {call.label}")
    if not call.lonlat:
        return raw, None, None
    bad = np.flatnonzero((np.abs(raw[:, 1]) > 90) | (np.abs(raw[:, 0]) > 360))
    if bad.size:
        r = bad[0]
        raise DataError(f"row {r} of {call.label} has longitude {raw[r, 0]!r}, latitude {raw[r, 1]!r}: outside "
                        "[-360, 360] x [-90, 90] (are the columns swapped? gp(longitude, latitude, lonlat=True))")
    lon0 = float(np.degrees(np.arctan2(np.sin(np.radians(raw[:, 0])).mean(), np.cos(np.radians(raw[:, 0])).mean())))
    lat0 = float((raw[:, 1].min() + raw[:, 1].max()) / 2)
    projected = project_lonlat(raw, (lon0, lat0))
    error = _projection_error(raw, projected, np.random.default_rng(0))
    if error > PROJECTION_WARN:
        warnings.warn(f"{call.label}: the equirectangular projection of the lon/lat coordinates distorts "
                      f"distances by up to {100 * error:.1f}% (the region spans "
                      f"{np.ptp(raw[:, 1]):.1f} degrees of latitude); fit sub-regions or project the "
                      "coordinates yourself (e.g. UTM) and drop lonlat=True", GPProjectionWarning, stacklevel=4)
    return projected, (lon0, lat0), error


def _by_design(call: GPCall, data: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...], str, np.ndarray]:
    n = len(data)
    if call.by is None:
        return np.ones((n, 1)), ("",), "none", np.ones(1)
    col = data[call.by]
    if pd.api.types.is_numeric_dtype(col) and col.dtype != bool:
        values = col.to_numpy(dtype=float)
        check_finite(values, f"by column {call.by!r} of {call.label}")
        sd = float(np.std(values))
        if sd == 0:
            raise DataError(f"by column {call.by!r} of {call.label} is constant ({values[0]!r}); drop by=")
        return values[:, None], (call.by,), "numeric", np.array([sd])
    index, levels = factor_codes(data, (call.by,))
    B = np.zeros((n, len(levels)))
    B[np.arange(n), index] = 1.0
    return B, tuple(levels), "factor", np.ones(1)


def build_gp_term(call: GPCall, data: pd.DataFrame, key: str, marginal: bool = True) -> GPTermSpec:
    """Evaluate a ``gp()`` term on the rows used (already cleaned of missing values).

    ``marginal``: whether the family lets the field be integrated out (Gaussian), which sets
    the size up to which ``approx="auto"`` is exact (:data:`EXACT_MAX_N`,
    :data:`EXACT_MAX_N_LATENT`).

    Raises
    ------
    DataError
        If a coordinate is not numeric or non-finite, all locations coincide, lon/lat are
        out of range, or a numeric ``by`` is constant.
    """
    for c in call.columns + ((call.by,) if call.by else ()):
        if c not in data.columns:
            raise FormulaError(f"unknown column {c!r} in {call.text!r}; "
                               f"data columns are {list(map(str, data.columns))[:20]}")
    coords, origin, error = _coordinates(call, data)
    low, high = coords.min(axis=0), coords.max(axis=0)
    ranges = high - low
    if not np.any(ranges > 0):
        raise DataError(f"all {len(coords)} locations of {call.label} coincide; "
                        "a spatial field needs distinct locations")
    center = (low + high) / 2.0
    centred = coords - center
    half = np.maximum(np.abs(centred).max(axis=0), 1e-12 * float(ranges.max()))
    B, levels, kind, x_scale = _by_design(call, data)
    n = len(data)
    if call.approx != "auto":
        method = call.approx
    elif call.m is not None or call.c is not None:  # HSGP settings imply the approximation
        method = "hsgp"
    else:
        method = "exact" if n <= (EXACT_MAX_N if marginal else EXACT_MAX_N_LATENT) else "hsgp"
    return GPTermSpec(call=call, key=key, coords=centred, center=center, origin=origin, half_range=half,
                      extent=float(ranges.max()), by_design=B, by_levels=levels, by_kind=kind, x_scale=x_scale,
                      method=method, projection_error=error)


def gp_keys(calls: tuple[GPCall, ...], taken: list[str]) -> list[str]:
    """Identifier-safe, unique keys (``"gp_x_y"``, ``"gp_x_y_by_g"``) not in ``taken``."""
    keys: list[str] = []
    for call in calls:
        base = "gp_" + "_".join(call.columns) + (f"_by_{call.by}" if call.by else "")
        base = re.sub(r"\W+", "_", base).strip("_")
        key, i = base, 2
        while key in keys or key in taken:
            key, i = f"{base}_{i}", i + 1
        keys.append(key)
    return keys


def lengthscale_name(term: GPTermSpec | GPCall) -> str:
    """Prior name of a term's lengthscale: ``"lengthscale(gp(x, y))"``."""
    return f"lengthscale({term.label})"


@cache
def _inverse_gamma_shape(ratio: float, tail: float) -> tuple[float, float]:
    """Shape :math:`\\alpha` and the :math:`\\text{Gamma}(\\alpha, 1)` lower quantile with
    upper/lower quantile ratio ``ratio`` at tails ``tail``."""
    from scipy.optimize import brentq
    from scipy.stats import gamma

    alpha = brentq(lambda a: gamma.ppf(1 - tail, a) / gamma.ppf(tail, a) - ratio, 0.05, 500.0)
    return float(alpha), float(gamma.ppf(tail, alpha))


def lengthscale_prior(term: GPTermSpec) -> Prior:
    """Default prior of the lengthscale :math:`\\ell`, scaled to the extent of the coordinates.

    Notes
    -----
    :math:`\\ell \\sim \\text{InverseGamma}(\\alpha, \\beta)` with
    :math:`P(\\ell < E/20) = P(\\ell > E/2) = 0.05`, :math:`E` the largest coordinate range
    (in km for lon/lat): :math:`1/\\ell \\sim \\text{Gamma}(\\alpha, \\beta)` whose 95% and 5%
    quantiles are :math:`20/E` and :math:`2/E`, so :math:`\\alpha = 2.437` (the shape whose
    quantile ratio is 10) and :math:`\\beta = g_{0.05}(\\alpha) E / 2 = 0.272 E`.

    The correlation of every kernel here falls to 0.1 at about :math:`2.2\\ell` (2.30
    exponential, 2.25 Matérn 3/2, 2.21 Matérn 5/2, 2.15 squared exponential), so the prior
    puts 90% of its mass on fields that decorrelate between about a ninth of the study
    extent and the whole extent. The statements are penalised-complexity style (Fuglstad et
    al. 2019 anchor the Matérn range by :math:`P(\\rho < \\rho_0) = \\alpha`): a field rougher
    than a twentieth of the extent is a priori unlikely, and the left tail of the inverse
    gamma, :math:`\\propto \\exp(-\\beta/\\ell)`, vanishes faster than any power, which keeps
    the sampler away from lengthscales the data cannot resolve. The right tail is polynomial
    (:math:`\\ell^{-\\alpha-1}`, lighter than the PC prior's :math:`\\ell^{-2}` in two
    dimensions, which is the inverse gamma with :math:`\\alpha = 1`), so long ranges stay
    possible without making the Hilbert-space approximation's boundary unbounded.
    """
    alpha, lower_q = _inverse_gamma_shape(UPPER_FRACTION / LOWER_FRACTION, TAIL)
    beta = lower_q * UPPER_FRACTION * term.extent
    why = (f"P(l < E/20) = P(l > E/2) = 0.05 with E = {term.extent:.4g} {term.units.split(' (')[0]} "
           "(coordinate extent); PC-style")
    return Prior("InverseGamma", alpha=alpha, beta=beta, why=why)


# -- kernels and the Hilbert-space basis (numpy) ----------------------------------------------------
def kernel_matrix(cov: str, distance: np.ndarray, lengthscale: float) -> np.ndarray:
    """Correlation :math:`k(d/\\ell)` of a kernel at distances ``distance``.

    Notes
    -----
    With :math:`r = d/\\ell`: exponential :math:`e^{-r}`; Matérn 3/2
    :math:`(1 + \\sqrt3 r)e^{-\\sqrt3 r}`; Matérn 5/2
    :math:`(1 + \\sqrt5 r + \\tfrac53 r^2)e^{-\\sqrt5 r}`; squared exponential
    :math:`e^{-r^2/2}` (PyMC's ``Matern12``, ``Matern32``, ``Matern52``, ``ExpQuad``).
    """
    r = np.asarray(distance, dtype=float) / float(lengthscale)
    if cov == "exponential":
        return np.exp(-r)
    if cov == "matern32":
        s = np.sqrt(3.0) * r
        return (1.0 + s) * np.exp(-s)
    if cov == "matern52":
        s = np.sqrt(5.0) * r
        return (1.0 + s + s * s / 3.0) * np.exp(-s)
    if cov == "expquad":
        return np.exp(-0.5 * r * r)
    raise FormulaError(f"unknown covariance {cov!r}; use one of {COVARIANCES}")


def hsgp_basis_size(m: tuple[int, ...]) -> int:
    return int(np.prod(m))


def hsgp_frequencies(L: np.ndarray, m: tuple[int, ...]) -> np.ndarray:
    """``(M, d)`` square-root eigenvalues :math:`\\sqrt{\\lambda_{jd}} = \\pi j_d / (2L_d)` of the
    Laplacian on :math:`[-L, L]^d`, ordered as PyMC's ``calc_eigenvalues``."""
    grids = np.meshgrid(*[np.arange(1, 1 + k) for k in m])
    idx = np.vstack([g.ravel() for g in grids]).T
    return np.pi * idx / (2.0 * np.asarray(L, dtype=float))


def hsgp_basis(coords: np.ndarray, L: np.ndarray, m: tuple[int, ...]) -> np.ndarray:
    """``(n, M)`` basis :math:`\\phi_j(s) = \\prod_d L_d^{-1/2}\\sin(\\omega_{jd}(s_d + L_d))`.

    Notes
    -----
    The eigenfunctions of the Laplacian with Dirichlet boundary on :math:`[-L, L]^d`
    (Solin and Särkkä 2020; Riutort-Mayol et al. 2023). A stationary GP is approximated by
    :math:`f(s) \\approx \\sum_j \\phi_j(s)\\sqrt{S(\\omega_j)}\\,\\beta_j`,
    :math:`\\beta_j \\sim N(0, 1)`, with :math:`S` the kernel's spectral density: the basis
    does not depend on the hyperparameters, only the weights do. Identical to PyMC's
    ``calc_eigenvectors``; a location outside the box gets a basis row of zero weight
    beyond the boundary, so predict inside :math:`[-L, L]`.
    """
    L = np.asarray(L, dtype=float)
    omega = hsgp_frequencies(L, m)
    phi = np.ones((coords.shape[0], omega.shape[0]))
    for d in range(coords.shape[1]):
        phi *= np.sin(omega[None, :, d] * (coords[:, d : d + 1] + L[d])) / np.sqrt(L[d])
    return phi


_POSITIVE = ("InverseGamma", "Gamma", "HalfNormal", "HalfStudentT", "HalfCauchy", "Exponential")


def check_lengthscale_priors(priors: Any, terms: tuple[GPTermSpec, ...]) -> None:
    """Raise :class:`~bayeslmm.errors.PriorError` if a lengthscale prior is not on :math:`(0, \\infty)`."""
    from ..errors import PriorError

    for term in terms:
        name = lengthscale_name(term)
        prior = priors[name]
        if prior.dist not in _POSITIVE:
            raise PriorError(f"prior for {name!r} must have positive support ({', '.join(_POSITIVE)}), "
                             f"got {prior.describe()}")
