#!/usr/bin/env python3
"""One entry point for building and testing the book. Needs only Python 3.10+ and pip.

    python3 tasks.py build            set up .venv if needed, then build the book strictly
    python3 tasks.py test             set up, run the chapters, build, then run every other test
    python3 tasks.py browser          set up, build, then test the HTML in headless Chromium
    python3 tasks.py notebooks        set up, build, then run the exported (Colab) notebooks under nbval
    python3 tasks.py chapter FILE...  run only these chapters under nbval (quick check while writing)
    python3 tasks.py format           fix the Python files with ruff; show what to fix in chapters
    python3 tasks.py linkcheck        check the book's external links (skipped, with a note, offline)
    python3 tasks.py setup            only create or update .venv
    python3 tasks.py clean            remove _build/ (the execution cache too)
    python3 tasks.py bench            measure setup, build and test costs; write _build/benchmark.md

Setup installs requirements.txt and this repo's helper package into .venv/. It records a hash of
requirements.txt and pyproject.toml, and does nothing while that hash is unchanged, so PyTorch is
installed once, not on every run. Set NNBOOK_VENV to keep the environment somewhere else.
"""

from __future__ import annotations

import hashlib
import os
import re
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
# The test command runs the chapters from their MyST source, and beside them every test that does not
# read _build/. The chapters' outputs fill the execution cache, so the build renders them without
# running them again. The tests marked `needs_build` come last. The exported notebooks that Colab
# opens hold the same code cells (tests/test_publishing.py checks it); `tasks.py notebooks` runs
# them as they are, in CI and before they are published.
TEST_PATHS = ["book", "templates", "tests"]
BEFORE_BUILD = [*PYTEST_PARALLEL, *TEST_PATHS, "-m", "not needs_build"]
NOTEBOOK_PATHS = ["_build/notebooks"]
EXECUTED_LINE = "Executing notebook using"  # myst-nb's log line for each notebook it runs
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


def tool_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def run(cmd: list[str], cwd: Path = ROOT, **env_extra: str) -> int:
    """Run a tool from the environment, with .venv/bin first on PATH."""
    return subprocess.run(cmd, cwd=cwd, env=tool_env(**env_extra)).returncode


def run_counting(cmd: list[str], marker: str) -> tuple[int, int]:
    """Run a tool like `run`, showing its output as it comes; also count the lines with `marker`."""
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    count = 0
    for line in process.stdout:
        print(line, end="", flush=True)
        count += marker in line
    return process.wait(), count


def after_build_args() -> list[str]:
    """The tests of the built book take a few seconds: collect only the files that hold them, and
    run them in one process, since starting xdist's workers would cost more."""
    files = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "tests").glob("test_*.py")
        if "needs_build" in p.read_text(encoding="utf-8")
    )
    return ["-n", "0", *files, "-m", "needs_build"]


def pytest_process(args: list[str], **env_extra: str) -> subprocess.Popen:
    # pytest-xdist runs one worker, and so one chapter kernel, per core: give each one thread, or
    # PyTorch's default of one thread per core would put twice as many threads as cores to work.
    threads = os.environ.get("OMP_NUM_THREADS", "1")
    return subprocess.Popen(
        [str(PYTHON), "-m", "pytest", *args],
        cwd=ROOT,
        env=tool_env(OMP_NUM_THREADS=threads, **env_extra),
    )


def pytest(args: list[str]) -> int:
    return pytest_process(args).wait()


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


def inputs_hash() -> str:
    """Hash of everything a build reads: sources, figures, the helper package, the configuration,
    the environment's requirements and the execution cache's database."""
    digest = hashlib.sha256(setup_hash().encode())
    files = [ROOT / "_toc.yml", ROOT / "_config.yml", BUILD_DIR / ".jupyter_cache" / "global.db"]
    for folder in ("book", "images", "nnbook"):
        files += sorted(p for p in (ROOT / folder).rglob("*") if "__pycache__" not in p.parts)
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def executed_count(output: str) -> int:
    """How many notebooks the builds whose output this is executed (from build()'s summary line)."""
    return sum(int(n) for n in re.findall(r"(\d+) notebook\(s\) executed", output))


def failed_notebooks() -> list[str]:
    reports = BUILD_DIR / "html" / "reports"
    return sorted(p.name.removesuffix(".err.log") for p in reports.rglob("*.err.log"))


