"""mkdocs hook: the examples gallery, generated from the jupytext scripts in examples/.

Each ``examples/NN_name.py`` (percent format) becomes ``examples/name.md``: markdown
cells as they are, code cells as Python blocks, the settings cell folded, and after each
cell that calls ``save(fig, "x")`` the figure ``examples/figures/name_x.png`` when it
exists (``BAYESLMM_EXAMPLE_FIGURES=1 python examples/NN_name.py`` writes them). The
"Examples" entry of the nav is filled with the generated pages.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIGURES = EXAMPLES / "figures"
_CELL = re.compile(r"^# %%(.*)$", re.M)
_SAVE = re.compile(r'^save\(.*, "(\w+)"\)\s*$', re.M)


def _scripts() -> list[Path]:
    return sorted(EXAMPLES.glob("[0-9][0-9]_*.py"))


def _name(script: Path) -> str:
    return script.stem.split("_", 1)[1]


def _cells(text: str) -> list[tuple[str, str]]:
    """(kind, source) of each percent cell; the jupytext front matter is dropped."""
    marks = list(_CELL.finditer(text))
    cells = []
    for i, m in enumerate(marks):
        body = text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)].strip("\n")
        kind = "markdown" if "[markdown]" in m.group(1) else "code"
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in body.splitlines())
        cells.append((kind, body.rstrip()))
    return cells


def _title(script: Path) -> str:
    first = _cells(script.read_text())[0][1].splitlines()[0]
    return first.lstrip("# ").strip()


def render(script: Path) -> str:
    """The markdown page of one example script."""
    name = _name(script)
    out = []
    for kind, body in _cells(script.read_text()):
        if kind == "markdown":
            out.append(body)
            continue
        if not body.strip():
            continue
        if "BAYESLMM_EXAMPLE_DRAWS" in body:
            indented = "\n".join("    " + line if line else "" for line in body.splitlines())
            out.append('??? note "Imports and settings"\n\n    ```python\n' + indented + "\n    ```")
            continue
        out.append("```python\n" + body + "\n```")
        for fig in _SAVE.findall(body):
            png = FIGURES / f"{name}_{fig}.png"
            if png.exists():
                out.append(f"![{name}: {fig}](figures/{png.name})")
    source = f"`examples/{script.name}`"
    out.append(f"---\n\nRun it: `python examples/{script.name}` (a script) or open {source} as a notebook "
               "with jupytext. `BAYESLMM_EXAMPLE_DRAWS=200` runs it quickly.")
    return "\n\n".join(out) + "\n"


def _index() -> str:
    rows = ["# Examples", "",
            "Worked examples, one per application: each states the question, simulates data with a "
            "documented truth (or reads public data), fits the model, checks the headline number "
            "against the truth and says what to conclude. Every example runs in the test suite.", ""]
    for script in _scripts():
        head = _cells(script.read_text())[0][1]
        question = re.search(r"\*\*Questions?\.\*\*(.*?)(?:\n\n|$)", head, re.S)
        summary = " ".join(question.group(1).split()) if question else ""
        rows.append(f"- [{_title(script)}]({_name(script)}.md): {summary}")
    return "\n".join(rows) + "\n"


def on_config(config, **kwargs):
    pages = [{"Overview": "examples/index.md"}] + [{_title(s): f"examples/{_name(s)}.md"} for s in _scripts()]
    for item in config["nav"]:
        if isinstance(item, dict) and "Examples" in item:
            item["Examples"] = pages
    return config


def on_files(files, config, **kwargs):
    files.append(File.generated(config, "examples/index.md", content=_index()))
    for script in _scripts():
        files.append(File.generated(config, f"examples/{_name(script)}.md", content=render(script)))
    if FIGURES.exists():
        for png in sorted(FIGURES.glob("*.png")):
            files.append(File.generated(config, f"examples/figures/{png.name}", abs_src_path=str(png)))
    return files
