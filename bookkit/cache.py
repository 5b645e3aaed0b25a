"""The execution cache that myst-nb reads: the only code that touches jupyter-cache and myst-nb's
notebook reader.

The test command runs every chapter under nbval; bookkit.pytest_plugin hands each complete, passing
run to `store_execution`, so the book build renders it instead of executing the chapter again.
`stale_chapters` tells the build which chapters have no such run; `executed_notebook` gives the
export and the status page a chapter's notebook with the outputs of its last run.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import nbformat
from filelock import FileLock
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from myst_nb.core.read import read_myst_markdown_notebook
from sqlalchemy.exc import DatabaseError

from bookkit.book import chapters, page_name
from bookkit.inputs import inputs_digest
from bookkit.paths import CACHE, ROOT, under


def _cache(root: Path):
    return get_cache(str(under(root, CACHE)))


def read_page(page: str, root: Path = ROOT):
    """The page as myst-nb reads it, so that its hash in the execution cache is the build's."""
    source = root / f"{page}.md"
    return read_myst_markdown_notebook(source.read_text(encoding="utf-8"), path=source)


def executed_notebook(page: str, root: Path = ROOT) -> dict | None:
    """The page's notebook with the outputs of its last execution; None for a page without code.

    The outputs come from the execution cache. The copies in _build/jupyter_execute/ will not do:
    myst-nb writes a notebook that it restored from the cache there without its outputs.
    """
    notebook = read_page(page, root)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None
    try:
        _, executed = _cache(root).merge_match_into_notebook(notebook)
    except KeyError:
        raise LookupError(
            f"{page}.md has no executed copy in {CACHE.relative_to(ROOT)}"
        ) from None
    return executed


def repair(root: Path = ROOT) -> list[str]:
    """Drop what in the cache cannot be read, so that those chapters run again; one line each.

    A cache database that is not one (`file is not a database`) is removed whole; a run whose
    notebook file is damaged (NotJSONError) is removed alone.
    """
    folder = under(root, CACHE)
    if not folder.is_dir():
        return []
    try:
        records = _cache(root).list_cache_records()
    except DatabaseError as err:
        shutil.rmtree(folder)
        return [
            f"the execution cache's database was unreadable ({err.orig}): removed {CACHE.name}/"
        ]
    repaired = []
    for record in records:
        try:
            _cache(root).get_cache_bundle(record.pk)
        except Exception as err:  # a damaged file: any error of the reader
            _cache(root).remove_cache(record.pk)
            page = Path(record.uri).name
            repaired.append(
                f"the cached run of {page} was unreadable ({type(err).__name__}): removed it"
            )
    return repaired


def stale_chapters(root: Path = ROOT) -> list[Path]:
    """The chapters without a passing run of their code in the cache, or whose run used other
    inputs (book package modules, requirements, installed versions: bookkit.inputs), in the order
    of the toc."""
    cache = _cache(root)
    stale = []
    for path in chapters(root):
        notebook = read_page(page_name(path, root), root)
        sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
        try:
            record = cache.match_cache_notebook(notebook)
        except KeyError:
            stale.append(path)
            continue
        if record.data.get("inputs") != inputs_digest(sources, root):
            stale.append(path)
    return stale


def _visible(outputs: list) -> list[str]:
    """What a cell's run shows as text: what it printed, its values and its glued values."""
    shown = []
    for output in outputs:
        if output.get("output_type") == "stream":
            shown.append(output.get("text", ""))
        elif "data" in output and "text/plain" in output["data"]:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output["data"]["text/plain"]
            shown.append(f"glue {name} = {text}" if name else text)
    return shown


