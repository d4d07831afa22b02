"""Analysis specs in TOML: data, formula, kernels, priors, sampler and report settings.

A spec file describes one analysis so that a pipeline can run it with
``bayeslmm fit SPEC.toml``. Paths are relative to the spec file. Example::

    title = "Heritability with a genomic relationship matrix"

    [data]
    file = "phenotypes.csv"            # CSV, TSV or Parquet; or simulate = "<simulator>"

    [model]
    formula = "y ~ x + (1 | gr(id, cov=G))"
    family = "gaussian"

    [kernels.G]
    plink = "genotypes/cohort"         # or genotypes / pedigree / abundance / methylation /
                                       # matrix / hadamard / simulated
    [priors]
    tau = { dist = "HalfStudentT", nu = 3, sigma = 1 }

    [sampler]
    draws = 1000
    tune = 1000
    chains = 4
    seed = 1

Every key is checked; a bad one raises :class:`SpecFileError` naming the file and the key.
"""

from __future__ import annotations

import inspect
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .errors import BayesLMMError, DataError, FormulaError, KernelError, PriorError, SpecError

__all__ = ["SpecFileError", "RunSpec", "load_spec", "spec_from_dict", "QUICK_SAMPLER", "quick_requested"]

QUICK_SAMPLER = {"draws": 200, "tune": 200, "chains": 2}
"""Sampler settings of quick mode (``--quick`` or ``BAYESLMM_QUICK=1``): a smoke run, not an analysis."""

_TOP = {"title", "description", "data", "model", "kernels", "priors", "sampler", "report"}
_DATA = {"file", "simulate", "args", "quick", "sep"}
_MODEL = {"formula", "family", "link", "strategy"}
_SAMPLER = {"draws", "tune", "chains", "seed", "sampler", "target_accept", "cores"}
_REPORT = {"title", "labels", "prob", "out"}
_KERNEL_SOURCES = {
    # source key: options it accepts (besides the source key itself)
    "simulated": set(),
    "genotypes": {"method", "maf_min", "scale"},
    "plink": {"method", "maf_min", "scale"},
    "pedigree": {"id", "sire", "dam", "scale", "unknown"},
    "abundance": {"method", "pseudocount", "scale", "psd"},
    "methylation": {"kind", "scale"},
    "matrix": {"ids", "psd", "scale"},
    "hadamard": {"scale"},
}


class SpecFileError(SpecError):
    """A spec file is invalid; the message names the file and the key.

    Attributes
    ----------
    file
        The spec file (or ``"<demo>"`` for built-in specs).
    key
        Dotted key, e.g. ``"sampler.draws"`` or ``"kernels.G.pedigree"``.
    """

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        super().__init__(f"{file}: [{key}] {message}")


@dataclass
class RunSpec:
    """A checked spec: everything needed to build the model, sample it and write the report."""

    source: str
    title: str
    description: str | None
    data: pd.DataFrame
    truth: dict[str, Any] | None
    formula: str | list[str]
    family: str
    link: str | None
    strategy: str | None
    kernels: dict[str, Any]
    priors: dict[str, Any]
    sampler: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)
    prob: float = 0.94
    out: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def model(self):
        """Build the :class:`~bayeslmm.Model` (no sampling); errors name the spec key."""
        from .model import Model

        try:
            return Model(self.formula, self.data, family=self.family, priors=self.priors or None,
                         kernels=self.kernels or None, link=self.link, strategy=self.strategy)
        except BayesLMMError as err:
            raise SpecFileError(self.source, _key_of(err), str(err)) from err


def _key_of(err: BayesLMMError) -> str:
    if isinstance(err, PriorError):
        return "priors"
    if isinstance(err, KernelError):
        return "kernels"
    if isinstance(err, FormulaError):
        return "model.formula"
    if isinstance(err, DataError):
        return "data"
    return "model"


def quick_requested(flag: bool = False) -> bool:
    """Quick mode: the ``--quick`` flag or the environment variable ``BAYESLMM_QUICK=1``."""
    return flag or os.environ.get("BAYESLMM_QUICK", "").strip().lower() in ("1", "true", "yes")


def load_spec(path: str | os.PathLike[str], *, quick: bool = False) -> RunSpec:
    """Read and check a TOML spec file; load its data and build its kernels.

    Parameters
    ----------
    path
        The spec file; relative paths inside it are relative to its folder.
    quick
        Use ``[data] quick`` simulator arguments and :data:`QUICK_SAMPLER` settings.

    Raises
    ------
    SpecFileError
        Naming the file and the key, for a missing file, a TOML syntax error, an unknown
        key, a value of the wrong type, a data or kernel file that cannot be read.
    """
    p = Path(path)
    if not p.is_file():
        raise SpecFileError(str(p), "file", f"spec file {str(p)!r} does not exist")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise SpecFileError(str(p), "toml", f"not valid TOML: {err}") from None
    return spec_from_dict(raw, base=p.parent, source=str(p), quick=quick, default_title=p.stem)


