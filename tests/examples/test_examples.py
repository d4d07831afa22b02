"""Every worked example runs as a script with reduced draws and passes its truth check.

Each example raises ``RuntimeError`` when its headline number misses the simulation's truth
(or the published reference), so a zero exit status is the check. Examples run in a
subprocess, with single-threaded BLAS (several examples share two cores under
``pytest -n 2``) and 200 draws x 2 chains (``BAYESLMM_EXAMPLE_DRAWS``,
``BAYESLMM_EXAMPLE_CHAINS``). The seeds in the scripts are fixed; the truth checks use
94% intervals, so a failure at a fixed seed is a regression, not bad luck, unless the
sampler itself changed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))
GRYPHON = ROOT.parent / "shared" / "data" / "gryphon.csv"

# One example per application of the background chapters (issue 10).
APPLICATIONS = {
    "longitudinal_trial", "individual_monitoring", "rater_reliability", "nested_pdx", "single_trial_eeg",
    "practice_effect", "students_in_classrooms", "dyadic_actor_partner", "gryphon_animal_model",
    "genomic_heritability_gwas", "microbiability", "methylation", "epistasis", "gxe_reaction_norms",
    "liability_heritability", "songbird_glmm", "peptide_protein_quantification", "spatial_species_abundance",
    "cross_lagged_panel", "time_varying_eqtl", "parent_of_origin",
}


def _name(path: Path) -> str:
    return path.stem.split("_", 1)[1]


def test_every_application_has_an_example() -> None:
    assert {_name(p) for p in EXAMPLES} == APPLICATIONS


@pytest.mark.parametrize("script", EXAMPLES, ids=_name)
def test_example_structure(script: Path) -> None:
    """Percent-format cells; question, data, model and conclusion stated; reduced-draw hook."""
    text = script.read_text()
    assert text.count("# %% [markdown]") >= 3, "needs markdown cells (# %% [markdown])"
    head = text.split("# %%\n", 1)[0]
    for word in ("**Question.**", "**Data.**", "**Model"):
        assert word in head, f"the first markdown cell should state {word}"
    assert "## What to conclude" in text
    assert 'os.environ.get("BAYESLMM_EXAMPLE_DRAWS"' in text
    assert "raise RuntimeError" in text, "the example must check its headline number against the truth"
    saves = re.findall(r'^save\(.*, "(\w+)"\)\s*$', text, re.M)
    assert saves, "the example should produce at least one figure"
    assert len(saves) == len(set(saves)), f"figure names repeat: {saves}"


def test_examples_open_as_notebooks() -> None:
    jupytext = pytest.importorskip("jupytext", reason="jupytext is not installed (pip install 'bayeslmm[docs]')")
    for script in EXAMPLES:
        nb = jupytext.read(script)
        kinds = [c.cell_type for c in nb.cells]
        assert kinds[0] == "markdown" and "code" in kinds, script.name


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=_name)
def test_example_runs_and_recovers_truth(script: Path, tmp_path: Path) -> None:
    if "load_gryphon" in script.read_text() and not GRYPHON.exists():
        pytest.skip(f"gryphon data not found at {GRYPHON}")
    env = dict(os.environ)
    env.update({"BAYESLMM_EXAMPLE_DRAWS": "200", "BAYESLMM_EXAMPLE_CHAINS": "2", "MPLBACKEND": "Agg",
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    env.pop("BAYESLMM_EXAMPLE_FIGURES", None)
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"{script.name} exited with {proc.returncode}:\n{proc.stderr[-5000:]}")
