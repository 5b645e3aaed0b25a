"""Every figure reads well at 1280 px: an SVG whose smallest text is at least 10 CSS px, with alt text.

Figures are SVG with real text (nnbook.plotting.use_book_style, images/make_diagrams.py), so the
browser draws the text crisply and this test can measure it: each <text>'s font size, in the
SVG's units, times the image's rendered width over the SVG's own width.
`python -m tests.browser.figure_sizes` gives the same measure from the execution cache, without a
build or a browser.
"""

import pytest

from tests.booklib import toc_entries
from tests.browser import pagecheck

PAGES = list(toc_entries())


@pytest.mark.parametrize("entry", PAGES)
def test_figures_are_svg_with_readable_text(entry, site, open_page):
    page, _ = open_page(f"{site}{entry}.html")
    problems = pagecheck.figure_problems(page)
    problems += [p for p in pagecheck.image_problems(page) if "alt text" in p]
    assert not problems, f"{entry}:\n  " + "\n  ".join(problems)