def spec_from_dict(raw: Mapping[str, Any], *, base: Path | None = None, source: str = "<spec>",
                   quick: bool = False, default_title: str = "bayeslmm analysis") -> RunSpec:
    """Check a spec given as a dict (the parsed TOML); see :func:`load_spec`."""
    base = Path(base) if base is not None else Path.cwd()
    ctx = _Context(source, base)
    ctx.keys(raw, _TOP, "")
    model = ctx.table(raw, "model", required=True)
    ctx.keys(model, _MODEL, "model")
    data, truth, objects = _load_data(ctx, ctx.table(raw, "data", required=True), quick)
    kernels = _load_kernels(ctx, ctx.table(raw, "kernels"), objects)
    report = ctx.table(raw, "report")
    ctx.keys(report, _REPORT, "report")
    return RunSpec(
        source=source,
        title=ctx.string(report, "title", "report") or ctx.string(raw, "title", "") or default_title,
        description=ctx.string(raw, "description", ""),
        data=data,
        truth=truth,
        formula=_formula(ctx, model),
        family=ctx.string(model, "family", "model") or "gaussian",
        link=ctx.string(model, "link", "model"),
        strategy=ctx.string(model, "strategy", "model"),
        kernels=kernels,
        priors=_priors(ctx, ctx.table(raw, "priors")),
        sampler=_sampler(ctx, ctx.table(raw, "sampler"), quick),
        labels={str(k): ctx.need(v, str, f"report.labels.{k}")
                for k, v in ctx.table(report, "labels", prefix="report").items()},
        prob=_prob(ctx, report),
        out=(base / ctx.string(report, "out", "report")) if "out" in report else None,
        raw=dict(raw),
    )


class _Context:
    """Where we are in the spec, for error messages."""

    def __init__(self, source: str, base: Path) -> None:
        self.source = source
        self.base = base

    def error(self, key: str, message: str) -> SpecFileError:
        return SpecFileError(self.source, key, message)

    def keys(self, table: Mapping[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            key = f"{where}.{unknown[0]}" if where else unknown[0]
            raise self.error(key, f"unknown key {unknown[0]!r}; allowed here: {sorted(allowed)}")

    def table(self, parent: Mapping[str, Any], name: str, *, required: bool = False,
              prefix: str = "") -> dict[str, Any]:
        key = f"{prefix}.{name}" if prefix else name
        if name not in parent:
            if required:
                raise self.error(key, f"missing table [{key}]")
            return {}
        value = parent[name]
        if not isinstance(value, Mapping):
            raise self.error(key, f"must be a table, got {type(value).__name__} {value!r}")
        return dict(value)

    def need(self, value: Any, kind: type | tuple[type, ...], key: str) -> Any:
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if not ok:
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.error(key, f"must be {names}, got {type(value).__name__} {value!r}")
        return value

    def string(self, table: Mapping[str, Any], name: str, where: str) -> str | None:
        if name not in table:
            return None
        return self.need(table[name], str, f"{where}.{name}" if where else name)

    def path(self, value: Any, key: str) -> Path:
        text = self.need(value, str, key)
        p = Path(text).expanduser()
        p = p if p.is_absolute() else self.base / p
        return p


# -- data -----------------------------------------------------------------------------------
def _load_data(ctx: _Context, table: dict[str, Any], quick: bool) -> tuple[pd.DataFrame, dict | None, dict[str, Any]]:
    ctx.keys(table, _DATA, "data")
    has_file, has_sim = "file" in table, "simulate" in table
    if has_file == has_sim:
        raise ctx.error("data", "give exactly one of 'file' (CSV, TSV or Parquet) or 'simulate' "
                                "(a bayeslmm.datasets simulator)")
    if has_file:
        for key in ("args", "quick"):
            if key in table:
                raise ctx.error(f"data.{key}", f"'{key}' only goes with 'simulate'")
        sep = ctx.string(table, "sep", "data")
        frame = _read_table(ctx, ctx.path(table["file"], "data.file"), "data.file", index=False, sep=sep)
        return frame, None, {}
    return _simulate(ctx, table, quick)


def _simulate(ctx: _Context, table: dict[str, Any], quick: bool) -> tuple[pd.DataFrame, dict | None, dict[str, Any]]:
    from . import datasets

    name = ctx.need(table["simulate"], str, "data.simulate")
    available = [n for n in datasets.__all__ if n != "load_gryphon"]
    if name not in available:
        raise ctx.error("data.simulate", f"unknown simulator {name!r}; bayeslmm.datasets has {available}")
    func = getattr(datasets, name)
    args = ctx.table(table, "args", prefix="data")
    if quick:
        args.update(ctx.table(table, "quick", prefix="data"))
    params = inspect.signature(func).parameters
    unknown = [a for a in args if a not in params]
    if unknown:
        raise ctx.error(f"data.args.{unknown[0]}", f"{name}() has no argument {unknown[0]!r}; it takes {list(params)}")
    try:
        result = func(**args)
    except (TypeError, ValueError, BayesLMMError) as err:
        raise ctx.error("data.args", f"{name}({_call_args(args)}) failed: {err}") from None
    if isinstance(result, pd.DataFrame):
        frame, objects = result, {}
    elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], pd.DataFrame):
        frame = result[0]
        objects = dict(result[1]) if isinstance(result[1], Mapping) else {"table": result[1]}
    else:
        raise ctx.error("data.simulate",
                        f"{name}() returned {type(result).__name__}, not a DataFrame or (DataFrame, dict)")
    truth = frame.attrs.get("truth")
    return frame, dict(truth) if truth else None, objects


