"""The exported notebooks (Colab, Binder) read like the HTML page: no MyST syntax left in their
Markdown, every image embedded, every glued value filled in, hidden cells folded."""

import json
import re

import pytest

from bookkit.paths import NOTEBOOKS
from tests.booklib import chapter_id, chapters

# Code is shown as written: fenced blocks and inline code spans may quote MyST syntax. A role's
# backticks are not a code span, nor is a directive's fence a code block.
ROLE = r"\{[\w:.-]+\}`[^`]*`"
CODE = re.compile(
    rf"(?P<role>{ROLE})|(?P<directive>^(`{{3,}}|:{{3,}})\s*\{{[^\n]*$)|(?P<bare>^`{{3,}}[ \t]*$)"
    r"|^(?P<fence>`{3,}|~{3,})(?!\s*\{)[^\n]*\n.*?^(?P=fence)[ \t]*$"
    r"|(?P<ticks>`+).+?(?P=ticks)",
    re.DOTALL | re.MULTILINE,
)
LEAKS = {
    "role": re.compile(ROLE),
    "directive": re.compile(r"^\s*(`{3,}|:{3,})\s*\{[\w:.-]+\}", re.MULTILINE),
    "label": re.compile(r"^\s*\([\w:.-]+\)=\s*$", re.MULTILINE),
    "glue": re.compile(r"\{glue"),
}
IMAGE_SOURCES = re.compile(
    r"!\[[^\]]*\]\(\s*<?([^)\s>]+)|<img\b[^>]*\bsrc=[\"']([^\"']+)"
)
OFFLINE = ("attachment:", "data:")


def prose(markdown: str) -> str:
    """The Markdown without its code: roles stay, code blocks and code spans go."""
    return CODE.sub(
        lambda m: m.group(0) if m["role"] or m["directive"] or m["bare"] else "",
        markdown,
    )


def myst_leaks(markdown: str) -> list[str]:
    """What in one Markdown cell is MyST syntax that Jupyter would show raw."""
    text = prose(markdown)
    return [
        f"{kind}: {m.group(0)!r}"
        for kind, rx in LEAKS.items()
        for m in rx.finditer(text)
    ]


def remote_images(markdown: str) -> list[str]:
    """Image sources that need a file or the network: Colab opens the notebook on its own."""
    sources = (a or b for a, b in IMAGE_SOURCES.findall(markdown))
    return [src for src in sources if not src.startswith(OFFLINE)]


def exported(path) -> dict:
    target = NOTEBOOKS / path.relative_to(path.parents[1]).with_suffix(".ipynb")
    if not target.is_file():
        pytest.fail(f"no exported notebook {target}: run python3 tasks.py build first")
    return json.loads(target.read_text(encoding="utf-8"))


def markdown_cells(notebook: dict) -> list[tuple[int, str]]:
    return [
        (i, "".join(c["source"]))
        for i, c in enumerate(notebook["cells"])
        if c["cell_type"] == "markdown"
    ]


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_no_myst_syntax_is_left(path):
    leaks = [
        f"cell {i}: {leak}"
        for i, text in markdown_cells(exported(path))
        for leak in myst_leaks(text)
    ]
    assert not leaks, "\n".join(leaks[:20])


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_every_image_loads_offline(path):
    notebook = exported(path)
    remote = [
        f"cell {i}: {src}"
        for i, text in markdown_cells(notebook)
        for src in remote_images(text)
    ]
    assert not remote, remote
    embedded = 0
    for i, cell in enumerate(notebook["cells"]):
        text = "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""
        for name in re.findall(r"\(attachment:([^)\s]+)", text):
            assert name in cell.get("attachments", {}), (
                f"cell {i}: no attachment {name}"
            )
            embedded += 1
        embedded += len(re.findall(r"\(data:image/", text))
    source = path.read_text(encoding="utf-8")
    images = len(re.findall(r"^```\{figure\}|!\[[^\]]*\]\(|<img\b", source, re.M))
    assert embedded >= images, (
        f"{images} figures or images in the page, {embedded} embedded"
    )


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_every_glued_name_has_its_value(path):
    source = path.read_text(encoding="utf-8")
    used = set(re.findall(r"\{glue:\w+\}`([^`:]+)", source))
    used |= set(re.findall(r"```\{glue:\w+\}\s+(\S+)", source))
    notebook = exported(path)
    glued = {
        output["metadata"]["scrapbook"]["name"]
        for cell in notebook["cells"]
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }
    assert used <= glued, (
        f"used in the prose but glued by no cell: {sorted(used - glued)}"
    )
    text = "\n".join(t for _, t in markdown_cells(notebook))
    assert "{glue" not in text


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_hidden_cells_are_folded(path):
    hidden = {"remove-cell", "remove-input", "hide-input"}
    for i, cell in enumerate(exported(path)["cells"]):
        if hidden & set(cell["metadata"].get("tags", [])):
            assert cell["metadata"].get("jupyter", {}).get("source_hidden"), i
            assert cell["metadata"].get("cellView") == "form", i
            assert "".join(cell["source"]).startswith("#@title "), i


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_exercises_are_headed_and_solutions_folded(path):
    source = path.read_text(encoding="utf-8")
    text = "\n".join(t for _, t in markdown_cells(exported(path)))
    exercises = len(re.findall(r"\{exercise-start\}", source))
    assert len(re.findall(r"^#+ Exercise \d+\.\d+", text, re.MULTILINE)) == exercises
    assert text.count("<summary>Solution") >= len(
        re.findall(r"\{solution-start\}", source)
    )
