"""Let nbval run MyST Markdown notebooks (book/*.md) straight from their source files.

nbval 0.11 only collects `.ipynb`. `MystNotebook` reuses its collector whole and changes one thing:
the notebook is read with jupytext instead of nbformat, in memory, so no `.ipynb` copy is ever
written and the kernel still starts in the chapter's own folder (relative paths keep working).
tests/test_harness.py checks that this hook collects, runs and fails as it should.

When every cell of a chapter in the toc has run and passed, its outputs and run time go into the
book build's execution cache (nnbook.publishing.store_execution), so the build that follows in the
test command renders this run instead of executing the chapter again. The split of the run time
(kernel start, first cell, the rest) goes to _build/timings/ for `python3 tasks.py bench`.

Under pytest-xdist (`--dist loadscope`), each chapter's cells form one unit of work, so they run in
order on one worker and one kernel. The chapters and the slow tests (marked `expected_seconds`) are
handed out longest first, then the quick tests one by one, so that the workers finish together.

`python3 tasks.py test` sets NNBOOK_CHAPTERS_PASSED to a file name: once every chapter in book/ has
run and passed (so each is in the execution cache), this session creates that file, and the book
build starts beside the tests that are still running.
"""

import json
import os
import time
import warnings
from pathlib import Path
from unittest import mock

import jupytext
import nbval.plugin
import pytest

MYST_HEADER = "format_name: myst"
ROOT = Path(__file__).resolve().parent
TIMINGS = ROOT / "_build" / "timings"
# Seconds per chapter on 2 CPU cores; a training chapter sets `nnbook: {budget_seconds: 60}` up top.
DEFAULT_BUDGET_SECONDS = 20


def budget_seconds(metadata: dict) -> float:
    """A chapter's time budget, from its notebook metadata (tests/test_budgets.py checks it)."""
    return metadata.get("nnbook", {}).get("budget_seconds", DEFAULT_BUDGET_SECONDS)


def timing_file(path: Path) -> Path:
    """Where a toc chapter's last run's timings are kept."""
    return TIMINGS / f"{path.stem}.json"


def is_myst_notebook(path: Path) -> bool:
    """A MyST notebook starts with a YAML header that names jupytext's myst format."""
    if path.suffix != ".md":
        return False
    head = path.read_text(encoding="utf-8")[:1000]
    return head.startswith("---") and MYST_HEADER in head.split("\n---", 1)[0]


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
        self.kernel.execute_cell_input = lambda source, allow_stdin=None: client.execute(
            source, store_history=True, allow_stdin=allow_stdin, stop_on_error=False
        )

    def teardown(self):
        seconds = time.perf_counter() - self.started if hasattr(self, "started") else 0.0
        super().teardown()
        if hasattr(self, "outcomes"):
            record_run(self, seconds)


def record_run(notebook: MystNotebook, seconds: float) -> None:
    """Cache a complete, passing run of a toc chapter, and write its timings."""
    from nnbook import publishing  # Sphinx-side imports: only the chapter runs need them

    path = notebook.path.resolve()
    page = path.relative_to(ROOT).with_suffix("").as_posix() if path.is_relative_to(ROOT) else ""
    cells = [cell for cell in notebook.nb.cells if cell.cell_type == "code"]
    ran = {item.cell_num: (item, outcome) for item, outcome, _ in notebook.outcomes}
    complete = sorted(ran) == list(range(len(cells))) and all(
        o != "failed" for _, o in ran.values()
    )
    if not complete or page not in publishing.toc_entries(ROOT):
        return
    outputs = [item.test_outputs if outcome == "passed" else None for item, outcome in ran.values()]
    sources = [cell.source for cell in cells]
    if not publishing.store_execution(
        page, sources, outputs, notebook.language_info, seconds, ROOT
    ):
        warnings.warn(
            f"{page}: the cells nbval ran differ from the build's; not cached", stacklevel=1
        )
    durations = [duration for _, _, duration in notebook.outcomes]
    TIMINGS.mkdir(parents=True, exist_ok=True)
    timing_file(path).write_text(
        json.dumps(
            {
                "page": page,
                "kernel_seconds": notebook.kernel_seconds,
                "first_cell_seconds": durations[0],
                "rest_seconds": sum(durations[1:]),
                "total_seconds": seconds,
            }
        ),
        encoding="utf-8",
    )


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slowest work first: chapters by their expected time, and tests marked `expected_seconds`
    beside them; then the quick tests. A stable sort keeps each chapter's cells in order."""
    cost: dict[pytest.Node, float] = {}
    for item in items:
        if isinstance(item.parent, nbval.plugin.IPyNbFile):  # a MyST chapter or an exported one
            cost.setdefault(item.parent, expected_seconds(item.parent))
        elif marker := item.get_closest_marker("expected_seconds"):
            cost[item] = marker.args[0]
    items.sort(key=lambda item: -cost.get(item.parent, cost.get(item, 0.0)))


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, absent under -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadscope`, with a notebook's cells as one unit of work, a test class's tests as
    one (they may share a fixture), and every other test on its own."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            parts = nodeid.split("::")
            if parts[0].endswith((".md", ".ipynb")):
                return parts[0]
            return "::".join(parts[:-1]) if len(parts) > 2 else nodeid

    config.option.loadscopereorder = False  # keep the order pytest_collection_modifyitems gave
    return NotebookScheduling(config, log)


class ChapterWatch:
    """A plugin for the controlling process: it creates `signal` once every collected cell of
    book/*.md has been torn down (so its chapter's run is recorded) and none has failed."""

    def __init__(self, signal: Path):
        self.signal = signal
        self.pending: set[str] | None = None  # node ids of the chapters' cells still to finish
        self.failed = False

    def expect(self, nodeids: list[str]) -> None:
        if self.pending is None:
            self.pending = {n for n in nodeids if n.startswith("book/") and ".md::" in n}

    def pytest_collection_finish(self, session: pytest.Session) -> None:  # without xdist
        if session.items:
            self.expect([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids: list[str]) -> None:
        self.expect(ids)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.pending is None or report.nodeid not in self.pending:
            return
        self.failed |= report.failed
        if report.when == "teardown":
            self.pending.discard(report.nodeid)
            if not self.pending and not self.failed:
                self.signal.write_text("every chapter in book/ passed\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    signal = os.environ.get("NNBOOK_CHAPTERS_PASSED")
    if signal and not hasattr(config, "workerinput"):  # not on an xdist worker
        config.pluginmanager.register(ChapterWatch(Path(signal)), "nnbook-chapter-watch")


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    options = parent.config.option
    if (options.nbval or options.nbval_lax) and is_myst_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
    return None