def _call_args(args: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in args.items())


def _read_table(ctx: _Context, path: Path, key: str, *, index: bool, sep: str | None = None) -> pd.DataFrame:
    """Read CSV / TSV / TXT / Parquet; ``index=True`` makes the first column the index (ids)."""
    if not path.is_file():
        raise ctx.error(key, f"file {str(path)!r} does not exist")
    compressed = path.suffix.lower() in (".gz", ".bz2", ".zip", ".xz")
    suffix = "".join(path.suffixes[-2:]).lower() if compressed else path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
            if index and isinstance(frame.index, pd.RangeIndex):
                frame = frame.set_index(frame.columns[0])
        elif suffix.startswith((".csv", ".tsv", ".txt")):
            default_sep = "\t" if suffix.startswith(".tsv") else (r"\s+" if suffix.startswith(".txt") else ",")
            frame = pd.read_csv(path, sep=sep or default_sep, index_col=0 if index else None)
        else:
            raise ctx.error(key, f"unsupported file type {path.suffix!r} for {str(path)!r}; "
                                 "use .csv, .tsv, .txt or .parquet")
    except SpecFileError:
        raise
    except Exception as err:  # pandas raises many types; the user needs the file and the cause
        raise ctx.error(key, f"cannot read {str(path)!r}: {type(err).__name__}: {err}") from None
    if index:
        frame.index = frame.index.astype(str)
    return frame


# -- kernels ----------------------------------------------------------------------------------
def _load_kernels(ctx: _Context, table: dict[str, Any], objects: Mapping[str, Any]) -> dict[str, Any]:
    kernels: dict[str, Any] = {}
    for name, entry in table.items():
        where = f"kernels.{name}"
        if not isinstance(entry, Mapping):
            raise ctx.error(where, f"must be a table like [kernels.{name}] with one source key, got {entry!r}")
        sources = [k for k in entry if k in _KERNEL_SOURCES]
        if len(sources) != 1:
            raise ctx.error(where, f"give exactly one source among {sorted(_KERNEL_SOURCES)}, got {sources or 'none'}")
        source = sources[0]
        ctx.keys(entry, _KERNEL_SOURCES[source] | {source}, where)
        options = {k: v for k, v in entry.items() if k != source}
        try:
            kernels[name] = _build_kernel(ctx, name, source, entry[source], options, objects, kernels)
        except SpecFileError:
            raise
        except (BayesLMMError, TypeError, ValueError) as err:  # a builder rejected a value of this table
            raise ctx.error(f"{where}.{source}", f"{type(err).__name__}: {err}") from None
    return kernels


def _object(ctx: _Context, value: Any, key: str, objects: Mapping[str, Any], *, index: bool) -> Any:
    """``"@name"``: an object the simulator returned; otherwise a file relative to the spec."""
    text = ctx.need(value, str, key)
    if text.startswith("@"):
        if text[1:] not in objects:
            raise ctx.error(key, f"{text!r} names no simulator output; "
                                 f"the simulator returned {sorted(objects) or 'none'}")
        return objects[text[1:]]
    return _read_table(ctx, ctx.path(text, key), key, index=index)


