"""The README's commands: tasks.py gives clear one-line errors and skips setup when nothing changed."""

import subprocess
import sys
import time

from tests.booklib import ROOT


def tasks(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tasks.py"), *args], cwd=ROOT, capture_output=True, text=True
    )


def test_setup_is_a_quick_no_op_when_nothing_changed():
    started = time.perf_counter()
    result = tasks("setup")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    assert result.stdout == "", "an up-to-date environment must not be reinstalled"
    assert elapsed < 5, f"setup took {elapsed:.1f} s with nothing to do"


def test_unknown_command_gives_usage_in_one_line():
    result = tasks("bogus")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: usage: python3 tasks.py {setup,build,test")
    assert result.stderr.count("\n") == 1


def test_chapter_command_rejects_a_missing_file():
    result = tasks("chapter", "book/no_such_chapter.md")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no such file: book/no_such_chapter.md"
