"""Checks on the built HTML (python3 tasks.py test builds it first)."""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

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


class PageText(HTMLParser):
    """The text a reader sees, with the markup (a highlighter's spans) taken out."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def machine_places() -> list[str]:
    """The build machine's own paths: the checkout, the venv, the home directory."""
    places = {str(ROOT), sys.prefix, str(Path.home())}
    # A home directory of "/" names nothing.
    return sorted(place for place in places if len(place) > 1)


def machine_paths_named(html: str, places: list[str]) -> list[str]:
    """The places (and "site-packages") that a page names, in its markup or in its text.

    A place counts only as a whole path: /root is named by "/root/x" or "in /root", but not by
    "/rooted" or "github.com/root".
    """
    parser = PageText()
    parser.feed(html)
    text = "".join(parser.parts)
    named = []
    for place in places:
        whole = re.compile(rf"(?<![\w.~-]){re.escape(place)}(?![\w-])")
        if whole.search(html) or whole.search(text):
            named.append(place)
    if "site-packages" in html or "site-packages" in text:
        named.append("site-packages")
    return named


@pytest.mark.parametrize("entry", toc_entries())
def test_no_page_names_the_build_machines_paths(entry):
    """A traceback through torch would print the checkout's and the venv's paths: the execution
    cache keeps an error's last line only (bookkit.cache.one_line_error)."""
    html = built_page(entry).read_text(encoding="utf-8")
    named = machine_paths_named(html, machine_places())
    assert not named, f"{entry}.html names the build machine's paths: {named}"


class ProseText(HTMLParser):
    """The page's prose: its text outside code, outputs, math, scripts and styles; and the glued
    values (myst-nb's `pasted-text` spans) on their own."""

    SKIP = frozenset({"pre", "code", "script", "style", "math", "svg"})
    VOID = frozenset(
        {"br", "img", "hr", "meta", "link", "input", "wbr", "source", "area"}
    )

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skipped, glued)
        self.prose: list[str] = []
        self.glued: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        skipped = tag in self.SKIP or "cell_output" in classes or "math" in classes
        glued = "pasted-text" in classes
        if self.stack:
            skipped |= self.stack[-1][1]
            glued |= self.stack[-1][2]
        self.stack.append((tag, skipped, glued))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack and not self.stack[-1][1]:
            self.prose.append(data)
            if self.stack[-1][2]:
                self.glued.append(data)


E_NOTATION = re.compile(r"\b\d+(\.\d+)?[eE][+-]?\d+\b")


@pytest.mark.parametrize("entry", toc_entries())
def test_numbers_in_the_prose_are_typeset(entry):
    """No 2.39e-04 or -0.70 in the prose: powers of ten and true minus signs (bookkit.typeset)."""
    parser = ProseText()
    parser.feed(built_page(entry).read_text(encoding="utf-8"))
    prose = " ".join(parser.prose)
    assert not E_NOTATION.search(prose), (
        f"e-notation in the prose: {E_NOTATION.search(prose)[0]!r}"
    )
    hyphens = [g for g in parser.glued if re.search(r"(^|\s)-\d", g)]
    assert not hyphens, f"glued numbers with a hyphen for a minus sign: {hyphens}"


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
