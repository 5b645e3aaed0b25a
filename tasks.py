#!/usr/bin/env python3
"""One entry point for building and testing the book. Needs only Python 3.10+ and pip.

    python3 tasks.py build            set up .venv if needed, then build the book strictly
    python3 tasks.py test             set up, build, then run every test (chapters, lint, HTML)
    python3 tasks.py browser          set up, build, then test the HTML in headless Chromium
    python3 tasks.py chapter FILE...  run only these chapters under nbval (quick check while writing)
    python3 tasks.py format           fix the Python files with ruff; show what to fix in chapters
    python3 tasks.py linkcheck        check the book's external links (skipped, with a note, offline)
    python3 tasks.py setup            only create or update .venv
    python3 tasks.py clean            remove _build/ (the execution cache too)

Setup installs requirements.txt and this repo's helper package into .venv/. It records a hash of
requirements.txt and pyproject.toml, and does nothing while that hash is unchanged, so PyTorch is
installed once, not on every run. Set NNBOOK_VENV to keep the environment somewhere else.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("NNBOOK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".nnbook-setup.sha256"
SETUP_INPUTS = ("requirements.txt", "pyproject.toml")
BUILD_DIR = ROOT / "_build"
# -W: warnings are errors; -n: nitpicky cross-references; --keep-going: report them all.
BUILD_CMD = ["jupyter-book", "build", ".", "-W", "-n", "--keep-going"]
PYTEST_PARALLEL = ["-n", "auto", "--dist", "loadscope"]  # one notebook stays on one kernel
# The chapters run twice: from their MyST source, and as the exported notebooks Colab opens.
TEST_PATHS = ["tests", "book", "templates", "_build/notebooks"]
BROWSER_DIR = ROOT / "tests" / "browser"
CHROMIUM = Path(os.environ.get("NNBOOK_CHROMIUM", "/usr/bin/chromium"))


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def fail(msg: str) -> None:
    print(f"error: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def setup_hash() -> str:
    digest = hashlib.sha256()
    for name in SETUP_INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def setup() -> None:
    """Create or update the environment; skip all work while its inputs are unchanged."""
    wanted = setup_hash()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    started = time.perf_counter()
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say(
        "installing requirements.txt and the nnbook helper package (PyTorch takes a few minutes once)"
    )
    pip = [
        str(PYTHON),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
    ]
    result = subprocess.run([*pip, "-r", "requirements.txt", "-e", "."], cwd=ROOT)
    if result.returncode != 0:
        fail("pip could not install the requirements; see its message above")
    check = subprocess.run(
        [str(PYTHON), "-c", "import torch, torchvision, jupyter_book, nbval, nnbook"], cwd=ROOT
    )
    if check.returncode != 0:
        fail("the environment was installed but torch/torchvision/jupyter_book/nbval do not import")
    STAMP.write_text(wanted + "\n")
    say(f"environment ready in {time.perf_counter() - started:.0f} s")


def run(cmd: list[str], cwd: Path = ROOT, **env_extra: str) -> int:
    """Run a tool from the environment, with .venv/bin first on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **env_extra}
    return subprocess.run(cmd, cwd=cwd, env=env).returncode


def layout_hash() -> str:
    """Hash of what shapes every page: the toc, the config, and the book's Sphinx extension."""
    digest = hashlib.sha256()
    extension = ROOT / "nnbook"
    paths = [ROOT / "_toc.yml", ROOT / "_config.yml", extension / "sphinx_ext.py"]
    paths += sorted((extension / "sphinx_templates").iterdir()) + sorted(
        (extension / "sphinx_static").iterdir()
    )
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def failed_notebooks() -> list[str]:
    reports = BUILD_DIR / "html" / "reports"
    return sorted(p.name.removesuffix(".err.log") for p in reports.rglob("*.err.log"))


