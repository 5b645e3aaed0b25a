"""The book build: run the chapters that the execution cache lacks, in parallel, under nbval, then
render every page with Sphinx in this process, strictly, from the cache; then export the notebooks.

The chapters run through the same runner as the tests (bookkit.pytest_plugin), so a cold build
uses every core, and the render itself executes nothing. `build()` returns how many chapters the
render had to execute after all; the test command fails unless that is 0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bookkit.cli import say
from bookkit.paths import (
    BUILD,
    CACHE,
    FAILED_HTML,
    HTML,
    RENDER_FAILED,
    RENDERED,
    REPORTS,
    ROOT,
    Stamp,
    digest,
    under,
)

# one chapter stays on one kernel
PARALLEL = [
    "--dist",
    "loadgroup",
    "--no-loadscope-reorder",
]
PYTEST_INTERRUPTED = 2  # pytest's exit code when Ctrl-C stopped it
SETUP_INPUTS = ("requirements.txt", "pyproject.toml")


class BuildError(Exception):
    """The build failed; the message says why in one line."""


def _files(*folders: str) -> list[Path]:
    found = []
    for folder in folders:
        found += sorted(
            p for p in (ROOT / folder).rglob("*") if "__pycache__" not in p.parts
        )
    return [p for p in found if p.is_file()]


def _hash(paths: list[Path], extra: str = "") -> str:
    # a rename changes it too
    names = "\n".join(p.relative_to(ROOT).as_posix() for p in paths)
    return digest(*paths, extra=extra + names)


def layout_hash() -> str:
    """What shapes every page: the toc, the config, and the book's Sphinx extension."""
    return _hash([ROOT / "_toc.yml", ROOT / "_config.yml", *_files("bookkit")])


def inputs_hash() -> str:
    """Everything a build reads: the sources, figures, both kits, the configuration, the
    environment's requirements and installed packages, and the execution cache's database."""
    from bookkit.inputs import environment

    inputs = [ROOT / name for name in SETUP_INPUTS] + [CACHE / "global.db"]
    files = [*inputs, *_files("book", "images", "nnbook")]
    return _hash(files, extra=layout_hash() + environment())


def pytest_command(paths: list[str], *extra: str) -> list[str]:
    """pytest on these paths, with one worker per core (up to one per path) under xdist, or as
    many as PYTEST_XDIST_AUTO_NUM_WORKERS says (what `-n auto` reads; the benchmark sets it)."""
    cores = int(os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or os.cpu_count() or 1)
    workers = min(len(paths), cores)
    parallel = ["-n", str(workers), *PARALLEL] if workers > 1 else ["-p", "no:xdist"]
    return [sys.executable, "-m", "pytest", *parallel, *paths, *extra]


def run_chapters(chapters: list[Path]) -> None:
    """Run chapters under nbval, in parallel; each passing run goes into the execution cache."""
    names = [p.relative_to(ROOT).as_posix() for p in chapters]
    say(
        f"running {len(names)} chapter(s) without a current run in the execution cache: "
        f"{', '.join(names)}"
    )
    code = subprocess.run(pytest_command(names, "-q"), cwd=ROOT).returncode
    if code == PYTEST_INTERRUPTED:
        raise KeyboardInterrupt
    if code != 0:
        raise BuildError("a chapter failed; its failing cell is named above")