def build() -> int:
    """Set up, build the book strictly and export its notebooks; return how many it executed."""
    setup()
    inputs_stamp, inputs = BUILD_DIR / ".nnbook-inputs.sha256", inputs_hash()
    built = (BUILD_DIR / "html" / "index.html").is_file() and (BUILD_DIR / "notebooks").is_dir()
    if built and inputs_stamp.is_file() and inputs_stamp.read_text().strip() == inputs:
        say("the book is up to date: nothing it reads has changed since the last build")
        return 0
    # Sphinx re-renders only the pages whose source changed, so after a change to the toc (new
    # neighbours, numbering) or the theme fixes, every page is written again. No chapter re-executes:
    # the execution cache is kept.
    stamp, layout = BUILD_DIR / ".nnbook-layout.sha256", layout_hash()
    rewrite = [] if stamp.is_file() and stamp.read_text().strip() == layout else ["--all"]
    say("building the book: " + " ".join(BUILD_CMD + rewrite))
    started = time.perf_counter()
    code, executed = run_counting(
        [str(BIN / BUILD_CMD[0]), *BUILD_CMD[1:], *rewrite], EXECUTED_LINE
    )
    if code != 0:
        broken = failed_notebooks()
        if broken:
            fail(f"notebooks failed to execute: {', '.join(broken)} (logs in _build/html/reports/)")
        fail("the book build failed or gave warnings; see the messages above")
    stamp.write_text(layout + "\n")
    if run([str(PYTHON), "-m", "nnbook.publishing", "export"]) != 0:
        fail("exporting the executed notebooks failed; see the message above")
    inputs_stamp.write_text(inputs_hash() + "\n")  # after the build: execution fills the cache
    say(
        f"book built in {time.perf_counter() - started:.0f} s, {executed} notebook(s) executed "
        "(the others came from the execution cache): open _build/html/index.html"
    )
    return executed


def test(pytest_args: list[str]) -> None:
    setup()
    if any((ROOT / arg.split("::")[0]).exists() for arg in pytest_args):  # named tests only
        build()
        sys.exit(pytest([*PYTEST_PARALLEL, *pytest_args]))
    say("running every chapter under nbval (passing runs go to the execution cache for the build),")
    say("and beside them the tests of the harness, layout, checkers, lint and publishing setup;")
    say("once every chapter has passed, the book is built beside the tests still running")
    BUILD_DIR.mkdir(exist_ok=True)
    signal, log = BUILD_DIR / ".nnbook-chapters-passed", BUILD_DIR / "build.log"
    signal.unlink(missing_ok=True)
    tests = pytest_process([*BEFORE_BUILD, *pytest_args], NNBOOK_CHAPTERS_PASSED=str(signal))
    builder = None
    while tests.poll() is None:
        if builder is None and signal.exists():  # conftest.py's ChapterWatch created it
            with log.open("w", encoding="utf-8") as out:
                builder = subprocess.Popen(
                    [sys.executable, __file__, "build"], cwd=ROOT, stdout=out, stderr=out
                )
        time.sleep(0.2)
    code = builder.wait() if builder is not None else None  # a build is never left half done
    if tests.returncode != 0:
        built = "" if code is None else f"; the build that ran beside them: {log.relative_to(ROOT)}"
        fail(f"tests failed: the failing notebooks and tests are named above{built}")
    if code is None:
        executed = build()
    else:
        say("the book build, which ran beside the last tests, said:")
        output = log.read_text(encoding="utf-8")
        print(output, end="", flush=True)
        if code != 0:
            sys.exit(code)  # the build's one-line error is the last line of its output above
        executed = executed_count(output)
    selected = any(arg.startswith(("-k", "-m", "--deselect")) for arg in pytest_args)
    if executed and not selected:  # every chapter ran above, so none should be left to execute
        fail("the build executed chapters that the nbval run should have put in its cache")
    say("running the tests of the built book: HTML, time budgets, launch links, status page")
    sys.exit(pytest([*after_build_args(), *pytest_args]))


