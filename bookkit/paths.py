"""Where everything is: the repository, the environment and _build/. Standard library only, so
that tasks.py can import it before the environment exists."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
HTML = BUILD / "html"
# a render that failed, kept beside the last good one in HTML for its reports
FAILED_HTML = BUILD / "html-failed"
DOCTREES = BUILD / ".doctrees"  # Sphinx environment: targets for the export
REPORTS = HTML / "reports"  # myst-nb's logs of notebooks that failed to execute
NOTEBOOKS = BUILD / "notebooks"  # the exported notebooks that the Colab buttons open
# myst-nb's execution cache (_config.yml: execute.cache)
CACHE = BUILD / ".jupyter_cache"
# each page's cache record at the last good render
RENDERED = BUILD / ".nnbook-rendered.json"
# the last render gave warnings: re-read every page
RENDER_FAILED = BUILD / ".nnbook-render-failed"
# each chapter's last run, split into kernel start, imports, the rest
TIMINGS = BUILD / "timings"
BENCH = BUILD / "bench"
BROWSER_TESTS = ROOT / "tests" / "browser"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path(os.environ.get("NNBOOK_CHROMIUM", "/usr/bin/chromium"))


def under(root: Path, path: Path) -> Path:
    """Where `path` (one of the paths above) lies in the book at `root`, which the tests set to a
    small book of their own: `under(tmp, CACHE)` is tmp/_build/.jupyter_cache."""
    return root / path.relative_to(ROOT)


def digest(*paths: Path, extra: str = "") -> str:
    """A hash of `extra` and the named files' contents (a missing file counts as empty)."""
    sha = hashlib.sha256(extra.encode())
    for path in paths:
        if path.is_file():
            sha.update(path.read_bytes())
    return sha.hexdigest()


class Stamp:
    """A file that remembers the hash of some inputs, so that work is skipped while they are
    unchanged: `if not stamp.matches(h): work(); stamp.write(h)`."""

    def __init__(self, path: Path):
        self.path = path

    def matches(self, value: str) -> bool:
        return self.path.is_file() and self.path.read_text().strip() == value

    def write(self, value: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(value + "\n")
