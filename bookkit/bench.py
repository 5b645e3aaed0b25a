"""`python3 tasks.py bench [--baseline REV]...`: what the README's commands cost, measured on a copy
of the working tree that shares this environment; the table goes to _build/benchmark.md.

It times setup with nothing changed, the build from cold, with nothing changed, after an edit to
one chapter, and from a full execution cache (the render alone), and the test command from cold
with one and two workers. The chapters' own times come from the one-worker run (_build/timings/).
Two floors follow from them: the test command's, the chapters' total divided by the cores; and the
cold build's, that plus the render. `--baseline REV` also times the test command of an earlier
commit, for a before-and-after from one run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bookkit.cli import fail, say
from bookkit.paths import BENCH, BUILD, ROOT, digest

EDITED = "book/tensors.md"
EDIT_LINE = 'print(f"torch {torch.__version__}, running on {device}")'
SETUP_INPUTS = ("requirements.txt", "pyproject.toml")


def executed_counts(output: str) -> tuple[int, int]:
    """(chapters run, chapters executed by the render) from a build's last line."""
    found = re.findall(r"(\d+) chapter\(s\) run, (\d+) executed by the render", output)
    return (
        tuple(sum(int(pair[i]) for pair in found) for i in (0, 1)) if found else (0, 0)
    )


def copy_tree(rev: str | None, target: Path) -> None:
    """The working tree as it is (rev None), or an earlier commit, as a git repository of its
    own: the tests ask git for the tracked files."""
    if rev is None:
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
    else:
        target.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", rev], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(
            ["tar", "-x", "-C", str(target)], input=archive.stdout, check=True
        )
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench copy"]):
        subprocess.run([*git, *step], cwd=target, check=True)


def baseline_environment(tree: Path, folder: Path) -> Path:
    """This environment, hard-linked (instant, no copy of PyTorch), with a setup stamp that
    matches the earlier commit's requirements, so that its tasks.py installs nothing."""
    subprocess.run(["cp", "-al", sys.prefix, str(folder)], check=True)
    stamp = folder / ".nnbook-setup.sha256"
    # a new file: the hard link would change this environment's
    stamp.unlink(missing_ok=True)
    stamp.write_text(digest(*(tree / name for name in SETUP_INPUTS)) + "\n")
    return folder


def timed(
    label: str, tree: Path, *command: str, workers: int = 0, venv: str = sys.prefix
) -> tuple[float, str]:
    """Run `python3 tasks.py COMMAND` in `tree`; its seconds and output (kept in _build/bench/)."""
    say(f"bench: {label} ...")
    env = {**os.environ, "NNBOOK_VENV": venv}
    env["PYTHONPATH"] = str(tree)  # its own packages, also at an earlier commit
    env.pop("PYTEST_XDIST_AUTO_NUM_WORKERS", None)
    if workers:
        env["PYTEST_XDIST_AUTO_NUM_WORKERS"] = str(workers)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "tasks.py", *command],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seconds = time.perf_counter() - started
    log = BENCH / (re.sub(r"\W+", "-", label).strip("-") + ".log")
    log.write_text(result.stdout, encoding="utf-8")
    if result.returncode != 0:
        fail(f"bench: '{label}' failed after {seconds:.0f} s; its output is in {log}")
    say(f"bench: {label}: {seconds:.1f} s")
    return seconds, result.stdout


def edit_one_chapter(tree: Path) -> None:
    chapter = tree / EDITED
    text = chapter.read_text(encoding="utf-8")
    if EDIT_LINE not in text:
        fail(f"bench: {EDITED} no longer holds the line it edits: {EDIT_LINE}")
    chapter.write_text(
        text.replace(EDIT_LINE, f"{EDIT_LINE}  # an edit", 1), encoding="utf-8"
    )


def main(baselines: list[str]) -> None:
    BENCH.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="nnbook-bench-"))
    now, rows = work / "now", []
    copy_tree(None, now)

    def row(name: str, seconds: float, note: str = "") -> float:
        rows.append((name, seconds, note))
        return seconds

    def built(label: str) -> tuple[float, str]:
        seconds, output = timed(label, now, "build")
        run, executed = executed_counts(output)
        return seconds, f"{run} chapter(s) run, {executed} executed by the render"

    setups = [
        timed(f"setup, nothing changed ({i + 1} of 3)", now, "setup")[0]
        for i in range(3)
    ]
    row("setup, nothing changed (median of 3)", statistics.median(setups))
    cold_build = row("build from cold", *built("build from cold"))
    warm = [built(f"build, nothing changed ({i + 1} of 3)") for i in range(3)]
    row(
        "build, nothing changed (median of 3)",
        statistics.median(s for s, _ in warm),
        warm[0][1],
    )
    edit_one_chapter(now)
    row(
        f"build after editing one chapter ({EDITED})",
        *built("build after editing one chapter"),
    )
    shutil.rmtree(now / "_build" / "html")
    render = row(
        "build from a full execution cache (the render)", *built("render only")
    )
    tests = {}
    for workers in (1, 2):
        shutil.rmtree(now / "_build")
        label = f"test command from cold, {workers} worker(s)"
        tests[workers] = row(label, timed(label, now, "test", workers=workers)[0])
        if workers == 1:  # the chapters' own times, without a second worker beside them
            chapters = [
                json.loads(p.read_text(encoding="utf-8"))
                for p in sorted((now / "_build" / "timings").glob("*.json"))
            ]
    for number, baseline in enumerate(baselines):
        tree = work / f"baseline-{number}"
        copy_tree(baseline, tree)
        venv = baseline_environment(tree, work / f"venv-{number}")
        label = f"test command from cold at {baseline}, 2 workers"
        row(label, timed(label, tree, "test", workers=2, venv=str(venv))[0])
    cores = os.cpu_count() or 1
    floor = sum(c["total_seconds"] for c in chapters) / cores
    lines = [
        "| measurement | seconds | note |",
        "| --- | ---: | --- |",
        *(f"| {name} | {seconds:.1f} | {note} |" for name, seconds, note in rows),
        f"| test floor: the chapters' kernel starts, imports and computation / {cores} cores "
        f"| {floor:.1f} | |",
        f"| test command (2 workers) / test floor | {tests[2] / floor:.2f}× | |",
        f"| cold-build floor: test floor + the render | {floor + render:.1f} | |",
        f"| build from cold / cold-build floor | {cold_build / (floor + render):.2f}× | goal ≤ 1.3× |",
        "",
        "| chapter | kernel start (s) | first cell, imports (s) | computation (s) | total (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {c['page']} | {c['kernel_seconds']:.1f} | {c['first_cell_seconds']:.1f} | "
            f"{c['rest_seconds']:.1f} | {c['total_seconds']:.1f} |"
            for c in chapters
        ),
    ]
    report = BUILD / "benchmark.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    say(f"benchmark written to {report}; each step's output is in {BENCH}/")
