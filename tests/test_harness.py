"""The test harness itself: the conftest.py hook collects MyST chapters, and failures are caught.

A suite that silently collects nothing, or that passes a broken notebook, would make every other
chapter test meaningless. These tests run pytest and jupyter-book on small fixture notebooks.
"""

import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import ChapterWatch, is_myst_notebook
from tests.booklib import ROOT, chapter_id, chapters, code_cells, tags

FIXTURES = Path(__file__).parent / "fixtures"


def run_pytest(*args: str) -> subprocess.CompletedProcess:
    """Run pytest in a subprocess from the repo root, so conftest.py and pyproject.toml apply."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-q", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_only_myst_notebooks_are_collected():
    assert is_myst_notebook(FIXTURES / "passing.md")
    assert not is_myst_notebook(ROOT / "book" / "intro.md"), "a page without code is not a notebook"
    assert not is_myst_notebook(ROOT / "README.md")


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory) -> tuple[str, dict[str, str]]:
    """One pytest run over the three fixture notebooks: its output, and each cell's outcome by
    `<notebook>::Cell <n>`."""
    report = tmp_path_factory.mktemp("harness") / "report.xml"
    names = ("passing.md", "broken.md", "false_claim.md")
    result = run_pytest(f"--junitxml={report}", *(str(FIXTURES / name) for name in names))
    assert result.returncode == 1, "two of the three fixtures must fail\n" + result.stdout
    outcomes = {}
    for case in ElementTree.parse(report).iter("testcase"):
        notebook = case.get("classname").split(".")[-2]  # tests.fixtures.<name>.md
        failed = [c for c in case if c.tag in ("failure", "error", "skipped")]
        outcomes[f"{notebook}::{case.get('name')}"] = failed[0].tag if failed else "passed"
    return result.stdout, outcomes


@pytest.mark.expected_seconds(4)  # a pytest run in a subprocess
class TestFixtureNotebooks:
    """One notebook passes and two fail. A class, so that pytest-xdist runs these three tests on
    one worker, and the fixture run once (conftest.py)."""

    def test_a_passing_notebook_passes(self, fixture_run):
        _, outcomes = fixture_run
        cells = {
            cell: outcome for cell, outcome in outcomes.items() if cell.startswith("passing::")
        }
        assert sorted(cells.values()) == ["passed", "passed", "skipped"], (
            f"two cells run, the nbval-skip cell is skipped: {cells}"
        )

    def test_a_broken_cell_fails_and_is_named(self, fixture_run):
        stdout, outcomes = fixture_run
        assert outcomes["broken::Cell 1"] == "failure", outcomes
        assert "FAILED tests/fixtures/broken.md::Cell 1" in stdout
        assert "NameError" in stdout

    def test_a_false_hidden_claim_fails(self, fixture_run):
        stdout, outcomes = fixture_run
        assert "failure" in [o for cell, o in outcomes.items() if cell.startswith("false_claim::")]
        assert "the prose claims 7" in stdout


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_every_page_with_code_is_a_myst_notebook(path):
    assert is_myst_notebook(path), f"{chapter_id(path)} has code cells but no jupytext myst header"


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


@pytest.mark.expected_seconds(3)  # a book build
def test_a_broken_cell_fails_the_book_build(tmp_path):
    """A strict build of a tiny book holding the broken fixture fails and names the notebook."""
    shutil.copy(FIXTURES / "broken.md", tmp_path / "broken.md")
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: broken\n")
    config = (ROOT / "_config.yml").read_text()
    (tmp_path / "_config.yml").write_text(config.replace("book/references.bib", "refs.bib"))
    (tmp_path / "refs.bib").write_text("")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(tmp_path), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the build passed despite a failing cell"
    assert "broken.md" in output and "NameError" in output
    assert (tmp_path / "_build" / "html" / "reports" / "broken.err.log").is_file()


def test_the_build_starts_only_once_every_chapter_has_passed(tmp_path):
    """conftest.py's ChapterWatch tells `tasks.py test` when the book build may start."""

    def report(nodeid: str, when: str, outcome: str = "passed") -> pytest.TestReport:
        return pytest.TestReport(nodeid, (nodeid, 0, ""), {}, outcome, None, when)

    cells = ["book/a.md::Cell 0", "book/a.md::Cell 1", "book/b.md::Cell 0"]
    for failing in (None, "book/a.md::Cell 1"):
        signal = tmp_path / f"signal-{failing is None}"
        watch = ChapterWatch(signal)
        watch.expect([*cells, "tests/test_x.py::test_y"])
        watch.expect(cells[:1])  # a second worker's collection changes nothing
        for nodeid in cells:
            assert not signal.exists(), "the signal came before every chapter had finished"
            for when in ("setup", "call", "teardown"):
                outcome = "failed" if nodeid == failing and when == "call" else "passed"
                watch.pytest_runtest_logreport(report(nodeid, when, outcome))
        assert signal.exists() == (failing is None)
    watch = ChapterWatch(tmp_path / "no-chapters")  # a session without chapters never signals
    watch.expect(["tests/fixtures/passing.md::Cell 0"])
    watch.pytest_runtest_logreport(report("tests/fixtures/passing.md::Cell 0", "teardown"))
    assert not (tmp_path / "no-chapters").exists()