def build() -> None:
    setup()
    # Sphinx re-renders only the pages whose source changed, so after a change to the toc (new
    # neighbours, numbering) or the theme fixes, every page is written again. No chapter re-executes:
    # the execution cache is kept.
    stamp, layout = BUILD_DIR / ".nnbook-layout.sha256", layout_hash()
    rewrite = [] if stamp.is_file() and stamp.read_text().strip() == layout else ["--all"]
    say("building the book: " + " ".join(BUILD_CMD + rewrite))
    started = time.perf_counter()
    if run([str(BIN / BUILD_CMD[0]), *BUILD_CMD[1:], *rewrite]) != 0:
        broken = failed_notebooks()
        if broken:
            fail(f"notebooks failed to execute: {', '.join(broken)} (logs in _build/html/reports/)")
        fail("the book build failed or gave warnings; see the messages above")
    stamp.write_text(layout + "\n")
    if run([str(PYTHON), "-m", "nnbook.publishing", "export"]) != 0:
        fail("exporting the executed notebooks failed; see the message above")
    say(f"book built in {time.perf_counter() - started:.0f} s: open _build/html/index.html")


def test(pytest_args: list[str]) -> None:
    build()
    say("running the tests: chapters and exported notebooks under nbval, harness, lint, HTML")
    named_paths = any(not arg.startswith("-") for arg in pytest_args)
    paths = [] if named_paths else TEST_PATHS
    # pytest-xdist runs one worker, and so one chapter kernel, per core: give each one thread, or
    # PyTorch's default of one thread per core would put twice as many threads as cores to work.
    threads = os.environ.get("OMP_NUM_THREADS", "1")
    code = run(
        [str(PYTHON), "-m", "pytest", *PYTEST_PARALLEL, *paths, *pytest_args],
        OMP_NUM_THREADS=threads,
    )
    sys.exit(code)


def browser(pytest_args: list[str]) -> None:
    """Test the built book in Debian's Chromium, with axe-core and MathJax from the npm registry."""
    build()
    if not CHROMIUM.is_file():
        fail(f"Chromium is needed at {CHROMIUM}: sudo apt-get install chromium (.ci/run does this)")
    if shutil.which("npm") is None:
        fail("npm is needed to install axe-core and MathJax for the browser tests: install Node.js")
    lock = BROWSER_DIR / "package-lock.json"
    stamp = BROWSER_DIR / "node_modules" / ".nnbook-lock.sha256"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    if not stamp.is_file() or stamp.read_text().strip() != wanted:
        say("installing the browser tests' npm packages (npm ci)")
        if run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR) != 0:
            fail("npm ci failed in tests/browser; see its message above")
        stamp.write_text(wanted + "\n")
    say("testing the built book in headless Chromium; screenshots and axe reports go to artifacts/")
    sys.exit(run([str(PYTHON), "-m", "pytest", "-p", "no:xdist", "tests/browser", *pytest_args]))


def chapter(paths: list[str]) -> None:
    if not paths:
        fail("name at least one chapter, e.g. python3 tasks.py chapter book/tensors.md")
    missing = [p for p in paths if not (ROOT / p).is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    setup()
    sys.exit(run([str(PYTHON), "-m", "pytest", "-v", *paths]))


def format_code() -> None:
    """Fix the Python files in place; report what to fix by hand in the chapters' code cells.

    Chapters are only checked: writing them back through jupytext (as nbqa would) rewrites their
    front matter and cell options into jupytext's own layout.
    """
    setup()
    codes = [
        run([str(BIN / "ruff"), "check", "--fix", "."]),
        run([str(BIN / "ruff"), "format", "."]),
        run([str(BIN / "nbqa"), "ruff", "book", "templates"]),
        run([str(BIN / "nbqa"), "ruff format --diff", "book", "templates"]),
    ]
    sys.exit(max(codes))


def linkcheck() -> None:
    """Check every external link in the book; offline, say that the check was skipped."""
    import socket

    host = os.environ.get("NNBOOK_LINKCHECK_HOST", "github.com")
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError:
        say(f"external link check skipped: {host} cannot be reached from this machine (offline)")
        return
    setup()
    say("checking external links: jupyter-book build . --builder linkcheck")
    sys.exit(run([str(BIN / "jupyter-book"), "build", ".", "--builder", "linkcheck"]))


def clean() -> None:
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    say("removed _build/")


def main(argv: list[str]) -> None:
    commands = {
        "setup": lambda args: setup(),
        "build": lambda args: build(),
        "test": test,
        "browser": browser,
        "chapter": chapter,
        "format": lambda args: format_code(),
        "linkcheck": lambda args: linkcheck(),
        "clean": lambda args: clean(),
    }
    if not argv or argv[0] not in commands:
        fail(f"usage: python3 tasks.py {{{','.join(commands)}}} [args]")
    commands[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
