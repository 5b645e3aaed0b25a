"""The README's commands: tasks.py answers a bad command line in one line before it does anything,
and skips setup when nothing changed."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bookkit.paths import BUILD, ROOT


def tasks(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`python3 tasks.py ARGS`, with these environment variables set as well."""
    return subprocess.run(
        [sys.executable, str(ROOT / "tasks.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )


def test_setup_is_a_quick_no_op_when_nothing_changed():
    started = time.perf_counter()
    result = tasks("setup")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "an up-to-date environment must not be reinstalled"
    assert elapsed < 5, f"setup took {elapsed:.1f} s with nothing to do"


@pytest.mark.parametrize(
    "args, message",
    [
        (["bogus"], "invalid choice: 'bogus'"),
        (["build", "--bogus-flag"], "build takes no arguments --bogus-flag"),
        (["clean", "extra"], "clean takes no arguments extra"),
    ],
)
def test_a_bad_command_line_gets_one_error_line(args, message):
    result = tasks(*args)
    assert result.returncode == 2
    assert message in result.stderr.splitlines()[-1], result.stderr


@pytest.mark.parametrize("command", ["clean", "build", "test"])
def test_help_only_explains(command):
    """`clean --help` must not delete _build/ (the execution cache), nor `build --help` build."""
    marker = BUILD / ".nnbook-inputs.sha256"
    before = marker.stat().st_mtime_ns if marker.exists() else None
    result = tasks(command, "--help")
    assert result.returncode == 0 and result.stdout.startswith(
        "usage: python3 tasks.py " + command
    )
    assert (marker.stat().st_mtime_ns if marker.exists() else None) == before


@pytest.mark.parametrize(
    "path, message",
    [
        ("book/no_such_chapter.md", "error: no such file: book/no_such_chapter.md"),
        ("book/glossary.md", "error: book/glossary.md is not a chapter"),
        ("tasks.py", "error: tasks.py is not a chapter"),
    ],
)
def test_chapter_command_names_what_is_wrong(path, message):
    result = tasks("chapter", path)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(message), result.stderr


def test_only_test_files_and_node_ids_count_as_named_tests():
    from bookkit.cli import named_tests

    node = (
        "tests/tooling/test_tasks.py::test_setup_is_a_quick_no_op_when_nothing_changed"
    )
    assert named_tests(["-x", "tests/tooling/test_tasks.py", "-k", "tensors"]) == [
        "tests/tooling/test_tasks.py"
    ]
    assert named_tests(["--deselect", node, "-k", "book"]) == [], (
        "an option's value names no test"
    )
    assert named_tests([node]) == [node]


def test_an_empty_nnbook_venv_is_an_error_not_a_venv_in_the_repository():
    result = tasks("setup", NNBOOK_VENV="")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: NNBOOK_VENV is set but empty")
    assert not (ROOT / "pyvenv.cfg").exists(), (
        "a virtual environment in the repository root"
    )


def test_a_read_only_build_folder_is_named(monkeypatch, capsys):
    from bookkit import build, cli

    def read_only():
        raise PermissionError(
            13, "Permission denied", str(BUILD / "html" / "index.html")
        )

    monkeypatch.setattr(build, "build", read_only)
    with pytest.raises(SystemExit):
        cli.build()
    assert capsys.readouterr().err.strip() == (
        f"error: cannot write {BUILD / 'html' / 'index.html'}: _build/ is read-only; make it writable"
    )


def _as_at_a_terminal() -> None:
    """A command typed at a terminal starts with Ctrl-C's default action, whatever this test's
    own process inherited (a worker started in the background may ignore SIGINT, and a child
    keeps an ignored signal ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.expected_seconds(5)
def test_ctrl_c_stops_a_command_with_one_line():
    """Ctrl-C reaches the whole process group: pytest and the command, which says that it was
    interrupted instead of showing a traceback."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tasks.py"), "chapter", "book/mnist1d.md"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_as_at_a_terminal,
    )
    # Interrupt while the chapter's cells run (most of a minute), not at a fixed time,
    # which a loaded machine may not have reached yet.
    shown = []
    for line in process.stdout:
        shown.append(line)
        if "::Cell 0 PASSED" in line:
            break
    assert process.poll() is None, "the command ended early:\n" + "".join(shown)[-1500:]
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    seen = f"stdout:\n{''.join(shown)}{stdout}"[-1500:] + f"\nstderr:\n{stderr[-1500:]}"
    assert process.returncode == 130, seen
    assert stderr.strip().splitlines()[-1] == "error: interrupted", seen


def test_a_second_build_stops_at_once_while_one_is_writing():
    """Two commands never write _build/ at once: the second says so in one line and stops."""
    from filelock import FileLock, Timeout

    from bookkit.cli import LOCK_ENV, lock_path

    env = {k: v for k, v in os.environ.items() if k != LOCK_ENV}
    lock = FileLock(lock_path(), timeout=0)
    try:
        lock.acquire()  # as a running build holds it
    except Timeout:
        pass  # under the test command, the command running this test holds it already
    try:
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, str(ROOT / "tasks.py"), "build"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
        )
    finally:
        lock.release()
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: another tasks.py command is writing _build/ in this checkout; wait for it to"
        " finish (or stop it), then run build again"
    )
    assert time.perf_counter() - started < 30


