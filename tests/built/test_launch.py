"""The built book's launch paths: Colab, Binder and download buttons, exported notebooks, status page."""

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from bookkit.book import NOTEBOOKS_BRANCH, repository
from bookkit.export import INSTALL_CELL_TAG
from bookkit.paths import HTML, NOTEBOOKS, ROOT
from tests.booklib import chapter_id, chapters, code_cells

URL, OWNER, NAME = repository(ROOT)


def page_of(path: Path) -> str:
    return path.relative_to(ROOT).with_suffix("").as_posix()


def links(html: str, host: str) -> list[str]:
    return re.findall(rf'href="(https://{re.escape(host)}/[^"]+)"', html)


def built(page: str) -> str:
    path = HTML / f"{page}.html"
    if not path.is_file():
        pytest.fail("no built book in _build/html: run python3 tasks.py build first")
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_colab_button_opens_the_exported_notebook(path):
    (url,) = links(built(page_of(path)), "colab.research.google.com")
    expected = f"/github/{OWNER}/{NAME}/blob/{NOTEBOOKS_BRANCH}/{page_of(path)}.ipynb"
    assert urlparse(url).path == expected
    exported = NOTEBOOKS / f"{page_of(path)}.ipynb"
    assert exported.is_file(), (
        f"the Colab link targets {exported.name}, which the export did not write"
    )


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_binder_button_opens_the_exported_notebook(path):
    """Binder opens the notebook that Colab opens, on the notebooks branch, which carries binder/
    (bookkit.export.binder_folder) since jupyterlab-myst cannot show a run's glued values."""
    (url,) = links(built(page_of(path)), "mybinder.org")
    parts = urlparse(url)
    assert parts.path == f"/v2/gh/{OWNER}/{NAME}/{NOTEBOOKS_BRANCH}"
    target = parts.query.removeprefix("urlpath=lab/tree/")
    assert target == f"{page_of(path)}.ipynb"
    assert (NOTEBOOKS / target).is_file(), f"Binder would open {target}, not exported"
    binder = NOTEBOOKS / "binder"
    assert (binder / "postBuild").is_file()
    requirements = (binder / "requirements.txt").read_text(encoding="utf-8")
    assert f"nnbook @ git+{URL}@main" in requirements


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_page_offers_its_notebook_for_download(path):
    html = built(page_of(path))
    href = f"../_sources/{page_of(path)}.ipynb"
    assert f'href="{href}"' in html
    assert (HTML / "book" / href).resolve().is_file()


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_exported_notebook_installs_the_helper_package_first(path):
    notebook = json.loads(
        (NOTEBOOKS / f"{page_of(path)}.ipynb").read_text(encoding="utf-8")
    )
    first, *rest = notebook["cells"]
    assert first["metadata"]["tags"] == [INSTALL_CELL_TAG]
    assert f'%pip install --quiet "nnbook @ git+{URL}@main"' in first["source"]
    sources = [
        re.sub(r"\A#@title [^\n]*\n", "", c["source"])  # a folded cell's label in Colab
        for c in rest
        if c["cell_type"] == "code"
    ]
    assert sources == [c.source for c in code_cells(path)], (
        "the chapter's code cells, unchanged"
    )
    assert any(o for c in rest if c["cell_type"] == "code" for o in c["outputs"]), (
        "executed"
    )


def test_status_page_lists_every_chapter_with_its_environment():
    html = built("book/execution")
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S)
    text = [re.sub(r"<[^>]+>", " ", row) for row in rows[1:]]
    assert len(text) == len(chapters()), "one row per executed chapter"
    import torch  # here, not at the top: collecting this file should not cost a torch import

    for row in text:
        assert torch.__version__ in row, row
        assert re.search(r"\b(cpu|cuda|mps|xpu)\b", row), row
        assert "passed" in row and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row), row
        assert re.search(r"\b1\b\s+passed", row), (
            f"every chapter runs on one thread: {row}"
        )
