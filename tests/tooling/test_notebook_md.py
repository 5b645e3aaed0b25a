"""The MyST-to-Jupyter converter behind the exported notebooks (bookkit.notebook_md), one
construct at a time, on small inputs."""

import base64

import pytest

from bookkit.notebook_md import (
    ExportError,
    Page,
    References,
    Target,
    convert_cells,
    convert_markdown_cell,
    glue_values,
)

SITE = "https://owner.github.io/name/"
PNG = b"\x89PNG\r\n\x1a\n not really"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


def glued(name: str, text: str, mime: str = "text/plain") -> dict:
    """An output as nnbook's glue (myst-nb's) leaves it in an executed notebook."""
    prefix = "application/papermill.record/"
    return {
        "output_type": "display_data",
        "data": {prefix + mime: text},
        "metadata": {"scrapbook": {"name": name, "mime_prefix": prefix}},
    }


def code(source: str, tags=(), outputs=(), **metadata) -> dict:
    meta = {"tags": list(tags), **metadata} if tags else dict(metadata)
    return {
        "cell_type": "code",
        "metadata": meta,
        "source": source,
        "outputs": list(outputs),
        "execution_count": 1,
    }


def md(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


@pytest.fixture
def page(tmp_path) -> Page:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "dot.svg").write_bytes(SVG)
    (tmp_path / "images" / "dot.png").write_bytes(PNG)
    (tmp_path / "book").mkdir()
    refs = References(
        site=SITE,
        labels={
            "chap-tensors": Target("book/tensors", "chap-tensors", "Tensors"),
            "fig-dot": Target("book/demo", "fig-dot", "", "Fig. 2.1"),
            "ex-one": Target("book/demo", "ex-one", "Exercise", "Exercise 2.1"),
        },
        terms={"tensor": Target("book/glossary", "term-tensor", "tensor")},
        citations={
            "kb": Target("book/bibliography", "id3", "Kingma and Ba, 2015"),
            "he": Target("book/bibliography", "id4", "He et al., 2016"),
        },
        titles={"book/tensors": "Tensors"},
    )
    values = glue_values(
        [
            code(
                "glue(...)",
                outputs=[
                    glued("loss", "-0.000239"),
                    glued("count", "60000"),
                    glued("kind", "'float32'"),
                    glued("table", "| a |\n| - |\n| 1 |", "text/markdown"),
                ],
            )
        ]
    )
    return Page("book/demo", refs, values, tmp_path / "book", source="")


def test_glue_text_is_formatted_and_typeset_like_the_html(page):
    text = "Loss {glue:text}`loss:.1e`, {glue:text}`count` rows of {glue:text}`kind`."
    assert (
        convert_markdown_cell(page, text) == "Loss −2.4 × 10⁻⁴, 60,000 rows of float32."
    )


def test_glue_md_directive_inserts_the_markdown(page):
    text = "Before.\n\n```{glue:md} table\n:format: myst\n```\n\nAfter."
    assert (
        convert_markdown_cell(page, text) == "Before.\n\n| a |\n| - |\n| 1 |\n\nAfter."
    )


def test_a_glued_name_without_a_value_fails_naming_page_and_name(page):
    page.source = "# Demo\n\nSome text.\nIt is {glue:text}`missing:.2f` here.\n"
    with pytest.raises(
        ExportError, match=r"book/demo\.md:4: glued name 'missing' has no value"
    ):
        convert_markdown_cell(page, "Some text.\nIt is {glue:text}`missing:.2f` here.")


def test_figure_is_embedded_with_alt_text_and_numbered_caption(page):
    """An SVG becomes a data URI: JupyterLab shows no SVG attachment in an untrusted notebook."""
    text = (
        "```{figure} ../images/dot.svg\n:name: fig-dot\n:alt: A dot.\n:width: 80%\n\n"
        "A dot, $x$ {term}`tensor`.\n```"
    )
    out = convert_markdown_cell(page, text)
    svg = base64.b64encode(SVG).decode()
    assert out.startswith(
        f"![A dot.](data:image/svg+xml;base64,{svg})\n\n"
        "**Fig. 2.1** A dot, $x$ [tensor]("
    )


def test_markdown_and_html_images_become_attachments(page):
    page.attachments = {}
    out = convert_markdown_cell(
        page, '![Dot](../images/dot.png) <img src="../images/dot.png" alt="A dot">'
    )
    assert out == "![Dot](attachment:dot.png) ![A dot](attachment:dot.png)"
    assert page.attachments == {
        "dot.png": {"image/png": base64.b64encode(PNG).decode()}
    }


def test_an_image_that_needs_the_network_fails(page):
    with pytest.raises(ExportError, match="would need the network"):
        convert_markdown_cell(page, "![x](https://example.org/x.png)")


def test_term_ref_numref_doc_and_cite_become_links_to_the_site(page):
    text = (
        "{term}`Tensors <tensor>`, {ref}`chap-tensors`, {ref}`this chapter <chap-tensors>`, "
        "{numref}`fig-dot`, {numref}`Figure {number} <fig-dot>`, {doc}`tensors`, "
        "{cite}`kb,he`, {cite:t}`kb`."
    )
    assert convert_markdown_cell(page, text) == (
        f"[Tensors]({SITE}book/glossary.html#term-tensor), "
        f"[Tensors]({SITE}book/tensors.html#chap-tensors), "
        f"[this chapter]({SITE}book/tensors.html#chap-tensors), "
        f"[Fig. 2.1]({SITE}book/demo.html#fig-dot), "
        f"[Figure 2.1]({SITE}book/demo.html#fig-dot), "
        f"[Tensors]({SITE}book/tensors.html), "
        f"[[Kingma and Ba, 2015]({SITE}book/bibliography.html#id3), "
        f"[He et al., 2016]({SITE}book/bibliography.html#id4)], "
        f"[Kingma and Ba [2015]]({SITE}book/bibliography.html#id3)."
    )


