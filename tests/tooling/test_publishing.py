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


def test_binder_installs_cpu_torch_and_opens_chapters_with_jupytext():
    requirements = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    main = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    for package in ("torch", "torchvision"):
        pinned = re.search(rf"^{package}==(\d+\.\d+)", main, flags=re.M).group(1)
        assert re.search(
            rf"^{package}=={re.escape(pinned)}\.\*$", requirements, flags=re.M
        ), package
    assert re.search(r"^jupytext", requirements, flags=re.M)
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    assert "pip install --no-deps --no-cache-dir -e ." in post_build.read_text(
        encoding="utf-8"
    )
    viewers = json.loads(
        (ROOT / "binder" / "overrides.json").read_text(encoding="utf-8")
    )
    default = viewers["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert default == {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}


def test_workflows_pass_actionlint():
    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_zizmor():
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", ".github/workflows"],
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
