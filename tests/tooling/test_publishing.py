"""Publishing and launching, checked offline: the execution cache, Binder, the workflows."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bookkit import book, cache
from bookkit.paths import CACHE, RENDERED, ROOT, under
from tests.booklib import MYST_HEADER

BIN = Path(sys.executable).parent
URL, _, _ = book.repository(ROOT)


TINY_PAGE = (
    MYST_HEADER
    + """# Tiny

```{code-cell} ipython3
print(1 + 1)
```

```{code-cell} ipython3
:tags: [skip-execution, nbval-skip]
x = ...
```
"""
)
TINY_SOURCES = ["print(1 + 1)", "x = ..."]
LANGUAGE = {"name": "python", "pygments_lexer": "ipython3"}


@pytest.fixture
def tiny_book(tmp_path) -> Path:
    """A book of one chapter, book/tiny.md, with its toc."""
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "tiny.md").write_text(TINY_PAGE, encoding="utf-8")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/tiny\n", encoding="utf-8"
    )
    return tmp_path


def store_run(
    root: Path, printed: str = "2\n", sources: list[str] = TINY_SOURCES
) -> bool:
    """Put a run of book/tiny.md that printed `printed` into the cache, as a test run does."""
    output = {"output_type": "stream", "name": "stdout", "text": printed}
    return cache.store_execution(
        "book/tiny", sources, [[output], None], LANGUAGE, 1.5, root
    )


def test_a_test_run_goes_into_the_execution_cache_the_build_reads(tiny_book):
    """The test command's nbval run fills the build's cache (bookkit.pytest_plugin)."""
    output = {"output_type": "stream", "name": "stdout", "text": "2\n"}
    assert not store_run(tiny_book, sources=["print(2)", "x = ..."]), (
        "not the page's cells"
    )
    with pytest.raises(LookupError, match=r"book/tiny\.md has no executed copy"):
        cache.executed_notebook("book/tiny", tiny_book)
    assert store_run(tiny_book)
    notebook = cache.executed_notebook("book/tiny", tiny_book)
    ran, skipped = (c for c in notebook["cells"] if c["cell_type"] == "code")
    assert ran["outputs"] == [output] and ran["execution_count"] == 1
    assert skipped["outputs"] == [] and skipped["execution_count"] is None
    assert notebook["metadata"]["language_info"] == LANGUAGE


def test_an_error_is_stored_as_one_line_without_the_machines_paths(tiny_book):
    """A raises-exception cell's output keeps `ename: evalue`, not the frames (and paths) of
    the machine that ran it; other outputs are stored as they came."""
    error = {
        "output_type": "error",
        "ename": "RuntimeError",
        "evalue": "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
        "traceback": [
            "\x1b[31m---------------------------------------------------------\x1b[39m",
            "\x1b[31mRuntimeError\x1b[39m  Traceback (most recent call last)",
            f"File \x1b[32m{sys.prefix}/lib/site-packages/torch/nn/modules/module.py\x1b[39m",
            "\x1b[31mRuntimeError\x1b[39m: mat1 and mat2 shapes cannot be multiplied",
        ],
    }
    printed = {"output_type": "stream", "name": "stdout", "text": "2\n"}
    assert cache.store_execution(
        "book/tiny", TINY_SOURCES, [[printed, error], None], LANGUAGE, 1.5, tiny_book
    )
    notebook = cache.executed_notebook("book/tiny", tiny_book)
    ran = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    assert ran["outputs"][0] == printed
    stored = ran["outputs"][1]
    assert stored["traceback"] == [
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"
    ]
    assert (stored["ename"], stored["evalue"]) == (error["ename"], error["evalue"])


def test_a_page_whose_chapter_ran_again_is_read_again(tiny_book):
    """A chapter run after the last render (tasks.py chapter) changes the cache but not the .md:
    the render must read that page again, so the HTML shows the run the notebooks show."""
    from bookkit.sphinx_ext import pages_with_new_runs

    assert store_run(tiny_book)
    rendered = under(tiny_book, RENDERED)
    rendered.write_text(json.dumps(cache.record_by_page(tiny_book)), encoding="utf-8")
    assert pages_with_new_runs(tiny_book) == [], "nothing ran since the render"
    assert store_run(tiny_book, "2, again\n")
    assert pages_with_new_runs(tiny_book) == ["book/tiny"]


def test_a_chapter_without_a_cached_run_is_run_by_the_build(tiny_book):
    """With the cache deleted (or never filled) the build runs the chapters it lacks, rather than
    telling the reader to build first."""
    assert cache.stale_chapters(tiny_book) == [tiny_book / "book" / "tiny.md"]
    assert store_run(tiny_book)
    assert cache.stale_chapters(tiny_book) == []


def test_a_change_to_a_checker_reruns_the_chapters_that_use_it(tmp_path):
    """A run is keyed on the book-package modules its chapter imports, not on its code alone:
    editing a checker re-runs the chapters that import it (directly or through another module),
    and no other."""
    package = {
        "nnbook/__init__.py": "",
        "nnbook/checks.py": "def close(a, b): ...\n",
        "nnbook/exercises/__init__.py": "",
        "nnbook/exercises/a.py": "from ..checks import close\n",
        "nnbook/exercises/b.py": "MESSAGE = 'b'\n",
    }
    for name, text in package.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    pages = {"a": "from nnbook.exercises import a", "b": "import nnbook.exercises.b"}
    for page, code in pages.items():
        (tmp_path / "book").mkdir(exist_ok=True)
        (tmp_path / "book" / f"{page}.md").write_text(
            MYST_HEADER + f"# {page}\n\n```{{code-cell}} ipython3\n{code}\n```\n",
            encoding="utf-8",
        )
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/a\nchapters:\n- file: book/b\n", encoding="utf-8"
    )
    for page, code in pages.items():
        assert cache.store_execution(
            f"book/{page}", [code], [[]], LANGUAGE, 1.0, tmp_path
        )
    assert cache.stale_chapters(tmp_path) == []

    def stale() -> list[str]:
        return [path.stem for path in cache.stale_chapters(tmp_path)]

    (tmp_path / "nnbook/checks.py").write_text("def close(a, b): 0\n", encoding="utf-8")
    assert stale() == ["a"], "a imports checks through nnbook.exercises.a"
    (tmp_path / "nnbook/exercises/b.py").write_text("MESSAGE = 'B'\n", encoding="utf-8")
    assert stale() == ["a", "b"]
    assert cache.store_execution("book/a", [pages["a"]], [[]], LANGUAGE, 1.0, tmp_path)
    assert stale() == ["b"], "a run with today's inputs is current again"
    (tmp_path / "requirements.txt").write_text("torch==9\n", encoding="utf-8")
    assert stale() == ["a", "b"], "a change of requirements re-runs every chapter"


def test_a_second_run_is_compared_with_the_cached_one(tiny_book):
    """The determinism check (tasks.py chapter --compare) finds a cell that prints something
    else on a second run, skips cells tagged nbval-ignore-output, and never passes silently
    when there is nothing to compare with."""
    page = "book/tiny"

    def run(printed: str) -> list:
        return [[{"output_type": "stream", "name": "stdout", "text": printed}], None]

    with pytest.raises(LookupError, match="no cached run of this code and inputs"):
        cache.differences(page, TINY_SOURCES, run("2\n"), tiny_book)
    assert store_run(tiny_book)
    assert cache.differences(page, TINY_SOURCES, run("2\n"), tiny_book) == []
    assert cache.differences(page, TINY_SOURCES, run("3\n"), tiny_book) == [
        (0, "2\n", "3\n")
    ]
    chapter = tiny_book / "book" / "tiny.md"
    text = chapter.read_text(encoding="utf-8")
    tagged = text.replace(
        "```{code-cell} ipython3\nprint",
        "```{code-cell} ipython3\n:tags: [nbval-ignore-output]\nprint",
    )
    assert tagged != text
    chapter.write_text(tagged, encoding="utf-8")
    assert store_run(tiny_book)
    assert cache.differences(page, TINY_SOURCES, run("3\n"), tiny_book) == []


def test_a_failed_render_keeps_the_last_good_html(tmp_path, monkeypatch):
    """Readers open _build/html: a render that fails must not leave half-written pages there.
    It goes to _build/html-failed/ (with its reports); a passing one replaces _build/html/."""
    import jupyter_book.sphinx

    from bookkit import build

    def fake_sphinx(root, outdir, **options):
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "page.html").write_text(passes["text"], encoding="utf-8")
        return 0 if passes["ok"] else 1

    monkeypatch.setattr(jupyter_book.sphinx, "build_sphinx", fake_sphinx)
    html = tmp_path / "_build" / "html"
    passes = {"ok": True, "text": "good"}
    assert build.render(False, tmp_path) == 0
    assert (html / "page.html").read_text(encoding="utf-8") == "good"
    passes.update(ok=False, text="blank numbers")
    assert build.render(False, tmp_path) == 1
    assert (html / "page.html").read_text(encoding="utf-8") == "good"
    failed = tmp_path / "_build" / "html-failed" / "page.html"
    assert failed.read_text(encoding="utf-8") == "blank numbers"
    passes.update(ok=True, text="better")
    assert build.render(False, tmp_path) == 0
    assert (html / "page.html").read_text(encoding="utf-8") == "better"
    assert not failed.exists(), "a failed render's pages are gone once one passes"


def test_a_damaged_cache_is_repaired_in_one_line_each(tiny_book):
    """A damaged run is dropped (its chapter runs again); an unreadable database is removed."""
    assert store_run(tiny_book)
    folder = under(tiny_book, CACHE)
    assert cache.repair(tiny_book) == [], "an intact cache is left alone"
    (notebook,) = folder.rglob("*.ipynb")
    notebook.write_text("{ not json", encoding="utf-8")
    (line,) = cache.repair(tiny_book)
    assert (
        line.startswith("the cached run of tiny.md was unreadable (")
        and "\n" not in line
    )
    assert cache.record_by_page(tiny_book) == {}, "the damaged run is gone"
    (folder / "global.db").write_bytes(b"garbage, not a database" * 100)
    (line,) = cache.repair(tiny_book)
    assert line.startswith("the execution cache's database was unreadable")
    assert not folder.exists()


def test_after_a_render_with_warnings_every_page_is_read_again(tmp_path, monkeypatch):
    """Sphinx does not repeat the warnings of a page it does not read again, so after a failed
    render the next one reads every page, and fails for as long as a warning is left."""
    from bookkit import build
    from bookkit.paths import Stamp

    layout = Stamp(tmp_path / "layout.sha256")
    layout.write(build.layout_hash())
    monkeypatch.setattr(build, "RENDER_FAILED", tmp_path / "failed")
    assert not build.reread_everything(layout)
    (tmp_path / "failed").touch()
    assert build.reread_everything(layout)


def test_repository_url_is_set_in_one_place():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    mentions = [
        name
        for name in tracked.split()
        if (ROOT / name).is_file()
        and URL in (ROOT / name).read_text(encoding="utf-8", errors="ignore")
    ]
    assert mentions == ["_config.yml"], (
        f"the repository URL is spelled out in {mentions}"
    )
    assert "repository.url" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_binder_installs_cpu_torch_and_jupyterlab():
    """binder/ serves Thebe on main and, copied by the export, the notebooks branch's Binder."""
    requirements = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    main = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    for package in ("torch", "torchvision", "jupyterlab"):
        pinned = re.search(rf"^{package}==(\d+\.\d+)", main, flags=re.M).group(1)
        assert re.search(
            rf"^{package}=={re.escape(pinned)}\.\*", requirements, flags=re.M
        ), package
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    assert "pip install --no-deps --no-cache-dir -e ." in post_build.read_text(
        encoding="utf-8"
    )
    assert not (ROOT / "binder" / "overrides.json").exists(), (
        "no .md opened as notebooks"
    )


