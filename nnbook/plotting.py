"""One figure style for the whole book. Call `use_book_style()` once per chapter, before plotting."""

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
    "font.size": 10,
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


def use_book_style() -> None:
    """Apply the book's matplotlib style to every later figure in this kernel."""
    mpl.rcParams.update(BOOK_STYLE)
