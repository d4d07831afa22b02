"""Session-scoped fits shared by the Fit API tests (one nutpie compile per worker)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslmm as bl
from bayeslmm.results.diagnostics import SamplingWarning

API_FORMULA = "Reaction ~ Days + grp + (Days | Subject)"


@pytest.fixture(scope="session")
def api_data() -> pd.DataFrame:
    """sleepstudy-like data with a two-level covariate and three rows with missing values."""
    df = bl.datasets.sleepstudy_like(seed=2)
    df["grp"] = np.where(np.arange(len(df)) % 2 == 0, "a", "b")
    df.loc[[5, 6], "Reaction"] = np.nan
    df.loc[40, "grp"] = None
    return df


@pytest.fixture(scope="session")
def api_fit(api_data: pd.DataFrame) -> bl.Fit:
    """``Reaction ~ Days + grp + (Days | Subject)``: 2 chains x 500 draws, seed 11.

    Enough draws for means and 94% intervals to be stable to a few percent, which is all the
    API tests compare; accuracy is checked in the validation tests.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.DroppedRowsWarning)
        model = bl.Model(API_FORMULA, api_data)
    with warnings.catch_warnings():
        # 2 x 500 draws can leave an r_hat a little above 1.01; the API tests do not need more
        warnings.simplefilter("ignore", SamplingWarning)
        return model.fit(draws=500, tune=500, chains=2, seed=11, progress=False)
