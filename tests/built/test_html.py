"""Checks on the built HTML (python3 tasks.py test builds it first)."""

from html.parser import HTMLParser

import pytest

from bookkit.paths import HTML
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