def actionlint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """actionlint, with the environment's shellcheck named, so `run:` scripts are checked too."""
    shellcheck = BIN / "shellcheck"
    assert shellcheck.is_file(), "shellcheck is missing: run python3 tasks.py setup"
    command = [str(BIN / "actionlint"), "-no-color", "-shellcheck", str(shellcheck)]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True)


def test_workflows_pass_actionlint():
    result = actionlint()
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_checks_the_run_scripts_with_shellcheck(tmp_path):
    """A workflow whose script word-splits a variable is caught (shellcheck SC2086)."""
    workflow = tmp_path / ".github" / "workflows" / "bad.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: ls $HOME/some folder\n",
        encoding="utf-8",
    )
    result = actionlint(str(workflow), cwd=tmp_path)
    assert result.returncode != 0 and "SC2086" in result.stdout, result.stdout


def test_workflows_pass_zizmor():
    result = subprocess.run(
        # auditor: every audit, the pedantic ones (undocumented permissions) included
        [
            *(str(BIN / "zizmor"), "--offline", "--no-progress"),
            *("--persona", "auditor", ".github/workflows"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_a_page_is_described_by_its_front_matter_or_first_paragraph():
    from docutils.core import publish_doctree

    from bookkit.sphinx_ext import DESCRIPTION_LENGTH, description

    long = " ".join(["A page about tensors, shapes and broadcasting."] * 6)
    source = f"Title\n=====\n\n.. note:: Not this.\n\n{long}\n\nNot this either.\n"
    doctree = publish_doctree(source, settings_overrides={"doctitle_xform": False})
    text = description(doctree, {})
    assert text.startswith("A page about tensors") and text.endswith("…")
    assert len(text) <= DESCRIPTION_LENGTH and long.startswith(text[:-1])
    assert description(doctree, {"description": "Set by hand."}) == "Set by hand."
