"""Project-wide test fixtures: where the shared reference data live.

The reference data (gryphon pedigree, ...) may not be copied into the repository
(DESIGN.md section 7); they sit in ``../shared/data`` next to the repository root. Tests that
need them take the ``shared_data`` fixture (the folder) or ``shared_file`` (one file) and are
skipped with a message naming the missing path where the data are absent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # model_values under --import-mode=importlib

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest -n 2 on 2 cores: one BLAS thread per worker. Two OpenBLAS threads per worker on
    # shared cores made dense linear algebra up to 17x slower (measured in tests/criteria).
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder ``../shared/data`` (relative to the repository root); skip if absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared reference data folder not found at {SHARED_DATA} (expected ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_file(shared_data: Path) -> Callable[[str], Path]:
    """A function ``name -> Path`` of a file in ``../shared/data`` that skips if it is absent."""

    def get(name: str) -> Path:
        path = shared_data / name
        if not path.is_file():
            pytest.skip(f"shared reference file {name!r} not found at {path}")
        return path

    return get
