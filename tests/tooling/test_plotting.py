"""The book's figure style: SVG with real text, the same bytes on every run."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from nnbook.plotting import BOOK_STYLE, SVG_METADATA, use_book_style
from tests.browser.pagecheck import parse_svg


def draw_svg() -> str:
    with plt.rc_context(BOOK_STYLE):
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [1, 0, 2], label=r"$\hat{y}_1$")
        ax.set_yscale("log")
        ax.set_title("a title")
        ax.legend()
        out = io.StringIO()
        fig.savefig(out, format="svg", bbox_inches="tight", metadata=SVG_METADATA)
        plt.close(fig)
    return out.getvalue()


def test_figures_are_reproducible_svg_with_real_text():
    first, second = draw_svg(), draw_svg()
    assert first == second, "two runs drew different SVG (a date or a random id?)"
    assert "<dc:date>" not in first
    figure = parse_svg(first)
    assert "a title" in {t.text for t in figure.texts}, "the text was drawn as paths"
    assert not figure.missing_fonts()


def test_default_text_is_readable_in_the_column():
    """Tick labels, and the sub- and superscripts of a log axis, reach 10 px in the column."""
    px, text = parse_svg(draw_svg()).smallest_text()
    assert px >= 10, f"{text!r} is {px:.1f} px"


def test_use_book_style_works_without_a_notebook_kernel():
    use_book_style()  # plain Python: no IPython shell, so no inline backend to configure
    assert matplotlib.rcParams["svg.fonttype"] == "none"
