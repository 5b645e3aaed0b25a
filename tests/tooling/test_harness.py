"""The test harness itself: bookkit.pytest_plugin collects MyST chapters, and failures are caught.

A suite that silently collects nothing, or that passes a broken notebook, would make every other
chapter test meaningless. These tests run pytest and jupyter-book on small fixture notebooks.
"""

import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from bookkit.book import DEFAULT_BUDGET_SECONDS, book_config, is_myst_notebook
from bookkit.paths import ROOT
from bookkit.pytest_plugin import CELL_TIMEOUT_FACTOR, cell_timeout
from tests.booklib import (
    MYST_HEADER,
    chapter_id,
    chapters,
    code_cells,
    read_notebook,
    tags,
)

FIXTURES = Path(__file__).parent / "fixtures"


def run_pytest(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run pytest in a subprocess from the repo root, so that pyproject.toml (and so the plugin)
    applies."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_only_myst_notebooks_are_collected():
    assert is_myst_notebook(FIXTURES / "passing.md")
    assert not is_myst_notebook(ROOT / "book" / "intro.md"), (
        "a page without code is not a notebook"
    )
    assert not is_myst_notebook(ROOT / "README.md")


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """One pytest run over the three fixture notebooks: its output, and each cell's outcome by
    `<notebook>::Cell <n>`."""
    report = tmp_path_factory.mktemp("harness") / "report.xml"
    names = ("passing.md", "broken.md", "false_claim.md")
    result = run_pytest(
        f"--junitxml={report}", *(str(FIXTURES / name) for name in names)
    )
    assert result.returncode == 1, (
        "two of the three fixtures must fail\n" + result.stdout
    )
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        # tests.tooling.fixtures.<name>.md
        notebook = case.get("classname").split(".")[-2]
        failed = [c for c in case if c.tag in ("failure", "error", "skipped")]
        outcomes[f"{notebook}::{case.get('name')}"] = (
            failed[0].tag if failed else "passed"
        )
    return result.stdout, outcomes


@pytest.mark.expected_seconds(4)  # a pytest run in a subprocess
@pytest.mark.xdist_group("fixture-notebooks")  # one worker, so the fixture runs once
class TestFixtureNotebooks:
    """One notebook passes and two fail."""

    def test_a_passing_notebook_passes(self, fixture_run):
        _, outcomes = fixture_run
        cells = {
            cell: outcome
            for cell, outcome in outcomes.items()
            if cell.startswith("passing::")
        }
        assert sorted(cells.values()) == ["passed", "passed", "skipped"], (
            f"two cells run, the nbval-skip cell is skipped: {cells}"
        )

    def test_a_broken_cell_fails_and_is_named(self, fixture_run):
        stdout, outcomes = fixture_run
        assert outcomes["broken::Cell 1"] == "failure", outcomes
        assert "FAILED tests/tooling/fixtures/broken.md::Cell 1" in stdout
        assert "NameError" in stdout

    def test_a_false_hidden_claim_fails(self, fixture_run):
        stdout, outcomes = fixture_run
        assert "failure" in [
            o for cell, o in outcomes.items() if cell.startswith("false_claim::")
        ]
        assert "the prose claims 7" in stdout

    def test_a_failure_is_placed_at_its_md_line(self, fixture_run):
        """At the failing statement's line in the .md file (here the cell's second line),
        with the error, while the test id stays `<file>::Cell <n>`."""
        stdout, _ = fixture_run
        fixtures = FIXTURES.relative_to(ROOT).as_posix()
        assert (
            f"{fixtures}/false_claim.md:15: AssertionError: the prose claims 7"
            in stdout
        ), stdout[-3000:]
        assert (
            f"{fixtures}/broken.md:13: NameError: name 'totl' is not defined" in stdout
        ), stdout[-3000:]
        assert "FAILED tests/tooling/fixtures/false_claim.md::Cell 1" in stdout


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_every_page_with_code_is_a_myst_notebook(path):
    assert is_myst_notebook(path), (
        f"{chapter_id(path)} has code cells but no jupytext myst header"
    )


def test_every_chapter_is_collected_cell_by_cell():
    result = run_pytest("--collect-only", *(str(p) for p in chapters()))
    assert result.returncode == 0, result.stdout
    for path in chapters():
        expected = len(code_cells(path))
        collected = result.stdout.count(f"{chapter_id(path)}::Cell ")
        assert collected == expected, (
            f"{chapter_id(path)}: {collected} of {expected} cells collected"
        )


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_hidden_cells_are_really_executed(path):
    """remove-cell hides a cell from the HTML only; nbval must still run it."""
    hidden = [c for c in code_cells(path) if "remove-cell" in tags(c)]
    assert hidden and not any("nbval-skip" in tags(c) for c in hidden)


@pytest.mark.expected_seconds(4)  # a book build
def test_a_broken_cell_fails_the_render_in_plain_text(tmp_path):
    """bookkit.build.render, on a tiny book holding the broken fixture, fails and names the
    notebook and its error; Sphinx writes no colour codes when the output is not a terminal (the
    kernel's traceback keeps IPython's)."""
    shutil.copy(FIXTURES / "broken.md", tmp_path / "broken.md")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: broken\n")
    config = (ROOT / "_config.yml").read_text()
    (tmp_path / "_config.yml").write_text(
        config.replace("book/references.bib", "refs.bib")
    )
    (tmp_path / "refs.bib").write_text("")
    code = f"import sys, pathlib, bookkit.build as b; sys.exit(b.render(True, pathlib.Path({str(tmp_path)!r})))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the build passed despite a failing cell"
    assert "broken.md" in output and "NameError" in output
    assert (
        tmp_path / "_build" / "html-failed" / "reports" / "broken.err.log"
    ).is_file()
    sphinx = [
        line for line in output.splitlines() if "Sphinx" in line or "build " in line
    ]
    assert sphinx and not any("\x1b[" in line for line in sphinx), (
        "colour codes, not a terminal"
    )


@pytest.mark.expected_seconds(4)  # a pytest run with two workers
def test_a_notebook_stays_on_one_worker_and_one_kernel():
    """Under `--dist loadgroup`, a notebook's cells share one xdist group, so its second cell sees
    what its first cell defined. Were the cells spread over the workers, its assert would fail."""
    from bookkit.build import PARALLEL

    command = [sys.executable, "-m", "pytest", "-n", "2", *PARALLEL, "-q"]
    result = subprocess.run(
        [*command, str(FIXTURES / "passing.md")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:]


RAISING_PAGE = (
    MYST_HEADER
    + """# Cells that must raise

```{code-cell} ipython3
:tags: [raises-exception]
1 / 0  # raises ZeroDivisionError
```

```{code-cell} ipython3
:tags: [raises-exception]
x = 1  # raises ValueError
```

```{code-cell} ipython3
:tags: [raises-exception]
int("a")  # raises TypeError
```

```{code-cell} ipython3
:tags: [raises-exception]
int("a")
```
"""
)


@pytest.mark.expected_seconds(3)  # a pytest run in a subprocess
def test_a_raises_exception_cell_must_raise_the_error_it_names(tmp_path):
    page = tmp_path / "raising.md"
    page.write_text(RAISING_PAGE, encoding="utf-8")
    # a page outside the book
    result = run_pytest("-c", str(ROOT / "pyproject.toml"), str(page))
    assert "1 passed" in result.stdout and "3 failed" in result.stdout, result.stdout[
        -2000:
    ]
    for line, message in [
        (15, "tagged raises-exception, but the cell raised nothing"),
        (20, "the cell raised ValueError, not TypeError"),
        (25, "a raises-exception cell names its error: add `# raises TypeError`"),
    ]:
        assert f"raising.md:{line}: {message}" in result.stdout, (
            line,
            result.stdout[-2000:],
        )


@pytest.mark.expected_seconds(6)  # a pytest run that waits out a 1.5 s cell limit
def test_a_hung_cell_fails_at_the_limit_its_chapter_budget_sets():
    """hung_cell.md has a budget of 0.5 s and a cell that sleeps for 60 s: the cell fails after
    CELL_TIMEOUT_FACTOR × 0.5 s, not after nbval's 2000 s, and says where and why."""
    result = run_pytest(str(FIXTURES / "hung_cell.md"), timeout=45)
    factor = CELL_TIMEOUT_FACTOR
    expected = (
        "tests/tooling/fixtures/hung_cell.md:14: Cell 0 timed out: it ran past its "
        f"limit of {factor * 0.5:g} s ({factor} × the chapter's time budget of 0.5 s, "
        "from `nnbook: {budget_seconds: 0.5}` in its front matter)"
    )
    assert expected in result.stdout, result.stdout[-3000:]
    assert "1 failed" in result.stdout


def test_a_cell_limit_without_a_declared_budget_names_the_default():
    assert cell_timeout({}) == (
        CELL_TIMEOUT_FACTOR * DEFAULT_BUDGET_SECONDS,
        f"{CELL_TIMEOUT_FACTOR} × the chapter's time budget of "
        f"{DEFAULT_BUDGET_SECONDS:g} s, from the default, "
        "bookkit.book.DEFAULT_BUDGET_SECONDS",
    )


def test_the_render_never_cuts_a_cell_shorter_than_nbval():
    """The render executes no chapter (the build runs them under nbval first); should it, its
    per-cell timeout (_config.yml execute.timeout) must allow what nbval allowed."""
    limits = {
        chapter_id(path): cell_timeout(read_notebook(path).metadata)[0]
        for path in chapters()
    }
    render = book_config()["execute"]["timeout"]
    assert all(limit <= render for limit in limits.values()), (
        f"_config.yml execute.timeout is {render} s, below these chapters' cell "
        f"limits: { {name: s for name, s in limits.items() if s > render} }"
    )
