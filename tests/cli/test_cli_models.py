"""Every spec of the models/ catalogue runs end to end in quick mode and writes its report;
so does ``bayeslmm demo --quick``.

Quick mode (small simulated data, 2 chains x 200 draws) checks that each application runs
and reports, not that it recovers its truth: recovery is tested with longer chains elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bayeslmm.cli import main
from bayeslmm.results.report import SECTIONS

pytestmark = pytest.mark.slow

MODELS = sorted((Path(__file__).resolve().parents[2] / "models").glob("*.toml"))

EXPECTED = {  # catalogue entries the background chapters ask for
    "longitudinal_trial", "rater_reliability", "nested_experiment", "animal_model", "heritability",
    "microbiability", "methylation", "epistasis", "gxe_reaction_norms", "heteroscedastic", "binary_trait",
}


def test_catalogue_is_complete():
    assert {p.stem for p in MODELS} == EXPECTED


def _check_report(out: Path) -> str:
    html = (out / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in html
    assert 'class="missing" data-figure' not in html, "a figure could not be drawn"
    assert html.count("data:image/png;base64,") >= 6
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert {"mean", "lower", "upper", "r_hat"} <= set(summary.columns) and len(summary) > 1
    assert (out / "posterior.nc").stat().st_size > 0
    return html


@pytest.mark.parametrize("spec", MODELS, ids=lambda p: p.stem)
def test_catalogue_spec_fits_and_reports(spec, tmp_path, capsys):
    out = tmp_path / spec.stem
    assert main(["fit", str(spec), "--out", str(out), "--quick", "--no-progress"]) == 0
    html = _check_report(out)
    assert (out / "spec.toml").read_text() == spec.read_text()
    assert "Simulation truth" in html
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out


def test_demo_quick(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quick", "--no-progress"]) == 0
    html = _check_report(out)
    assert "h²" in html and "m²" in html
    assert "1|gr(id, cov=G)" in capsys.readouterr().out
