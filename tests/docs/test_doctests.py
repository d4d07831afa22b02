"""Docstring examples run as doctests, and every public function and class has one.

The same examples run with ``python -m pytest --doctest-modules bayeslmm``; this file runs
them module by module inside the normal suite (examples that would sample a model are
marked ``# doctest: +SKIP``).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
from pathlib import Path

import matplotlib
import pytest

import bayeslmm

matplotlib.use("Agg")

PACKAGE = Path(bayeslmm.__file__).parent
# every module file, also in folders without __init__.py (namespace packages, which
# pkgutil.walk_packages skips)
MODULES = sorted(
    ".".join(("bayeslmm",) + p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
    for p in PACKAGE.rglob("*.py")
)
PUBLIC = ("bayeslmm", "bayeslmm.kernels", "bayeslmm.datasets", "bayeslmm.gwas", "bayeslmm.transforms")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


def _public_objects() -> list[tuple[str, object]]:
    out = []
    for modname in PUBLIC:
        module = importlib.import_module(modname)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if inspect.isclass(obj) and issubclass(obj, (BaseException, Warning)):
                continue  # error and warning classes are documented by their messages
            if inspect.isfunction(obj) or inspect.isclass(obj):
                out.append((f"{modname}.{attr}", obj))
    return out


@pytest.mark.parametrize("qualname,obj", _public_objects(), ids=[q for q, _ in _public_objects()])
def test_public_api_has_a_docstring_example(qualname: str, obj: object) -> None:
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{qualname} has no docstring"
    assert ">>>" in doc, f"{qualname}: add an Examples section with a doctest to its docstring"
