"""The pytest plugin that runs MyST Markdown chapters (book/*.md) under nbval, straight from their
source. pyproject.toml loads it by name (`-p bookkit.pytest_plugin`).

nbval 0.11 only collects `.ipynb`. `MystNotebook` reuses its collector whole and changes one thing:
the notebook is read with jupytext instead of nbformat, in memory, so no `.ipynb` copy is ever
written and the kernel still starts in the chapter's own folder (relative paths keep working).
tests/tooling/test_harness.py checks that it collects, runs and fails as it should.

When every cell of a chapter in the toc has run and passed, its outputs and run time go into the
book build's execution cache (bookkit.cache.store_execution), so the build renders this run instead
of executing the chapter again. The split of the run time (kernel start, first cell, the rest) goes
to _build/timings/ for the benchmark.

A cell may run for CELL_TIMEOUT_FACTOR times its chapter's time budget; the tests,
`tasks.py chapter` and the build all run the chapters here, so this one limit holds for all three.
A failing cell is reported at its line in the `.md` file (`book/x.md:123: AssertionError: ...`),
under the same test id as before (`book/x.md::Cell 2`).

Under pytest-xdist (`--dist loadgroup`), each chapter's cells carry one `xdist_group` mark, so they
run in order on one worker and one kernel. Chapters and slow tests (marked `expected_seconds`) are
sorted longest first, and `--no-loadscope-reorder` keeps that order, so the workers finish together.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path
from unittest import mock

import jupytext
import nbval.plugin
import pytest

from bookkit.book import budget_seconds, is_myst_notebook, page_name, toc_entries
from bookkit.paths import ROOT, TIMINGS


def timing_file(path: Path) -> Path:
    """Where a toc chapter's last run's timings are kept."""
    return TIMINGS / f"{path.stem}.json"


# A cell fails as hung once it has run for this many times its chapter's whole time budget
# (bookkit.book.budget_seconds): 60 s at the default budget of 20 s. That is generous enough for a
# slow CI machine, yet a hung cell fails within minutes, not after nbval's default of 2000 s.
# It replaces nbval's --nbval-cell-timeout for MyST chapters (MystCell.runtest).
CELL_TIMEOUT_FACTOR = 3
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Where IPython's traceback places the failing line of a cell: `Cell In[3], line 2`.
CELL_FRAME = re.compile(r"Cell In\[\d+\], line (\d+)")


def cell_timeout(metadata: dict) -> tuple[float, str]:
    """The seconds a chapter's cell may run, and how that limit is derived, in words."""
    budget = budget_seconds(metadata)
    if "budget_seconds" in metadata.get("nnbook", {}):
        source = f"`nnbook: {{budget_seconds: {budget:g}}}` in its front matter"
    else:
        source = "the default, bookkit.book.DEFAULT_BUDGET_SECONDS"
    return CELL_TIMEOUT_FACTOR * budget, (
        f"{CELL_TIMEOUT_FACTOR} × the chapter's time budget of {budget:g} s, "
        f"from {source}"
    )


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook collector, fed by jupytext from a `.md` file."""

    def collect(self):
        notebook = jupytext.read(self.path, fmt="md:myst")
        with mock.patch.object(nbval.plugin.nbformat, "read", return_value=notebook):
            cells = list(super().collect())
        for cell in cells:  # the same cells, as MystCell
            yield MystCell.from_parent(
                self,
                name=cell.name,
                cell_num=cell.cell_num,
                cell=cell.cell,
                options=cell.options,
            )

    def setup(self):
        self.outcomes: list[tuple[pytest.Item, str, float]] = []
        self.started = time.perf_counter()
        super().setup()  # starts the kernel
        self.kernel_seconds = time.perf_counter() - self.started
        client = self.kernel.kc
        self.language_info = client.kernel_info(reply=True)["content"]["language_info"]
        # Number the cells as Jupyter does (nbval runs each as In[1]), so that the execution
        # counts the book shows, and `Cell In[n]` in a traceback, read as in Jupyter.
        self.kernel.execute_cell_input = lambda source, allow_stdin=None: (
            client.execute(
                source, store_history=True, allow_stdin=allow_stdin, stop_on_error=False
            )
        )

    def teardown(self):
        seconds = (
            time.perf_counter() - self.started if hasattr(self, "started") else 0.0
        )
        super().teardown()
        if hasattr(self, "outcomes"):
            record_run(self, seconds)


class MystCell(nbval.plugin.IPyNbCell):
    """A chapter's code cell: it runs for at most cell_timeout(), and a failure is reported at
    its line in the `.md` file."""

    def runtest(self):
        limit, _ = cell_timeout(self.parent.nb.metadata)
        timed_out_before = self.parent.timed_out
        try:
            with mock.patch.object(self.config.option, "nbval_cell_timeout", limit):
                super().runtest()
        finally:
            self.timed_out = self.parent.timed_out and not timed_out_before

    def repr_failure(self, excinfo):
        error = excinfo.value
        if isinstance(error, pytest.fail.Exception):  # check_declared_error's message
            return str(error)
        if not isinstance(error, nbval.plugin.NbCellError):
            return super().repr_failure(excinfo)
        return f"{self.headline(error)}\n\n{super().repr_failure(excinfo)}"

    def headline(self, error: nbval.plugin.NbCellError) -> str:
        """One line: the `.md` line that failed (the cell's first when the traceback does not
        say), and what went wrong there."""
        errors = [o for o in self.test_outputs or [] if o.get("output_type") == "error"]
        frame = (
            CELL_FRAME.search(ANSI.sub("", "\n".join(errors[-1]["traceback"])))
            if errors
            else None
        )
        where = md_line(self, int(frame.group(1)) if frame else 1)
        if getattr(self, "timed_out", False):
            limit, derived = cell_timeout(self.parent.nb.metadata)
            return (
                f"{where}: Cell {self.cell_num} timed out: it ran past its limit of "
                f"{limit:g} s ({derived})"
            )
        if errors:
            return f"{where}: {errors[-1]['ename']}: {errors[-1]['evalue']}"
        return f"{where}: {error}"


def record_run(notebook: MystNotebook, seconds: float) -> None:
    """Cache a complete, passing run of a toc chapter, and write its timings."""
    # myst-nb and jupyter-cache: only a chapter run needs them
    from bookkit import (
        cache,
    )

    path = notebook.path.resolve()
    if not path.is_relative_to(ROOT) or page_name(path) not in toc_entries():
        return
    cells = [cell for cell in notebook.nb.cells if cell.cell_type == "code"]
    ran = {item.cell_num: (item, outcome) for item, outcome, _ in notebook.outcomes}
    complete = sorted(ran) == list(range(len(cells)))
    if not complete or any(outcome == "failed" for _, outcome in ran.values()):
        return
    outputs = [
        item.test_outputs if outcome == "passed" else None
        for item, outcome in ran.values()
    ]
    sources = [cell.source for cell in cells]
    if notebook.config.getoption("nnbook_compare"):
        compare_with_cached_run(notebook, sources, outputs, ran)
        return
    if not cache.store_execution(
        page_name(path), sources, outputs, notebook.language_info, seconds
    ):
        warnings.warn(
            f"{page_name(path)}: the cells nbval ran differ from the build's; not cached",
            stacklevel=1,
        )
    durations = [duration for _, _, duration in notebook.outcomes]
    TIMINGS.mkdir(parents=True, exist_ok=True)
    timing_file(path).write_text(
        json.dumps(
            {
                "page": page_name(path),
                "kernel_seconds": notebook.kernel_seconds,
                "first_cell_seconds": durations[0],
                "rest_seconds": sum(durations[1:]),
                "total_seconds": seconds,
            }
        ),
        encoding="utf-8",
    )


def compare_with_cached_run(notebook, sources, outputs, ran) -> None:
    """--nnbook-compare: fail unless this run shows what the cached run of the same code and
    inputs showed, cell by cell (a chapter must be deterministic); store nothing."""
    from bookkit import cache

    try:
        found = cache.differences(page_name(notebook.path.resolve()), sources, outputs)
    except LookupError as err:
        pytest.fail(str(err), pytrace=False)
    if found:
        lines = [
            f"{md_line(ran[number][0])}: the cached run showed {old[:80]!r},"
            f" this run {new[:80]!r}"
            for number, old, new in found
        ]
        pytest.fail(
            "not deterministic: a second run shows other output "
            "(seed it, or tag a cell that prints timings nbval-ignore-output)\n"
            + "\n".join(lines),
            pytrace=False,
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--nnbook-compare",
        action="store_true",
        help="run the chapters again and compare with their cached runs; store nothing",
    )


# A cell tagged `raises-exception` names the error it must raise in a comment: `# raises TypeError`.
RAISES = re.compile(r"#\s*raises\s+([A-Za-z_]\w*)")


def md_line(cell: nbval.plugin.IPyNbCell, line: int = 1) -> str:
    """`book/x.md:123`, where this line of the cell (from 1) is, for a MyST chapter; else the
    notebook and the cell number."""
    from bookkit.lint import first_lines

    path = Path(cell.parent.path)
    if isinstance(cell.parent, MystNotebook):
        start = first_lines(path.read_text(encoding="utf-8"))[cell.cell_num]
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        return f"{name}:{start + line - 1}"
    return f"{path.name}, cell {cell.cell_num}"


def check_declared_error(cell: nbval.plugin.IPyNbCell) -> None:
    """A `raises-exception` cell must raise, and exactly the error its comment names."""
    declared = RAISES.search(cell.cell.source)
    raised = [
        out.get("ename")
        for out in cell.test_outputs
        if out.get("output_type") == "error"
    ]
    where = md_line(cell)
    if declared is None:
        pytest.fail(
            f"{where}: a raises-exception cell names its error: add `# raises TypeError`",
            pytrace=False,
        )
    if not raised:
        pytest.fail(
            f"{where}: tagged raises-exception, but the cell raised nothing",
            pytrace=False,
        )
    if raised[0] != declared.group(1):
        pytest.fail(
            f"{where}: the cell raised {raised[0]}, not {declared.group(1)}",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    result = yield
    if isinstance(item, nbval.plugin.IPyNbCell) and item.options.get("check_exception"):
        check_declared_error(item)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    if report.when == "call" and isinstance(item.parent, MystNotebook):
        item.parent.outcomes.append((item, report.outcome, report.duration))
    return report


def expected_seconds(notebook: nbval.plugin.IPyNbFile) -> float:
    """How long a chapter should take: its last run's time, or else its time budget."""
    timing = timing_file(notebook.path)
    if timing.is_file() and notebook.path.is_relative_to(ROOT / "book"):
        return json.loads(timing.read_text(encoding="utf-8"))["total_seconds"]
    return budget_seconds(notebook.nb.metadata)


def pytest_itemcollected(item: pytest.Item) -> None:
    """One xdist group per notebook (a MyST chapter or an exported one): one worker, one kernel."""
    if isinstance(item.parent, nbval.plugin.IPyNbFile):
        item.add_marker(pytest.mark.xdist_group(str(item.parent.path)))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest work first: chapters by their expected time, and tests marked `expected_seconds`
    beside them; then the quick tests. A stable sort keeps each chapter's cells in order."""
    cost: dict[pytest.Node, float] = {}
    for item in items:
        if isinstance(item.parent, nbval.plugin.IPyNbFile):
            cost.setdefault(item.parent, expected_seconds(item.parent))
        elif marker := item.get_closest_marker("expected_seconds"):
            cost[item] = marker.args[0]
    items.sort(key=lambda item: -cost.get(item.parent, cost.get(item, 0.0)))


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    options = parent.config.option
    if (options.nbval or options.nbval_lax) and is_myst_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
    return None
