import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers_families import simulate  # noqa: E402


@pytest.fixture(scope="session")
def sim():
    """Every family's response on 60 rows with a 6-level factor and a 60-id GRM."""
    return simulate()