def _build_kernel(ctx: _Context, name: str, source: str, value: Any, options: dict[str, Any],
                  objects: Mapping[str, Any], built: Mapping[str, Any]) -> Any:
    from . import kernels as K

    key = f"kernels.{name}.{source}"
    if source == "simulated":
        text = ctx.need(value, str, key)
        kernel = objects.get(text)
        if not isinstance(kernel, K.Kernel):
            kernels_made = sorted(k for k, v in objects.items() if isinstance(v, K.Kernel))
            raise ctx.error(key, f"the simulator returned no kernel {text!r}; its kernels are {kernels_made or 'none'}")
        return kernel.with_name(name)
    if source == "genotypes":
        return K.grm(_object(ctx, value, key, objects, index=True), name=name, **options)
    if source == "plink":
        prefix = ctx.path(value, key)
        return K.grm(str(prefix), name=name, **options)
    if source == "pedigree":
        ped = _object(ctx, value, key, objects, index=False)
        return K.pedigree(ped, name=name, **options)
    if source == "abundance":
        return K.microbiome(_object(ctx, value, key, objects, index=True), name=name, **options)
    if source == "methylation":
        return K.methylation(_object(ctx, value, key, objects, index=True), name=name, **options)
    if source == "matrix":
        path = ctx.path(value, key)
        if "ids" in options:
            options["ids"] = str(ctx.path(options["ids"], f"kernels.{name}.ids"))
        return K.read_matrix(path, name=name, **options)
    pair = ctx.need(value, list, key)
    if len(pair) != 2 or not all(isinstance(v, str) for v in pair):
        raise ctx.error(key, f"must list two kernel names defined above, e.g. [\"G\", \"G\"]; got {pair!r}")
    missing = [v for v in pair if v not in built]
    if missing:
        raise ctx.error(key, f"kernel {missing[0]!r} is not defined before [kernels.{name}]; defined: {sorted(built)}")
    return K.hadamard(built[pair[0]], built[pair[1]], name=name, **options)


# -- model, priors, sampler --------------------------------------------------------------------
def _formula(ctx: _Context, model: Mapping[str, Any]) -> str | list[str]:
    if "formula" not in model:
        raise ctx.error("model.formula", "missing; e.g. formula = \"y ~ x + (1 | g)\"")
    value = model["formula"]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return ctx.need(value, str, "model.formula")


def _priors(ctx: _Context, table: Mapping[str, Any]) -> dict[str, Any]:
    from .spec.priors import Prior

    out: dict[str, Any] = {}
    for name, value in table.items():
        key = f"priors.{name}"
        if not isinstance(value, Mapping):
            raise ctx.error(key, f"must be a table like {{ dist = \"Normal\", mu = 0, sigma = 1 }}, got {value!r}")
        value = dict(value)
        if "dist" not in value:
            if name != "proportions":
                raise ctx.error(key, "needs a 'dist' (Normal, HalfNormal, HalfStudentT, Exponential, Gamma, "
                                     "StudentT, HalfCauchy, Dirichlet, LKJ)")
            for comp, conc in value.items():
                ctx.need(conc, (int, float), f"{key}.{comp}")
            out[name] = {str(k): float(v) for k, v in value.items()}
            continue
        dist = ctx.need(value.pop("dist"), str, f"{key}.dist")
        try:
            out[name] = Prior(dist, why=f"spec file [priors] {name}", **value)
        except PriorError as err:
            raise ctx.error(key, str(err)) from None
    return out


def _sampler(ctx: _Context, table: Mapping[str, Any], quick: bool) -> dict[str, Any]:
    from .inference import SAMPLERS

    ctx.keys(table, _SAMPLER, "sampler")
    settings: dict[str, Any] = {"draws": 1000, "tune": 1000, "chains": 4, "seed": None, "sampler": "auto",
                                "target_accept": None, "cores": None}
    for name in ("draws", "tune", "chains", "cores", "seed"):
        if name in table:
            value = ctx.need(table[name], int, f"sampler.{name}")
            low = 0 if name in ("tune", "seed") else 1
            if value < low:
                raise ctx.error(f"sampler.{name}", f"must be an integer >= {low}, got {value}")
            settings[name] = value
    if "sampler" in table:
        value = ctx.need(table["sampler"], str, "sampler.sampler")
        if value not in SAMPLERS:
            raise ctx.error("sampler.sampler", f"must be one of {list(SAMPLERS)}, got {value!r}")
        settings["sampler"] = value
    if "target_accept" in table:
        value = float(ctx.need(table["target_accept"], (int, float), "sampler.target_accept"))
        if not 0 < value < 1:
            raise ctx.error("sampler.target_accept", f"must be between 0 and 1, got {value}")
        settings["target_accept"] = value
    if quick:
        settings.update(QUICK_SAMPLER)
    return settings


def _prob(ctx: _Context, report: Mapping[str, Any]) -> float:
    if "prob" not in report:
        return 0.94
    value = float(ctx.need(report["prob"], (int, float), "report.prob"))
    if not 0 < value < 1:
        raise ctx.error("report.prob", f"must be between 0 and 1, got {value}")
    return value
