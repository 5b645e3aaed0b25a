"""The test command runs the same checks as the pre-commit hooks: ruff and codespell."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.booklib import ROOT


def test_pre_commit_hooks_pass():
    if not (ROOT / ".git").exists():
        pytest.fail("the lint test runs pre-commit, which needs a git checkout of the book")
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    pre_commit = shutil.which("pre-commit", path=env["PATH"])
    assert pre_commit, "pre-commit is not installed: run python3 tasks.py setup"
    result = subprocess.run(
        [pre_commit, "run", "--all-files", "--show-diff-on-failure", "--color", "never"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