def render(everything: bool, root: Path = ROOT) -> int:
    """Sphinx, as `jupyter-book build . -W -n --keep-going`, in this process; its exit code.

    Sphinx writes into a copy of the last good HTML, which replaces it only if the render
    passes: a failed render never leaves pages with blank numbers where the README sends
    readers. It is kept in _build/html-failed/ instead, with myst-nb's reports.
    """
    from jupyter_book.sphinx import build_sphinx
    from sphinx.util.console import color_terminal, nocolor

    if not color_terminal():  # no colour codes in a log file or a pipe
        nocolor()
    html, failed = under(root, HTML), under(root, FAILED_HTML)
    staging = html.with_name(html.name + ".new")
    for folder in (staging, failed):
        shutil.rmtree(folder, ignore_errors=True)
    if html.is_dir() and not everything:  # Sphinx writes only the pages that changed
        shutil.copytree(html, staging, symlinks=True)
    result = build_sphinx(
        root,
        staging,
        noconfig=True,
        path_config=str(root / "_config.yml"),
        # What the jupyter-book CLI passes for `build . -n`.
        confoverrides={
            "external_toc_path": "_toc.yml",
            "nitpicky": True,
            "latex_individualpages": False,
        },
        builder="html",
        warningiserror=True,
        keep_going=True,
        freshenv=everything,
    )
    code = result if isinstance(result, int) else 1
    if code != 0:
        staging.rename(failed)
        return code
    shutil.rmtree(html, ignore_errors=True)
    staging.rename(html)
    return 0


def reread_everything(layout: Stamp) -> bool:
    """Whether the render must read every page again, not only the changed ones."""
    return not layout.matches(layout_hash()) or RENDER_FAILED.exists()


def build() -> int:
    """Build the book strictly and export its notebooks; return how many chapters the render
    executed (0 when the cache held them all). Raise BuildError with a one-line reason."""
    from bookkit import cache, export
    from bookkit.notebook_md import ExportError

    inputs = Stamp(BUILD / ".nnbook-inputs.sha256")
    built = (HTML / "index.html").is_file()
    if built and inputs.matches(inputs_hash()):
        say("the book is up to date: nothing it reads has changed since the last build")
        return 0
    started = time.perf_counter()
    for line in cache.repair():
        say(line + "; its chapter runs again")
    stale = cache.stale_chapters()
    if stale:
        run_chapters(stale)
    # Sphinx re-reads only the pages whose source changed (and, through bookkit.sphinx_ext, those
    # whose chapter ran again). After a change to the toc (new neighbours, numbering) or the theme
    # fixes, every page is read again; and after a render with warnings too, since Sphinx would not
    # repeat the warnings of a page it does not read again.
    layout = Stamp(BUILD / ".nnbook-layout.sha256")
    everything = reread_everything(layout)
    say(
        "rendering the book with Sphinx, strictly: warnings are errors"
        + " (every page)" * everything
    )
    before = cache.record_ids()
    code = render(everything)
    executed = len(cache.record_ids() - before)
    if code != 0:
        RENDER_FAILED.touch()
        reports = FAILED_HTML / REPORTS.relative_to(HTML)
        kept = (
            f"{HTML.relative_to(ROOT)}/ still holds the last good build"
            if (HTML / "index.html").is_file()
            else "no HTML was written"
        )
        broken = sorted(
            p.name.removesuffix(".err.log") for p in reports.rglob("*.err.log")
        )
        if broken:
            raise BuildError(
                f"notebooks failed to execute: {', '.join(broken)} (logs in {reports}); {kept}"
            )
        raise BuildError(f"the render gave warnings or failed (see above); {kept}")
    RENDER_FAILED.unlink(missing_ok=True)
    RENDERED.write_text(json.dumps(cache.record_by_page()), encoding="utf-8")
    layout.write(layout_hash())
    try:
        written = export.export()
    # its source changed after its run: an edit during the build
    except LookupError as err:
        raise BuildError(
            f"{err}; did it change during the build? Build again"
        ) from None
    except ExportError as err:  # MyST the notebooks cannot show (bookkit.notebook_md)
        raise BuildError(f"exporting the notebooks: {err}") from None
    inputs.write(inputs_hash())  # after the build: the runs above changed the cache
    say(
        f"book built in {time.perf_counter() - started:.0f} s: {len(stale)} chapter(s) run, "
        f"{executed} executed by the render, {len(written)} notebooks exported; "
        f"open {HTML.relative_to(ROOT)}/index.html"
    )
    return executed
