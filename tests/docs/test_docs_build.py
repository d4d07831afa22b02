"""The documentation site builds with warnings as errors, gallery included."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _missing() -> list[str]:
    return [m for m in ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")
            if importlib.util.find_spec(m.split(".")[0]) is None
            or (m == "mkdocstrings_handlers.python" and importlib.util.find_spec("mkdocstrings_handlers") is None)]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    missing = _missing()
    if missing:
        pytest.skip(f"docs toolchain not installed ({', '.join(missing)}): pip install 'bayeslmm[docs]'")
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env={**__import__("os").environ,
                                                                            "NO_MKDOCS_2_WARNING": "1"})
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return out


def test_site_builds_strict(site: Path) -> None:
    for page in ("index.html", "getting-started/index.html", "guide/strategies/index.html",
                 "coming-from/gcta/index.html", "api/model/index.html", "benchmarks/index.html"):
        assert (site / page).exists(), page


def test_gallery_has_every_example(site: Path) -> None:
    scripts = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))
    index = (site / "examples" / "index.html").read_text()
    for script in scripts:
        name = script.stem.split("_", 1)[1]
        page = site / "examples" / name / "index.html"
        assert page.exists(), f"no gallery page for {script.name}"
        assert f'href="{name}/' in index, f"{name} missing from the gallery index"
        assert "What to conclude" in page.read_text()


def test_api_reference_renders_docstrings(site: Path) -> None:
    text = (site / "api" / "kernels" / "index.html").read_text()
    assert "parent_of_origin" in text and "gametic" in text
    assert "Model" in (site / "api" / "model" / "index.html").read_text()


def test_gallery_renderer_folds_settings_and_links_figures(tmp_path: Path, monkeypatch) -> None:
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        gallery = importlib.import_module("gallery")
    finally:
        sys.path.pop(0)
    script = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))[0]
    name = script.stem.split("_", 1)[1]
    figure = gallery._SAVE.findall(script.read_text())[0]
    monkeypatch.setattr(gallery, "FIGURES", tmp_path)
    assert f"figures/{name}_{figure}.png" not in gallery.render(script)  # no PNG, no link
    (tmp_path / f"{name}_{figure}.png").write_bytes(b"png")
    md = gallery.render(script)
    assert f"](figures/{name}_{figure}.png)" in md
    assert '??? note "Imports and settings"' in md
    assert md.startswith("# ") and "```python" in md and "# %%" not in md
