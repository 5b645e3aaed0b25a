"""The commands behind tasks.py, run inside the book's environment: `python -m bookkit COMMAND`.

`parser()` needs only the standard library, so tasks.py checks the command line before it sets the
environment up; every command imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from bookkit.paths import (
    ARTIFACTS,
    BROWSER_TESTS,
    BUILD,
    CHROMIUM,
    NOTEBOOKS,
    ROOT,
    Stamp,
)

# Tests that need no build run beside the chapters; the tests of the built book run after it.
BEFORE_BUILD = ["book", "templates", "tests/exercises", "tests/tooling"]
AFTER_BUILD = ["tests/built"]
NO_TESTS_COLLECTED = 5  # pytest's exit code when nothing matched

COMMANDS = {
    "setup": "only create or update the environment (.venv/)",
    "build": "build the book strictly into _build/html/, running only the chapters that changed",
    "test": "run every chapter and test, build the book strictly, test the built book",
    "chapter": "run only these chapters under nbval (a quick check while writing)",
    "notebooks": "build, then run the exported (Colab) notebooks under nbval",
    "browser": "build, then test the HTML in headless Chromium",
    "lint": "run the pre-commit hooks (ruff, the chapters' code cells, codespell) on every file",
    "format": "fix the Python files with ruff; show what to fix in the chapters",
    "linkcheck": "check the book's external links (skipped, with a note, offline)",
    "clean": "remove _build/ (the execution cache too)",
    "bench": "measure setup, build and test costs on a copy of the tree",
}
# Commands that write _build/: one at a time per checkout (a second one stops at once).
# `chapter` is not one: it only adds runs to the execution cache, under the cache's own lock.
WRITES_BUILD = {"build", "test", "notebooks", "browser", "clean", "bench"}
# the rest of the line goes to pytest
TAKES_PYTEST_ARGS = {
    "test",
    "notebooks",
    "browser",
}


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python3 tasks.py",
        description="Build and test the book 'Neural Networks, executed'.",
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub = {
        name: commands.add_parser(name, help=text, description=text)
        for name, text in COMMANDS.items()
    }
    pytest_args = "Other arguments go to pytest, e.g. -k tensors, or test files to run."
    for name in TAKES_PYTEST_ARGS:
        sub[name].epilog = pytest_args
    sub["chapter"].add_argument(
        "files",
        nargs="*",
        metavar="FILE.md",
        help="chapters in book/ (none: every chapter)",
    )
    sub["chapter"].add_argument(
        "--compare",
        action="store_true",
        help="run them again and fail where the output differs from their cached runs"
        " (a determinism check; .ci/run does it after the tests)",
    )
    sub["bench"].add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="REV",
        help="also time the test command at this earlier commit (repeatable)",
    )
    return main


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The command and its options, and the arguments for pytest; a clear error for the rest."""
    main = parser()
    args, extra = main.parse_known_args(argv)
    if extra and args.command not in TAKES_PYTEST_ARGS:
        main.error(f"{args.command} takes no arguments {' '.join(extra)}")
    return args, extra


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def fail(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def pytest(paths: list[str], extra: list[str], *, parallel: bool = True) -> int:
    from bookkit.build import PYTEST_INTERRUPTED, pytest_command

    command = pytest_command(paths, *extra)
    if not parallel:
        command = [sys.executable, "-m", "pytest", "-p", "no:xdist", *paths, *extra]
    code = subprocess.run(command, cwd=ROOT).returncode
    if code == PYTEST_INTERRUPTED:
        raise KeyboardInterrupt
    return code


def build() -> int:
    from bookkit.build import BuildError, build

    try:
        return build()
    except BuildError as err:
        fail(str(err))
    except PermissionError as err:  # a read-only _build/, or a file in it
        fail(
            f"cannot write {err.filename}: {BUILD.relative_to(ROOT)}/ is read-only; make it writable"
        )


# pytest options whose value is the next argument, so that value names no test to run.
TAKES_A_VALUE = {
    "-k",
    "-m",
    "-p",
    "-o",
    "-n",
    "-c",
    "--deselect",
    "--ignore",
    "--ignore-glob",
    "--dist",
    "--maxfail",
    "--junitxml",
    "--rootdir",
    "--durations",
}


def named_tests(extra: list[str]) -> list[str]:
    """The test files or node ids among pytest's arguments (not an option's value)."""
    return [
        arg
        for before, arg in zip(["", *extra], extra, strict=False)
        if before not in TAKES_A_VALUE
        and not arg.startswith("-")
        and (ROOT / arg.split("::")[0]).exists()
    ]


def test(extra: list[str]) -> None:
    # only the named tests, after a build (some of them may read _build/)
    if named_tests(extra):
        build()
        sys.exit(pytest([], extra))
    say(
        "1 of 3: every chapter under nbval (each passing run fills the execution cache),"
    )
    say(
        "        with the tests of the exercises, the harness, the layout and the tooling"
    )
    code = pytest(BEFORE_BUILD, extra)
    if code == NO_TESTS_COLLECTED:
        fail(f"no test matched {' '.join(extra)}")
    if code != 0:
        fail("tests failed: pytest lists them above, under 'short test summary info'")
    say("2 of 3: the strict build, which renders the runs above")
    executed = build()
    if executed and not any(a.startswith(("-k", "-m", "--deselect")) for a in extra):
        fail(
            f"the build executed {executed} chapter(s) that the nbval runs should have cached"
        )
    say(
        "3 of 3: the tests of the built book: HTML, time budgets, launch links, status page"
    )
    # a few seconds: no workers to start
    code = pytest(AFTER_BUILD, extra, parallel=False)
    sys.exit(0 if code == NO_TESTS_COLLECTED else code)


def notebooks(extra: list[str]) -> None:
    import jupytext

    from bookkit.book import chapters
    from bookkit.pytest_plugin import cell_timeout

    build()
    say(f"running the exported notebooks ({NOTEBOOKS.relative_to(ROOT)}/) under nbval")
    # nbval's own collector runs them: one limit for all, the longest any chapter's cell has
    limit = max(cell_timeout(jupytext.read(p).metadata)[0] for p in chapters())
    extra = [f"--nbval-cell-timeout={limit:g}", *extra]
    sys.exit(pytest([NOTEBOOKS.relative_to(ROOT).as_posix()], extra))


def browser(extra: list[str]) -> None:
    build()
    if not CHROMIUM.is_file():
        fail(
            f"Chromium is needed at {CHROMIUM}: apt-get install chromium (.ci/run does this)"
        )
    if shutil.which("npm") is None:
        fail(
            "npm is needed to install axe-core and MathJax for the browser tests: install Node.js"
        )
    lock = hashlib.sha256(
        (BROWSER_TESTS / "package-lock.json").read_bytes()
    ).hexdigest()
    stamp = Stamp(BROWSER_TESTS / "node_modules" / ".nnbook-lock.sha256")
    if not stamp.matches(lock):
        say("installing the browser tests' npm packages (npm ci)")
        if subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_TESTS
        ).returncode:
            fail("npm ci failed in tests/browser; see its message above")
        stamp.write(lock)
    say(f"testing the built book in headless Chromium; screenshots go to {ARTIFACTS}/")
    sys.exit(pytest(["tests/browser"], extra, parallel=False))


