"""What the tests need to know about the book: its pages, its chapters and their cells."""

import copy
import re
from functools import cache
from pathlib import Path

import jupytext

from bookkit import book
from bookkit.paths import ROOT

TEMPLATE = ROOT / "templates" / "chapter.md"
# The front matter of a MyST notebook, for the small pages that tests write.
MYST_HEADER = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
"""
DEVICE_LINE = (
    "accelerator = torch.accelerator.current_accelerator(check_available=True)\n"
    'device = accelerator or torch.device("cpu")'
)
ENVIRONMENT_LINE = 'print(f"torch {torch.__version__}, running on {device}")'  # read by the status page


@cache
def toc_entries() -> tuple[str, ...]:
    """Every page named in _toc.yml, root first, as written there (no suffix)."""
    return tuple(book.toc_entries(ROOT))


def page_path(entry: str) -> Path:
    return ROOT / f"{entry}.md"


def chapters() -> list[Path]:
    """The toc's notebooks (tests/tooling/test_harness.py checks that nbval collects them)."""
    return book.chapters(ROOT)


def chapter_id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def _parse(path: Path):
    return jupytext.read(path, fmt="md:myst")


def read_notebook(path: Path):
    """The chapter as jupytext reads it: parsed once per test process, a fresh copy each call."""
    return copy.deepcopy(_parse(path))


def code_cells(path: Path) -> list:
    return [c for c in read_notebook(path).cells if c.cell_type == "code"]


def tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


def glued_names(path: Path) -> set[str]:
    """Names passed to glue("name", ...) in the code cells."""
    code = "\n".join(c.source for c in code_cells(path))
    return set(re.findall(r"""\bglue\(\s*["'](\w+)["']""", code))


def glue_references(path: Path) -> set[str]:
    """Names used in the prose by {glue:...}`name` roles and ```{glue:md} name directives."""
    return set(
        re.findall(r"\{glue(?::\w+)?\}(?:`|\s+)(\w+)", path.read_text(encoding="utf-8"))
    )
