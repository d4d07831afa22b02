"""Every module of the package compiles without warnings (an invalid escape such as ``\\s``
in a docstring warns on Python 3.11 and will be an error in later Pythons)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bayeslmm"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_compiles_without_warnings(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)
        warnings.simplefilter("error", DeprecationWarning)
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