def chapter_files(files: list[str]) -> list[str]:
    """The chapters that `chapter FILES` runs: those named (each checked), or every chapter in
    the toc (what the GPU job in ci.yml runs)."""
    from bookkit.book import chapters, is_myst_notebook

    files = files or [p.relative_to(ROOT).as_posix() for p in chapters()]
    for name in files:
        path = ROOT / name
        if not path.is_file():
            fail(f"no such file: {name}")
        if not is_myst_notebook(path) or "{code-cell}" not in path.read_text(
            encoding="utf-8"
        ):
            fail(
                f"{name} is not a chapter: it has no jupytext myst header and code cells"
            )
    return files


def chapter(files: list[str], compare: bool = False) -> None:
    files = chapter_files(files)
    sys.exit(pytest(files, ["-v", *["--nnbook-compare"] * compare]))


def lint() -> None:
    say("running the pre-commit hooks on every file")
    sys.exit(
        subprocess.run(
            ["pre-commit", "run", "--all-files", "--show-diff-on-failure"]
        ).returncode
    )


def format_code() -> None:
    """Fix the Python files and format the chapters' code cells in place; report what is left
    to fix by hand (bookkit.lint edits only the code lines, never the rest of a chapter)."""
    codes = [
        subprocess.run(["ruff", "check", "--fix", "."], cwd=ROOT).returncode,
        subprocess.run(["ruff", "format", "."], cwd=ROOT).returncode,
        subprocess.run(
            [sys.executable, "-m", "bookkit.lint", "--fix"], cwd=ROOT
        ).returncode,
    ]
    sys.exit(max(codes))


def linkcheck() -> None:
    """Check every external link in the book; offline, say that the check was skipped."""
    import os

    host = os.environ.get("NNBOOK_LINKCHECK_HOST", "github.com")
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError:
        say(
            f"external link check skipped: {host} cannot be reached from this machine (offline)"
        )
        return
    say("checking external links: jupyter-book build . --builder linkcheck")
    sys.exit(
        subprocess.run(
            ["jupyter-book", "build", ".", "--builder", "linkcheck"]
        ).returncode
    )


def clean() -> None:
    shutil.rmtree(BUILD, ignore_errors=True)
    say(f"removed {BUILD.relative_to(ROOT)}/")


# set while held: the command's own subprocesses share it
LOCK_ENV = "NNBOOK_BUILD_LOCK"
_held = []  # the lock lives as long as this process


def lock_path() -> Path:
    """The lock of this checkout's _build/. It lives in the temporary folder, named after the
    checkout, since `clean` removes _build/ itself."""
    import tempfile

    name = hashlib.sha256(str(ROOT).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"nnbook-{name}.lock"


def exclusive(command: str) -> None:
    """Hold the lock while `command` writes _build/, so that two commands never write it at once;
    a second one stops at once with one line. Subprocesses of the holder (pytest's workers, the
    tests of the tooling) run under its lock."""
    import os

    from filelock import FileLock, Timeout

    path = lock_path()
    if os.environ.get(LOCK_ENV) == str(path):
        return
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        fail(
            f"another tasks.py command is writing {BUILD.relative_to(ROOT)}/ in this checkout;"
            f" wait for it to finish (or stop it), then run {command} again"
        )
    _held.append(lock)
    os.environ[LOCK_ENV] = str(path)


def main(argv: list[str]) -> None:
    args, extra = parse(argv)
    if args.command in WRITES_BUILD:
        exclusive(args.command)
    if args.command == "bench":
        from bookkit import bench

        bench.main(args.baseline)
    elif args.command == "chapter":
        chapter(args.files, compare=args.compare)
    elif args.command in TAKES_PYTEST_ARGS:
        {"test": test, "notebooks": notebooks, "browser": browser}[args.command](extra)
    elif args.command == "build":
        build()
    else:
        {
            "lint": lint,
            "format": format_code,
            "linkcheck": linkcheck,
            "clean": clean,
            "setup": lambda: None,
        }[args.command]()
