"""The toc and book/ agree, and every chapter follows the conventions in CONTRIBUTING.md."""

import re

import pytest

from tests.booklib import (
    DEVICE_LINE,
    ENVIRONMENT_LINE,
    ROOT,
    TEMPLATE,
    chapter_id,
    chapters,
    code_cells,
    glue_references,
    glued_names,
    page_path,
    tags,
    toc_entries,
)

CHAPTERS_AND_TEMPLATE = [*chapters(), TEMPLATE]


def test_every_toc_entry_exists():
    missing = [e for e in toc_entries() if not page_path(e).is_file()]
    assert not missing, f"_toc.yml names pages that do not exist: {missing}"


def test_every_page_in_book_is_in_the_toc():
    in_toc = {page_path(e) for e in toc_entries()}
    orphans = sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "book").rglob("*.md")
        if p not in in_toc
    )
    assert not orphans, f"pages in book/ missing from _toc.yml: {orphans}"


def test_no_page_is_listed_twice():
    entries = list(toc_entries())
    assert len(entries) == len(set(entries)), "a page appears twice in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS_AND_TEMPLATE, ids=chapter_id)
def test_first_cell_seeds_picks_the_device_and_reports_it(path):
    first = code_cells(path)[0].source
    assert "torch.manual_seed(0)" in first, "the first code cell must seed torch"
    assert DEVICE_LINE in first, (
        f"the first code cell must pick the device with: {DEVICE_LINE}"
    )
    assert ENVIRONMENT_LINE in first, (
        f"the first code cell must end with: {ENVIRONMENT_LINE}"
    )


@pytest.mark.parametrize("path", CHAPTERS_AND_TEMPLATE, ids=chapter_id)
def test_chapter_has_hidden_checks_glue_and_exercises(path):
    cells = code_cells(path)
    hidden = [c for c in cells if "remove-cell" in tags(c) and "assert" in c.source]
    assert len(hidden) >= 1, "a chapter needs hidden assert cells for its claims"
    assert glue_references(path), "a chapter's numbers in the prose must be glued"
    text = path.read_text(encoding="utf-8")
    exercises = text.count("{exercise-start}")
    assert exercises >= 1, "a chapter needs at least one self-checking exercise"
    assert text.count("{solution-start}") == exercises, (
        "every exercise needs a solution"
    )
    checked = sum(
        c.source.count("assert check_") for c in cells if "remove-cell" in tags(c)
    )
    assert checked >= exercises, (
        "each reference solution must be asserted through its checker"
    )


@pytest.mark.parametrize("path", CHAPTERS_AND_TEMPLATE, ids=chapter_id)
def test_every_glue_reference_is_glued_and_used(path):
    glued, used = glued_names(path), glue_references(path)
    assert used <= glued, f"the prose uses names no cell glues: {sorted(used - glued)}"
    assert glued <= used, (
        f"cells glue names the prose never uses: {sorted(glued - used)}"
    )


@pytest.mark.parametrize("path", CHAPTERS_AND_TEMPLATE, ids=chapter_id)
def test_skipped_cells_are_skipped_by_both_tools(path):
    for cell in code_cells(path):
        both = {"skip-execution", "nbval-skip"}
        assert not (tags(cell) & both) or both <= tags(cell), (
            f"tag skipped cells with both skip-execution (book) and nbval-skip (tests): {cell.source[:60]!r}"
        )


@pytest.mark.parametrize("path", CHAPTERS_AND_TEMPLATE, ids=chapter_id)
def test_every_figure_has_alt_text(path):
    text = path.read_text(encoding="utf-8")
    for figure in re.findall(r"```\{figure\}.*?\n```", text, flags=re.S):
        assert re.search(r"^:alt: \S", figure, flags=re.M), (
            f"figure without :alt: text: {figure[:80]!r}"
        )
    for cell in code_cells(path):
        if re.search(r"plt\.(show|subplots|figure)\(", cell.source):
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert alt.strip(), (
                f"plotting cell without mystnb.image.alt: {cell.source[:60]!r}"
            )


LIST_MARKER = re.compile(r"^([-+*]|\d+\.) ")


@pytest.mark.parametrize(
    "path", [page_path(e) for e in toc_entries()] + [TEMPLATE], ids=chapter_id
)
def test_no_wrapped_line_turns_into_a_list(path):
    """A prose line that wraps onto `+ x` or `1. x` silently starts a list and breaks the sentence."""
    previous, fenced = "", False
    for number, line in enumerate(
        path.read_text(encoding="utf-8").splitlines(), start=1
    ):
        if line.startswith(("```", "---")):
            fenced = not fenced
        elif not fenced and LIST_MARKER.match(line) and previous.strip():
            assert LIST_MARKER.match(previous) or previous.startswith(" "), (
                f"line {number} starts a list in the middle of a paragraph: {line[:50]!r}; "
                "rewrap the paragraph or put a blank line before the list"
            )
        previous = line
