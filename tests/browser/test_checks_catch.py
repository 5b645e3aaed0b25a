"""The browser checks fail on a broken page: each one is run on a deliberately damaged copy.

Without these, a check that can never fail (a wrong selector, a script that never ran) would let
every page pass. Each test damages one thing in a copy of a built chapter and expects the matching
check to name it.
"""

import re
import shutil
from urllib.parse import quote

import pytest

from bookkit.paths import HTML
from tests.browser import pagecheck

PAGE = "book/neuron.html"
FIGURE_ALT = re.compile(r'<img alt="Diagram of one neuron[^"]*"')
FIGURE_SRC = 'src="../_images/neuron.svg"'
FORMULA = r'<span class="math notranslate nohighlight">\(x_i\)</span>'
PARAGRAPH = "<p>In symbols,"


@pytest.fixture(scope="module")
def damaged_site(tmp_path_factory, serve):
    """damaged_site(edit) -> URL of PAGE in a copy of the book where edit(html) was applied."""
    if not (HTML / PAGE).is_file():
        pytest.fail("no built book in _build/html: run python3 tasks.py build first")
    root = tmp_path_factory.mktemp("site")

    def serve_damaged(edit) -> str:
        copy = root / f"copy{len(list(root.iterdir()))}"
        shutil.copytree(HTML, copy)
        page = copy / PAGE
        original = page.read_text(encoding="utf-8")
        damaged = edit(original)
        assert damaged != original, "the edit did not change the page"
        page.write_text(damaged, encoding="utf-8")
        return serve(copy) + PAGE

    return serve_damaged


def test_a_figure_with_empty_alt_text_is_reported(damaged_site, open_page):
    page, _ = open_page(
        damaged_site(lambda html: FIGURE_ALT.sub('<img alt=""', html, count=1))
    )
    problems = pagecheck.image_problems(page)
    assert "image without alt text: ../_images/neuron.svg" in problems, problems


def test_a_figure_without_alt_attribute_fails_axe(damaged_site, open_page):
    page, _ = open_page(
        damaged_site(lambda html: FIGURE_ALT.sub("<img", html, count=1))
    )
    problems = pagecheck.blocking(pagecheck.axe_violations(page))
    assert any("axe violation image-alt" in p for p in problems), problems


def test_a_missing_image_is_reported(damaged_site, open_page):
    page, log = open_page(
        damaged_site(lambda html: html.replace(FIGURE_SRC, 'src="gone.svg"'))
    )
    assert "image did not load: gone.svg" in pagecheck.image_problems(page)
    assert any("gone.svg (HTTP 404)" in p for p in log.problems()), log.problems()


def test_a_tex_error_is_reported(damaged_site, open_page):
    # \frac with one argument: a TeX error
    broken = FORMULA.replace(r"x_i", r"\frac{1}")
    page, _ = open_page(damaged_site(lambda html: html.replace(FORMULA, broken, 1)))
    problems = pagecheck.math_problems(page)
    assert "1 formula(s) typeset with a MathJax error" in problems, problems


def test_unbalanced_tex_is_reported(damaged_site, open_page):
    # MathJax cannot find the end: left as raw TeX
    broken = FORMULA.replace(r"x_i", r"\frac{1}{")
    page, _ = open_page(damaged_site(lambda html: html.replace(FORMULA, broken, 1)))
    problems = pagecheck.math_problems(page)
    assert r"raw TeX delimiter '\\(' left in the page text" in problems, problems
    assert any(p.startswith("only ") for p in problems), problems


def test_tex_outside_math_markup_is_reported(damaged_site, open_page):
    """A formula that the source failed to mark up as math reaches the reader as raw TeX."""
    page, _ = open_page(
        damaged_site(
            lambda html: html.replace(
                PARAGRAPH, PARAGRAPH + r" $$z = \sum_i x_i w_i$$", 1
            )
        )
    )
    problems = pagecheck.math_problems(page)
    assert "raw TeX delimiter '$$' left in the page text" in problems, problems


def test_a_console_error_is_reported(damaged_site, open_page):
    script = "<script>undefinedFunction()</script></body>"
    _, log = open_page(damaged_site(lambda html: html.replace("</body>", script, 1)))
    assert any("undefinedFunction" in p for p in log.problems()), log.problems()


# A 1x1 PNG, and an SVG whose text is 5 px at its natural width of 600 px (450 pt).
PNG_URI = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
    "YAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
TINY_TEXT_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="450pt" height="75pt" '
    'viewBox="0 0 450 75"><text x="10" y="40" style="font-size: 3.75px">tiny</text></svg>'
)


def test_a_figure_that_is_not_svg_is_reported(damaged_site, open_page):
    page, _ = open_page(
        damaged_site(lambda html: html.replace(FIGURE_SRC, f'src="{PNG_URI}"'))
    )
    problems = pagecheck.figure_problems(page)
    assert any(p.startswith("not an SVG (image/png)") for p in problems), problems


def test_small_text_in_a_figure_is_reported(damaged_site, open_page):
    uri = "data:image/svg+xml," + quote(TINY_TEXT_SVG)
    # without the figure's width option, the image shows at its natural 600 px
    sized = FIGURE_SRC + ' style="width: 80%;"'
    page, _ = open_page(damaged_site(lambda html: html.replace(sized, f'src="{uri}"')))
    problems = pagecheck.figure_problems(page)
    assert any(p.startswith("text 'tiny' is 5.0 px") for p in problems), problems


def test_svg_text_is_measured_in_css_px():
    """The measure itself: user units scaled by rendered width over the SVG's width."""
    figure = pagecheck.parse_svg(TINY_TEXT_SVG)
    assert figure.width_px == 600 and figure.viewbox_width == 450
    assert figure.smallest_text() == (5.0, "tiny")  # natural width: under the column
    assert figure.smallest_text(300) == (2.5, "tiny")
    wide = TINY_TEXT_SVG.replace('width="450pt"', 'width="900pt"')
    size, _ = pagecheck.parse_svg(wide).smallest_text()  # shrunk to the 672 px column
    assert size == pytest.approx(3.75 * 672 / 450)


def with_style(css: str):
    return lambda html: html.replace("</head>", f"<style>{css}</style></head>", 1)


def test_a_clipped_equation_is_reported(damaged_site, open_page):
    """The formula for z, squeezed into a box that hides what does not fit."""
    style = "div.math mjx-container{overflow:hidden!important;max-width:120px}"
    page, _ = open_page(damaged_site(with_style(style)))
    assert any("display equation clipped" in p for p in pagecheck.clipped_math(page))


def test_code_that_scrolls_sideways_is_reported(damaged_site, open_page):
    """Code that does not wrap, as without nnbook.js, in a larger font."""
    style = (
        "div.highlight pre, span.nnbook-line{font-size:20px;white-space:pre!important}"
    )
    page, _ = open_page(damaged_site(with_style(style)))
    assert any("code block scrolls sideways" in p for p in pagecheck.wide_code(page))


def test_code_that_wraps_at_a_laptops_width_is_reported(damaged_site, open_page):
    page, _ = open_page(damaged_site(with_style("div.highlight pre{font-size:20px}")))
    assert any("code line wraps" in p for p in pagecheck.wrapped_code(page))


def test_a_page_wider_than_a_phone_is_reported(damaged_site, open_page):
    wide = PARAGRAPH.replace("<p>", '<p style="width:600px">')
    page, _ = open_page(
        damaged_site(lambda html: html.replace(PARAGRAPH, wide, 1)), width=390
    )
    problems = pagecheck.page_overflow(page)
    assert problems and "px wide in a 390 px window" in problems[0], problems