def differences(
    page: str, sources: list[str], outputs: list[list | None], root: Path = ROOT
) -> list[tuple[int, str, str]]:
    """Where this run shows other text than the cached run of the same code and inputs: one
    (code cell number, cached, now) for each cell that differs. Cells tagged
    `nbval-ignore-output` (timings) are not compared. LookupError: no cached run to compare."""
    notebook = read_page(page, root)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    missing = LookupError(
        f"{page}.md has no cached run of this code and inputs to compare with:"
        " run it once first (python3 tasks.py chapter)"
    )
    if [cell.source for cell in code] != sources:
        raise missing
    try:
        record = _cache(root).match_cache_notebook(notebook)
    except KeyError:
        raise missing from None
    if record.data.get("inputs") != inputs_digest(sources, root):
        raise missing
    cached = _cache(root).get_cache_bundle(record.pk).nb
    cached_code = [cell for cell in cached.cells if cell.cell_type == "code"]
    found = []
    for number, (cell, old, new) in enumerate(
        zip(code, cached_code, outputs, strict=True)
    ):
        if new is None or "nbval-ignore-output" in cell.metadata.get("tags", []):
            continue
        before, now = _visible(old.outputs), _visible(new)
        if before != now:
            pairs = itertools.zip_longest(before, now, fillvalue="")
            found.append((number, *next((a, b) for a, b in pairs if a != b)))
    return found


def _run_id(record) -> str:
    """One run's identity: a replaced record may get the id of the one it replaces."""
    return f"{record.pk}@{record.created.isoformat()}"


def record_ids(root: Path = ROOT) -> set[str]:
    """The runs in the cache: a run that is new after a build was executed by it."""
    if not under(root, CACHE).is_dir():
        return set()
    return {_run_id(record) for record in _cache(root).list_cache_records()}


def newest_runs(root: Path = ROOT) -> dict[str, object]:
    """Each cached page's newest record, by its page name (`book/tensors`)."""
    if not under(root, CACHE).is_dir():
        return {}
    records = sorted(_cache(root).list_cache_records(), key=lambda r: r.created)
    return {
        page_name(Path(r.uri), root): r
        for r in records
        if Path(r.uri).is_relative_to(root)
    }


def record_by_page(root: Path = ROOT) -> dict[str, str]:
    """Each cached page's newest run, by page name."""
    return {page: _run_id(record) for page, record in newest_runs(root).items()}


def execution_seconds(root: Path = ROOT) -> dict[str, float]:
    """Each cached page's run time, from its newest run, by page name."""
    return {page: r.data["execution_seconds"] for page, r in newest_runs(root).items()}


def threads(record) -> str:
    """How many threads a cached run used ("unknown" for a run that did not say)."""
    return record.data.get("threads", "unknown") if record is not None else "unknown"


def one_line_error(output: dict) -> nbformat.NotebookNode:
    """The output, with an error's traceback cut to its last line, `ename: evalue`.

    A cell that raises on purpose (tagged `raises-exception`) teaches the error, not the frames
    inside torch that raised it; those frames also name files on the machine that ran the chapter
    (its checkout, its venv). So the page and the exported notebook show one line, as a
    try/except that prints the error would.
    """
    output = nbformat.from_dict(output)
    if output.get("output_type") == "error":
        output.traceback = [f"{output.ename}: {output.evalue}"]
    return output


def store_execution(
    page: str,
    sources: list[str],
    outputs: list[list | None],
    language_info: dict,
    seconds: float,
    root: Path = ROOT,
) -> bool:
    """Put one complete, passing run of the page's code cells into the build's execution cache.

    `sources` and `outputs` hold each code cell's source and outputs (None for a skipped cell), in
    order; `language_info` is the kernel's, which selects the highlighting of the code. It stores
    nothing, and returns False, unless `sources` are the page's code cells. An error output is
    stored with a one-line traceback (`one_line_error`).
    """
    notebook = read_page(page, root)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if [cell.source for cell in code] != sources:
        return False
    notebook.metadata["language_info"] = language_info
    count = 0
    for cell, cell_outputs in zip(code, outputs, strict=True):
        if cell_outputs is not None:
            count += 1
            cell.outputs = [one_line_error(output) for output in cell_outputs]
            cell.execution_count = count
    cache_dir = under(root, CACHE)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # The numeric setting it ran in: tasks.py runs every chapter on one thread, everywhere.
    data = {
        "execution_seconds": seconds,
        "threads": os.environ.get("OMP_NUM_THREADS", "all cores"),
        "inputs": inputs_digest(sources, root),
    }
    bundle = CacheBundleIn(notebook, str(root / f"{page}.md"), data=data)
    # test workers finish chapters concurrently
    with FileLock(cache_dir / "nnbook-write.lock"):
        _cache(root).cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
    return True
