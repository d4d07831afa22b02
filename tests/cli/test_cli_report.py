"""The HTML report: read it back and check its sections, tables and embedded figures; take a
screenshot in headless Chromium where it is installed."""

from __future__ import annotations

import base64
import html
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayeslmm.results.report import SECTIONS

pytestmark = pytest.mark.slow

PNG = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Collects section ids, headings, figure names and image payloads."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.h2: list[str] = []
        self.figures: list[str] = []
        self.missing_figures: list[str] = []
        self.images: list[str] = []
        self.tables = 0
        self.external: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id", ""))
        elif tag == "h2":
            self._in_h2 = True
            self.h2.append("")
        elif tag == "figure":
            (self.missing_figures if "missing" in (a.get("class") or "") else self.figures).append(a.get("data-figure"))
        elif tag == "img":
            self.images.append(a.get("src", ""))
        elif tag == "table":
            self.tables += 1
        elif tag in ("link", "script") and (a.get("href") or a.get("src")):
            self.external.append(a.get("href") or a.get("src"))

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        if self._in_h2:
            self.h2[-1] += data


@pytest.fixture(scope="module")
def page(small_report):
    parser = _Page()
    parser.feed(Path(small_report).read_text(encoding="utf-8"))
    return parser


def test_sections_in_order(page):
    assert page.sections == list(SECTIONS)
    assert page.h2 == list(SECTIONS.values())


def test_figures_are_embedded_pngs(page):
    expected = {"variance", "proportions", "trace", "rank", "ppc", "caterpillar_0_0", "caterpillar_0_1",
                "shrinkage_0", "correlation_0"}
    assert page.missing_figures == []
    assert set(page.figures) == expected
    assert len(page.images) == len(expected)
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG
    assert page.external == []  # self-contained: no stylesheet, script or image fetched


def test_report_text(small_report, small_fit):
    text = Path(small_report).read_text(encoding="utf-8")
    needles = ("Reaction ~ Days + (Days | Subject)", "gaussian (link identity)", small_fit.strategy.reason,
               "<th>rows used</th><td>96</td>", "<th>rows dropped</th><td>none</td>", "Simulation truth",
               "Normal(mu=", "Dirichlet", "R-hat")
    for needle in needles:
        assert needle in text, needle
    assert ("elpd" in text) or ("LOO not available" in text)


def test_summary_csv_and_posterior(small_report, small_fit):
    import bayeslmm as bl

    out = Path(small_report).parent
    csv = pd.read_csv(out / "summary.csv", index_col=0)
    expected = small_fit.summary()
    assert list(csv.index) == list(expected.index)
    np.testing.assert_allclose(csv["mean"].to_numpy(), expected["mean"].to_numpy(), rtol=1e-9)
    loaded = bl.load(str(out / "posterior.nc"))
    np.testing.assert_allclose(loaded.fixed_effects()["mean"], small_fit.fixed_effects()["mean"], rtol=1e-12)
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == sorted(
        f"{name}.png" for name in _figures_of(small_report))


def _figures_of(path) -> list[str]:
    parser = _Page()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser.figures


def test_diagnostic_verdicts_follow_the_checks(small_report, small_fit):
    text = Path(small_report).read_text(encoding="utf-8")
    if small_fit.ok:
        assert "All sampling checks pass" in text
    else:
        assert "sampling check(s) failed" in text
        for problem in small_fit.diagnostics().problems:
            assert html.escape(problem) in text


CHROMIUM = next((c for c in ("chromium", "chromium-browser", "google-chrome") if shutil.which(c)), None)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install chromium)")
def test_screenshot_in_headless_chromium(small_report, tmp_path):
    shot = tmp_path / "report.png"
    profile = tmp_path / "profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", "--hide-scrollbars", "--window-size=1200,2400",
           f"--screenshot={shot}", Path(small_report).resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    assert shot.is_file(), "Chromium wrote no screenshot"
    from matplotlib.image import imread

    img = imread(shot)
    assert img.shape[:2] == (2400, 1200)
    # a rendered page has text, tables and figures: many distinct grey levels, not a blank canvas
    grey = img[..., :3].mean(axis=2)
    assert grey.std() > 0.05
    assert np.unique(np.round(grey, 2)).size > 20