def test_the_benchmark_stops_when_its_edit_would_not_happen(tmp_path):
    """bench times a build after an edit to one chapter; an edit that matched nothing would time
    a no-op build, so it stops instead."""
    from bookkit import bench

    chapter = tmp_path / bench.EDITED
    chapter.parent.mkdir(parents=True)
    chapter.write_text(f"x\n{bench.EDIT_LINE}\n", encoding="utf-8")
    bench.edit_one_chapter(tmp_path)
    assert chapter.read_text(encoding="utf-8") == f"x\n{bench.EDIT_LINE}  # an edit\n"
    chapter.write_text("print('the line has changed')\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        bench.edit_one_chapter(tmp_path)


def test_link_check_offline_says_it_was_skipped():
    result = tasks("linkcheck", NNBOOK_LINKCHECK_HOST="unreachable.invalid")
    assert result.returncode == 0
    assert (
        "external link check skipped: unreachable.invalid cannot be reached"
        in result.stdout
    )


def test_the_gpu_job_runs_every_chapter_that_the_tests_run():
    """ci.yml's GPU job runs `tasks.py chapter`: the same chapters, cell for cell, that the CPU
    test command collects from book/."""
    import shlex

    import yaml

    from bookkit import cli

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    argv = shlex.split(workflow["jobs"]["gpu"]["steps"][-1]["run"])
    assert argv[:2] == ["python3", "tasks.py"], argv
    args, extra = cli.parse(argv[2:])
    assert args.command == "chapter" and not extra

    def collected(*paths: str) -> set[str]:
        pytest = [sys.executable, "-m", "pytest", "-p", "no:xdist", "--collect-only"]
        result = subprocess.run(
            [*pytest, "-q", *paths],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return {line for line in result.stdout.splitlines() if "::Cell " in line}

    gpu = collected(*cli.chapter_files(args.files))
    assert gpu, "the GPU job collects no chapter"
    assert gpu == collected("book"), "the GPU job and the CPU tests run other chapters"


@pytest.mark.expected_seconds(25)
def test_a_clone_runs_its_own_package_in_a_shared_environment(tmp_path):
    """With NNBOOK_VENV shared between checkouts, a chapter imports its own checkout's nnbook,
    not the one the environment was installed from: a clone whose checkers all fail fails."""
    import shutil

    clone = tmp_path / "clone"
    shutil.copytree(
        ROOT,
        clone,
        ignore=shutil.ignore_patterns(
            ".venv", "_build", ".git", "node_modules", "artifacts"
        ),
    )
    checks = clone / "nnbook" / "checks.py"
    text = checks.read_text(encoding="utf-8")
    checks.write_text(
        text + '\nraise RuntimeError("the clone\'s own checks")\n', "utf-8"
    )
    venv = Path(sys.executable).parents[1]
    result = subprocess.run(
        [sys.executable, str(clone / "tasks.py"), "chapter", "book/neuron.md"],
        cwd=clone,
        capture_output=True,
        text=True,
        env={**os.environ, "NNBOOK_VENV": str(venv)},
    )
    assert result.returncode != 0, (
        "the chapter ran this checkout's package, not the clone's"
    )
    assert "the clone's own checks" in result.stdout