def test_a_reference_to_a_missing_label_fails(page):
    with pytest.raises(
        ExportError, match=r"\{ref\} target 'chap-nowhere' is not in the last render"
    ):
        convert_markdown_cell(page, "See {ref}`chap-nowhere`.")


def test_admonition_becomes_a_block_quote_with_a_bold_title(page):
    text = "```{important}\nRan on {glue:text}`kind`.\n\nTwo paragraphs.\n```"
    assert convert_markdown_cell(page, text) == (
        "> **Important**\n>\n> Ran on float32.\n>\n> Two paragraphs."
    )


def test_tables_keep_their_caption_and_a_list_table_becomes_a_pipe_table(page):
    page.refs.labels["tab-one"] = Target("book/demo", "tab-one", "", "Table 2.1")
    text = (
        "```{list-table} Counts, glued.\n:header-rows: 1\n:name: tab-one\n\n"
        "* - what\n  - how many\n* - images\n  - {glue:text}`count:,`\n```"
    )
    assert convert_markdown_cell(page, text) == (
        "**Table 2.1** Counts, glued.\n\n"
        "| what | how many |\n| --- | --- |\n| images | 60,000 |"
    )
    text = "```{table} A pipe table.\n| a |\n| - |\n| {glue:text}`loss:.2e` |\n```"
    assert convert_markdown_cell(page, text) == (
        "A pipe table.\n\n| a |\n| - |\n| −2.39 × 10⁻⁴ |"
    )


def test_labels_go_and_math_stays_without_equation_labels(page):
    text = (
        "(chap-demo)=\n# Demo\n\n$$\nx^2\n$$ (eq-square)\n\nInline $a_{ij}$.\n\n"
        "\\begin{equation}\\label{eq-y}\ny\n\\end{equation}"
    )
    assert convert_markdown_cell(page, text) == (
        "# Demo\n\n$$\nx^2\n$$\n\nInline $a_{ij}$.\n\n\\begin{equation}\ny\n\\end{equation}"
    )


def test_code_is_left_as_written(page):
    text = "Write `` {glue:text}`x` `` in the prose.\n\n```python\n{term}`x`\n```"
    assert convert_markdown_cell(page, text) == text


def test_unknown_syntax_fails_loudly_with_page_and_line(page):
    page.source = "# Demo\n\nFirst.\n\n```{margin}\nAside.\n```\n"
    with pytest.raises(
        ExportError, match=r"book/demo\.md:5: unknown MyST directive \{margin\}"
    ):
        convert_markdown_cell(page, "First.\n\n```{margin}\nAside.\n```")
    with pytest.raises(ExportError, match=r"unknown MyST role \{sub\}"):
        convert_markdown_cell(page, "H{sub}`2`O")


def test_exercise_is_headed_and_its_solution_folded_with_its_code(page):
    cells = [
        md(
            "## Exercises\n\n```{exercise-start} A first one\n:label: ex-one\n```\n\nDo it."
        ),
        code("x = ...", tags=["skip-execution", "nbval-skip"]),
        md(
            "```{exercise-end}\n```\n\n```{solution-start} ex-one\n:class: dropdown\n```\n\nLike so."
        ),
        code("x = 1"),
        md("```{solution-end}\n```"),
        code("assert x == 1", tags=["remove-cell"]),
        md("## Summary"),
    ]
    out = convert_cells(page, cells)
    sources = [c["source"] for c in out]
    assert sources[0] == "## Exercises\n\n### Exercise 2.1: A first one\n\nDo it."
    assert sources[1] == "x = ..."
    assert (
        sources[2] == "<details>\n<summary>Solution</summary>\n\nLike so.\n\n</details>"
    )
    solution, check = out[3], out[4]
    assert solution["source"].startswith("#@title Solution") and solution[
        "source"
    ].endswith("\nx = 1")
    assert solution["metadata"]["cellView"] == "form"
    assert solution["metadata"]["jupyter"]["source_hidden"]
    assert (
        check["source"].startswith("#@title Checks") and check["metadata"]["cellView"]
    )
    assert sources[5:] == ["## Summary"], (
        "the cell with only the solution's end is dropped"
    )


def test_hidden_cells_keep_running_folded_and_figures_get_their_caption(page):
    figure = {"figure": {"caption": "Loss {glue:text}`loss:.2e`.", "name": "fig-dot"}}
    cells = [
        code("print(1)", tags=["hide-input"]),
        code("plot()", mystnb=figure),
    ]
    hidden, plot, caption = convert_cells(page, cells)
    assert hidden["source"] == "#@title Code (hidden in the book)\nprint(1)"
    assert hidden["metadata"]["jupyter"] == {"source_hidden": True}
    assert plot["source"] == "plot()" and "cellView" not in plot["metadata"]
    assert caption == md("**Fig. 2.1** Loss −2.39 × 10⁻⁴.")
