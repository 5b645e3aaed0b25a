#!/usr/bin/env python3
"""One entry point for building and testing the book. Needs only Python 3.10+ and pip.

    python3 tasks.py build     set up .venv/ if needed, then build the book into _build/html/
    python3 tasks.py test      set up, run every chapter and test, build strictly, test the build
    python3 tasks.py --help    every command (they live in bookkit/cli.py)

This file only prepares the environment. It installs requirements.txt (PyTorch and the book's two
packages, `nnbook` and `bookkit`) into .venv/, records a hash of requirements.txt and
pyproject.toml, and skips the install while that hash is unchanged. Then it hands the command to
`python -m bookkit` inside the environment. Set NNBOOK_VENV to keep the environment elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bookkit.cli import fail, parse, say
from bookkit.paths import ROOT, Stamp, digest

SETUP_INPUTS = [ROOT / "requirements.txt", ROOT / "pyproject.toml"]
IMPORTS = "import torch, torchvision, jupyter_book, nbval, nnbook, bookkit"


def environment() -> Path:
    """The virtual environment's folder: $NNBOOK_VENV, or .venv/ in the repository."""
    named = os.environ.get("NNBOOK_VENV")
    if named is not None and not named.strip():
        fail("NNBOOK_VENV is set but empty: unset it to use .venv/, or name a folder")
    return Path(named).expanduser().resolve() if named else ROOT / ".venv"


VENV = environment()
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def setup() -> None:
    """Create or update the environment; skip all work while its inputs are unchanged."""
    wanted, stamp = digest(*SETUP_INPUTS), Stamp(VENV / ".nnbook-setup.sha256")
    if PYTHON.exists() and stamp.matches(wanted):
        return
    started = time.perf_counter()
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=VENV.exists()).create(VENV)
    say("installing requirements.txt (PyTorch takes a few minutes, once)")
    pip = [
        str(PYTHON),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
    ]
    if subprocess.run([*pip, "-r", "requirements.txt"], cwd=ROOT).returncode != 0:
        fail("pip could not install the requirements; see its message above")
    if subprocess.run([str(PYTHON), "-c", IMPORTS], cwd=ROOT).returncode != 0:
        fail(
            f"the environment in {VENV} is broken: remove that folder and run this again"
        )
    stamp.write(wanted)
    say(f"environment ready in {time.perf_counter() - started:.0f} s")


def main(argv: list[str]) -> int:
    args, _ = parse(argv)  # a bad command line is answered before anything is installed
    setup()
    if args.command == "setup":
        return 0
    # The kernels and the build import this checkout's packages, whatever the environment holds;
    # every chapter runs on one thread everywhere, so its numbers do not depend on where it ran.
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        ),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }
    process = subprocess.Popen([str(PYTHON), "-m", "bookkit", *argv], cwd=ROOT, env=env)
    try:
        return process.wait()
    # the child got the same Ctrl-C: it stops, cleans up and says so
    except KeyboardInterrupt:
        return process.wait() or 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
