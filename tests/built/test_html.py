"""Checks on the built HTML (python3 tasks.py test builds it first)."""

import re
from html.parser import HTMLParser

import pytest
import yaml

from bookkit.paths import HTML, ROOT
from tests.booklib import chapter_id, chapters, toc_entries


class ImageAlts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            attrs = dict(attrs)
            self.images.append((attrs.get("src", ""), (attrs.get("alt") or "").strip()))


def built_page(entry: str):
    page = HTML / f"{entry}.html"
    if not HTML.is_dir():
        pytest.fail("no built book in _build/html: run python3 tasks.py build first")
    return page


@pytest.mark.parametrize("entry", toc_entries())
def test_every_toc_entry_has_a_page(entry):
    assert built_page(entry).is_file(), f"{entry}.html was not built"


@pytest.mark.parametrize("entry", toc_entries())
def test_every_image_has_alt_text(entry):
    parser = ImageAlts()
    parser.feed(built_page(entry).read_text(encoding="utf-8"))
    unlabelled = [src for src, alt in parser.images if not alt]
    assert not unlabelled, f"images without alt text: {unlabelled}"


@pytest.mark.parametrize("entry", toc_entries())
def test_no_unrendered_roles(entry):
    text = built_page(entry).read_text(encoding="utf-8")
    for raw in ("{glue", "{term}", "{cite}", "{ref}", "{exercise-start}"):
        assert raw not in text, f"{raw} was not rendered"


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_each_solution_shows_a_correct_verdict(path):
    """A solution cell displays its checker's verdict; the page shows one ✅ per exercise."""
    entry = path.relative_to(HTML.parents[1]).with_suffix("").as_posix()
    text = built_page(entry).read_text(encoding="utf-8")
    exercises = path.read_text(encoding="utf-8").count("{exercise-start}")
    assert text.count("✅ Correct!") == exercises
    assert "❌" not in text


class PageParts(HTMLParser):
    """The meta description, and for each table outside a cell's output whether it has a
    caption."""

    def __init__(self):
        super().__init__()
        self.descriptions: list[str] = []
        self.tables: list[bool] = []  # captioned?
        # The classes of the open <div>s, <table>s and <caption>s.
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "description":
            self.descriptions.append(attrs.get("content") or "")
        if tag == "table" and not any("cell_output" in c for c in self.open):
            self.tables.append(False)
        if tag == "caption" and self.tables:
            self.tables[-1] = True
        if tag in ("div", "table", "caption"):
            self.open.append(attrs.get("class") or "")

    def handle_endtag(self, tag):
        if tag in ("div", "table", "caption") and self.open:
            self.open.pop()


def parts(entry: str) -> PageParts:
    parser = PageParts()
    parser.feed(built_page(entry).read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize("entry", [*toc_entries(), "search", "genindex"])
def test_every_page_has_a_meta_description(entry):
    descriptions = parts(entry).descriptions
    assert len(descriptions) == 1, f"{len(descriptions)} meta descriptions"
    assert 20 <= len(descriptions[0]) <= 160, descriptions[0]
    assert "{" not in descriptions[0], "unrendered markup in the description"


@pytest.mark.parametrize("entry", toc_entries())
def test_every_table_in_the_text_has_a_caption(entry):
    tables = parts(entry).tables
    assert all(tables), f"{tables.count(False)} of {len(tables)} tables have no caption"


def test_the_intro_names_the_repository_from_the_config():
    """The clone command shows _config.yml's repository.url, which the source never repeats."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert url not in (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", built_page("book/intro").read_text(encoding="utf-8"))
    assert f"git clone {url} nnbook" in text
    assert "{{" not in text and "<this repository>" not in text
