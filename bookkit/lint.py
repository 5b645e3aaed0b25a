"""Ruff over the code cells of MyST chapters: `python -m bookkit.lint [FILE.md...]`.

Ruff reads Jupyter notebooks natively, so each chapter's code cells are handed to it as an
`.ipynb` on stdin, named after the chapter (the per-file ignores in pyproject.toml apply). Every
finding is reported at its line in the `.md` file, so an editor can jump to it. Both checks run:
`ruff check` and `ruff format --check` (with the diff that formatting would apply); `--fix` first
formats the code cells in place, leaving the rest of the file as it is. Files without
code cells are skipped; with no file named, every page in book/ and templates/ is checked. The
pre-commit hooks, and so the test command, run this module.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat

FENCE = re.compile(r"^(`{3,}|~{3,})\{code-cell\}")
# Ruff names a place in a notebook `<file>:cell <n>[:<line>]`, counting cells from 1.
PLACE = re.compile(r"(?P<file>\S+)\.ipynb:cell (?P<cell>\d+)(?::(?P<line>\d+))?")


def first_lines(markdown: str) -> list[int]:
    """The line number (from 1) of the first source line of each code cell, in order: the line
    after the ```{code-cell} fence and its options (`:key: value` lines or a `---` YAML block)."""
    lines = markdown.splitlines()
    starts, i = [], 0
    while i < len(lines):
        if FENCE.match(lines[i]):
            i += 1
            if i < len(lines) and lines[i].strip() == "---":
                i += 1
                while i < len(lines) and lines[i].strip() != "---":
                    i += 1
                i += 1
            else:
                while i < len(lines) and lines[i].startswith(":"):
                    i += 1
            starts.append(i + 1)
        i += 1
    return starts


def lint(path: Path, ruff: str) -> tuple[bool, str]:
    """Run both checks on one chapter; return whether it is clean, and ruff's report on it."""
    text = path.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="md:myst")
    notebook.cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if not notebook.cells:
        return True, ""
    starts = first_lines(text)
    # an unusual fence: report by cell number instead
    if len(starts) != len(notebook.cells):
        starts = []

    def place(match: re.Match) -> str:
        cell, line = int(match["cell"]), int(match["line"] or 1)
        if not starts:
            return f"{match['file']}.md:code cell {cell}" + (
                f":{line}" if match["line"] else ""
            )
        return f"{match['file']}.md:{starts[cell - 1] + line - 1}"

    source = nbformat.writes(notebook)
    name = path.with_suffix(".ipynb").as_posix()
    report, clean = [], True
    for command in (
        # E501 too: a chapter's code must fit the page's code column (88 characters)
        ["check", "--extend-select", "E501", "--output-format", "concise", "--no-fix"],
        ["format", "--check", "--diff"],
    ):
        result = subprocess.run(
            [ruff, *command, "--stdin-filename", name, "-"],
            input=source,
            capture_output=True,
            text=True,
        )
        clean &= result.returncode == 0
        if result.returncode != 0:
            report += [
                PLACE.sub(place, line)
                for line in findings(result.stdout + result.stderr)
            ]
    return clean, "\n".join(report)


def fix(path: Path, ruff: str) -> bool:
    """Format the chapter's code cells in place with `ruff format`, touching nothing else in the
    file (front matter, fences and cell options keep their layout). Return whether it changed."""
    text = path.read_text(encoding="utf-8")
    notebook = jupytext.reads(text, fmt="md:myst")
    notebook.cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    starts = first_lines(text)
    if not notebook.cells or len(starts) != len(notebook.cells):
        return False
    result = subprocess.run(
        [
            ruff,
            "format",
            "--stdin-filename",
            path.with_suffix(".ipynb").as_posix(),
            "-",
        ],
        input=nbformat.writes(notebook),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return False  # a syntax error: the check reports it
    formatted = nbformat.reads(result.stdout, as_version=4).cells
    lines = text.splitlines()
    for start, old, new in reversed(
        list(zip(starts, notebook.cells, formatted, strict=True))
    ):
        count = len(old.source.splitlines())
        lines[start - 1 : start - 1 + count] = new.source.splitlines()
    fixed = "\n".join(lines) + ("\n" if text.endswith("\n") else "")
    if fixed != text:
        path.write_text(fixed, encoding="utf-8")
    return fixed != text


def findings(output: str) -> list[str]:
    """Ruff's report without its summary lines and without the diff headers of unchanged cells."""
    lines = [
        line
        for line in output.splitlines()
        if line
        and not line.startswith(("Found ", "[*] ", "No fixes", "would reformat"))
    ]
    kept, i = [], 0
    while i < len(lines):
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if lines[i].startswith("--- ") and following.startswith("+++ "):
            if i + 2 < len(lines) and lines[i + 2].startswith("@@"):
                kept += lines[i : i + 2]
            i += 2
        else:
            kept.append(lines[i])
            i += 1
    return kept


def main(paths: list[str]) -> int:
    fixing = "--fix" in paths
    paths = [p for p in paths if p != "--fix"]
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which(
        "ruff"
    )
    if ruff is None:
        print(
            "error: ruff is not installed: run python3 tasks.py setup", file=sys.stderr
        )
        return 2
    failed = []
    for name in paths or sorted(
        str(p) for d in ("book", "templates") for p in Path(d).glob("*.md")
    ):
        if fixing and fix(Path(name), ruff):
            print(f"formatted the code cells of {name}")
        clean, report = lint(Path(name), ruff)
        if not clean:
            failed.append(name)
            print(report)
    if failed:
        print(
            f"ruff found problems in the code cells of {len(failed)} chapter(s); fix them by hand"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