def notebooks(pytest_args: list[str]) -> None:
    """Run the exported notebooks, the ones that the Colab buttons open, under nbval as they are."""
    build()
    say("running the exported notebooks (_build/notebooks/) under nbval")
    sys.exit(pytest([*PYTEST_PARALLEL, *NOTEBOOK_PATHS, *pytest_args]))


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

    Chapters are only checked (nnbook/lint.py): writing them back through jupytext would rewrite
    their front matter and cell options into jupytext's own layout.
    """
    setup()
    codes = [
        run([str(BIN / "ruff"), "check", "--fix", "."]),
        run([str(BIN / "ruff"), "format", "."]),
        run([str(PYTHON), "-m", "nnbook.lint"]),
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


def bench(args: list[str]) -> None:
    """Measure the costs of the README's commands on a copy of this tree; write a Markdown table.

    `--baseline REV` (repeatable) also times the test command of an earlier commit, for a
    before-and-after from one run.
    """
    import json
    import statistics
    import tempfile

    baselines = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--baseline"]
    setup()
    work = Path(tempfile.mkdtemp(prefix="nnbook-bench-"))
    logs = BUILD_DIR / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "NNBOOK_VENV": str(VENV)}  # every copy shares this environment
    env.pop("PYTEST_XDIST_AUTO_NUM_WORKERS", None)  # what `-n auto` starts: set per step below

    def copy_tree(rev: str | None, target: Path) -> None:
        if rev is None:  # the working tree as it is, uncommitted changes included
            names = subprocess.run(
                ["git", "ls-files", "-co", "--exclude-standard", "-z"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split("\0")
            for name in filter(None, names):
                if (ROOT / name).is_file():
                    (target / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / name, target / name)
        else:  # an earlier commit, run with today's environment so that setup does not reinstall
            target.mkdir(parents=True)
            archive = subprocess.run(
                ["git", "archive", rev], cwd=ROOT, capture_output=True, check=True
            )
            subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
            for name in SETUP_INPUTS:
                shutil.copy2(ROOT / name, target / name)
        # A repository of its own: the lint and publishing tests ask git for the tracked files.
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
        for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench copy"]):
            subprocess.run([*git, *step], cwd=target, check=True)

    def timed(label: str, tree: Path, *command: str, workers: int = 0) -> tuple[float, str]:
        say(f"bench: {label} ...")
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "tasks.py", *command],
            cwd=tree,
            env={**env, "PYTEST_XDIST_AUTO_NUM_WORKERS": str(workers)} if workers else env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        seconds = time.perf_counter() - started
        log = logs / (re.sub(r"\W+", "-", label).strip("-") + ".log")
        log.write_text(result.stdout, encoding="utf-8")
        if result.returncode != 0:
            fail(f"bench: '{label}' failed after {seconds:.0f} s; its output is in {log}")
        say(f"bench: {label}: {seconds:.1f} s")
        return seconds, result.stdout

    copy_tree(None, work / "now")
    now, rows = work / "now", []
    setups = [timed(f"setup, nothing changed ({i + 1} of 3)", now, "setup")[0] for i in range(3)]
    rows.append(("setup, nothing changed (median of 3)", statistics.median(setups), ""))
    seconds, output = timed("build from cold", now, "build")
    rows.append(("build from cold", seconds, f"{executed_count(output)} notebooks executed"))
    warm = [timed(f"build, nothing changed ({i + 1} of 3)", now, "build") for i in range(3)]
    rows.append(
        (
            "build, nothing changed (median of 3)",
            statistics.median(s for s, _ in warm),
            f"{max(executed_count(o) for _, o in warm)} notebooks executed",
        )
    )
    chapter = now / "book" / "tensors.md"
    chapter.write_text(
        chapter.read_text(encoding="utf-8").replace(
            'print(f"torch {torch.__version__}, running on {device}")',
            'print(f"torch {torch.__version__}, running on {device}")  # an edit',
            1,
        ),
        encoding="utf-8",
    )
    seconds, output = timed("build after editing one chapter", now, "build")
    rows.append(
        (
            "build after editing one chapter (book/tensors.md)",
            seconds,
            f"{executed_count(output)} notebook(s) executed",
        )
    )
    tests = {}
    for workers in (1, 2):
        shutil.rmtree(now / "_build")
        tests[workers], _ = timed(
            f"test command from cold, {workers} worker(s)", now, "test", workers=workers
        )
        rows.append((f"test command from cold, {workers} worker(s)", tests[workers], ""))
        if workers == 1:  # the chapters' own times, measured without a second worker beside them
            chapters = [
                json.loads(p.read_text(encoding="utf-8"))
                for p in sorted((now / "_build" / "timings").glob("*.json"))
            ]
    for number, baseline in enumerate(baselines):
        tree = work / f"baseline-{number}"
        copy_tree(baseline, tree)
        seconds, _ = timed(
            f"test command from cold at {baseline}, 2 workers", tree, "test", workers=2
        )
        rows.append((f"test command from cold at {baseline} (before), 2 workers", seconds, ""))
    cores = os.cpu_count() or 1
    floor = sum(c["total_seconds"] for c in chapters) / cores
    lines = [
        "| measurement | seconds | note |",
        "| --- | ---: | --- |",
        *(f"| {name} | {seconds:.1f} | {note} |" for name, seconds, note in rows),
        f"| floor: the chapters' kernel starts, imports and computation, / {cores} cores | {floor:.1f} | |",
        f"| test command (2 workers) / floor | {tests[2] / floor:.2f}× | goal: at most 1.3× |",
        "",
        "| chapter | kernel start (s) | first cell, imports (s) | computation (s) | total (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {c['page']} | {c['kernel_seconds']:.1f} | {c['first_cell_seconds']:.1f} | "
            f"{c['rest_seconds']:.1f} | {c['total_seconds']:.1f} |"
            for c in chapters
        ),
    ]
    report = BUILD_DIR / "benchmark.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    say(f"benchmark written to {report}; each step's output is in {logs}/")


def main(argv: list[str]) -> None:
    commands = {
        "setup": lambda args: setup(),
        "build": lambda args: build(),
        "test": test,
        "browser": browser,
        "notebooks": notebooks,
        "chapter": chapter,
        "format": lambda args: format_code(),
        "linkcheck": lambda args: linkcheck(),
        "clean": lambda args: clean(),
        "bench": bench,
    }
    if not argv or argv[0] not in commands:
        fail(f"usage: python3 tasks.py {{{','.join(commands)}}} [args]")
    commands[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
