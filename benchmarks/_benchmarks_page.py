"""Shared by the benchmark scripts: the machine's CPU name and writing one section of
docs/benchmarks.md (the scripts run as ``python benchmarks/bench_x.py``, so this module is
importable from their folder)."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def cpu_model() -> str:
    """The CPU's model name from ``lscpu`` (``platform.processor()`` where that fails)."""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown CPU"
    for line in text.splitlines():
        if line.startswith("Model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def write_section(heading: str, block: str, doc: Path = DOC) -> None:
    """Replace the section that starts at ``heading`` (up to the next ``## ``) with ``block``,
    which starts with the heading itself; append it when the page has no such section."""
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    block = block.rstrip("\n") + "\n"
    if heading in text:
        start = text.index(heading)
        nxt = text.find("\n## ", start + len(heading))
        text = text[:start] + block + ("\n" + text[nxt + 1:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
