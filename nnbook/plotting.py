"""One figure style for the whole book. Call `use_book_style()` once per chapter, before plotting.

Figures are SVG with real text, sized for the book's 672 px content column: a figure at most 7 in
wide is shown at its natural size (96 CSS px per inch), so a font of `s` pt is `s * 4 / 3` px on
the page; a wider one is shrunk to the column. Keep figures at most about 6.7 in wide, and text at
least 7.5 pt (10 px), or 11 pt where it has sub- or superscripts (they are set at 70 %).
tests/browser/test_figures.py measures every figure in the built book.
"""

import matplotlib as mpl

BOOK_STYLE = {
    "figure.figsize": (6.0, 3.6),
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": "medium",
    "legend.frameon": False,
    # 11 pt is 14.7 px in the column, and its sub- and superscripts (log-axis ticks) 10.3 px.
    "font.size": 11,
    # Browsers draw the SVG's text themselves: DejaVu Sans (Matplotlib's own font, so the layout
    # matches), or the reader's sans-serif font where it is missing.
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "mathtext.fontset": "dejavusans",
    # SVG output: text stays <text> elements, and the file is the same on every run.
    "svg.fonttype": "none",
    "svg.hashsalt": "nnbook",
    # Colour-blind safe (Okabe-Ito), so lines stay distinguishable for every reader.
    "axes.prop_cycle": mpl.cycler(
        color=[
            "#0072B2",
            "#D55E00",
            "#009E73",
            "#CC79A7",
            "#E69F00",
            "#56B4E9",
            "#000000",
        ]
    ),
}


# No creation date in the files, so that two runs of a chapter give the same bytes.
SVG_METADATA = {"Date": None}


def use_book_style() -> None:
    """Apply the book's matplotlib style to every later figure in this kernel.

    In a Jupyter kernel (the build, Binder, Colab) the inline backend also shows figures as SVG;
    in plain Python, or where IPython is missing, only the style is applied.
    """
    mpl.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats("svg", metadata=SVG_METADATA)
