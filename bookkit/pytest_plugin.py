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


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook collector, fed by jupytext from a `.md` file."""

    def collect(self):
        notebook = jupytext.read(self.path, fmt="md:myst")
        with mock.patch.object(nbval.plugin.nbformat, "read", return_value=notebook):
            yield from super().collect()

    def setup(self):
        self.outcomes: list[tuple[pytest.Item, str, float]] = []
        self.started = time.perf_counter()
        super().setup()  # starts the kernel
        self.kernel_seconds = time.perf_counter() - self.started
        client = self.kernel.kc
        self.language_info = client.kernel_info(reply=True)["content"]["language_info"]
        # Number the cells as Jupyter and the book build do (nbval runs each as In[1]), so that
        # the tracebacks that the book shows read the same.
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


def record_run(notebook: MystNotebook, seconds: float) -> None:
    """Cache a complete, passing run of a toc chapter, and write its timings."""
    from bookkit import (
        cache,
    )  # myst-nb and jupyter-cache: only a chapter run needs them

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


# A cell tagged `raises-exception` names the error it must raise in a comment: `# raises TypeError`.
RAISES = re.compile(r"#\s*raises\s+([A-Za-z_]\w*)")


def md_line(cell: nbval.plugin.IPyNbCell) -> str:
    """`book/x.md:123`, where the cell's code starts, for a MyST chapter; else its cell number."""
    from bookkit.lint import first_lines

    path = Path(cell.parent.path)
    if isinstance(cell.parent, MystNotebook):
        lines = first_lines(path.read_text(encoding="utf-8"))
        return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{lines[cell.cell_num]}"
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
