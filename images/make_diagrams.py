"""Draw the book's diagrams (figures that are not plots of a computation) as SVG files in images/.

    python images/make_diagrams.py            # rewrite every diagram next to this script
    python images/make_diagrams.py OUT_DIR    # write them elsewhere (tests/test_figures.py does this)

The output is byte-for-byte reproducible, so a test can check that the committed files are exactly
what this script draws. Alt text lives with each figure in the chapter that shows it.
"""

import itertools
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from nnbook.plotting import BOOK_STYLE

BLUE, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#555555"
# BOOK_STYLE already keeps the text as <text> and fixes svg.hashsalt; no date (main) does the rest.
DIAGRAM_STYLE = {"axes.grid": False}


def node(ax, xy, label, color, radius=0.32):
    ax.add_patch(
        plt.Circle(
            xy, radius, facecolor="white", edgecolor=color, linewidth=2, zorder=3
        )
    )
    ax.text(*xy, label, ha="center", va="center", fontsize=13, zorder=4)


def arrow(ax, start, end, label=None, color=GREY, label_at=0.45, offset=0.12):
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": color,
            "lw": 1.4,
            "shrinkA": 14,
            "shrinkB": 14,
        },
    )
    if label:
        x = start[0] + label_at * (end[0] - start[0])
        y = start[1] + label_at * (end[1] - start[1]) + offset
        ax.text(x, y, label, ha="center", va="bottom", fontsize=11, color=color)


def canvas(width, height):
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def neuron():
    """Three inputs, their weights, a weighted sum plus bias, an activation, one output."""
    fig, ax = canvas(6.4, 3.0)
    inputs = [(0.4, 2.2), (0.4, 1.2), (0.4, 0.2)]
    for i, xy in enumerate(inputs, start=1):
        node(ax, xy, f"$x_{i}$", BLUE)
        arrow(ax, xy, (3.0, 1.2), f"$w_{i}$", label_at=0.35)
    node(ax, (3.0, 1.2), r"$\Sigma$", ORANGE, radius=0.42)
    ax.text(3.0, 0.45, r"$z = \sum_i x_i w_i + b$", ha="center", va="top", fontsize=11)
    arrow(ax, (3.0, 2.35), (3.0, 1.2))
    ax.text(3.0, 2.4, "$b$", ha="center", va="bottom", fontsize=12, color=GREY)
    ax.add_patch(
        plt.Rectangle((4.35, 0.85), 0.7, 0.7, facecolor="white", edgecolor=GREEN, lw=2)
    )
    ax.text(4.7, 1.2, "$f$", ha="center", va="center", fontsize=13)
    arrow(ax, (3.0, 1.2), (4.35 + 0.25, 1.2))
    arrow(ax, (5.05 - 0.2, 1.2), (6.3, 1.2), r"$\hat{y} = f(z)$", label_at=0.55)
    ax.set_xlim(-0.1, 6.6)
    ax.set_ylim(-0.3, 2.9)
    return fig


def two_layer_network():
    """Seed 004's network: 3 inputs, 2 hidden units, 1 output, y = f2(f1(x W1 + b1) W2 + b2)."""
    fig, ax = canvas(6.4, 3.4)
    inputs = [(0.5, 2.6), (0.5, 1.5), (0.5, 0.4)]
    hidden = [(3.0, 2.05), (3.0, 0.95)]
    output = (5.5, 1.5)
    for i, xy in enumerate(inputs, start=1):
        node(ax, xy, f"$x_{i}$", BLUE)
        for h in hidden:
            arrow(ax, xy, h)
    for j, xy in enumerate(hidden, start=1):
        node(ax, xy, f"$h_{j}$", ORANGE)
        arrow(ax, xy, output)
    node(ax, output, r"$\hat{y}$", GREEN)
    ax.text(
        1.75,
        3.05,
        r"$\mathbf{W}_1\ (3\times 2),\ \mathbf{b}_1$",
        ha="center",
        fontsize=11,
    )
    ax.text(
        4.25,
        3.05,
        r"$\mathbf{W}_2\ (2\times 1),\ \mathbf{b}_2$",
        ha="center",
        fontsize=11,
    )
    ax.text(
        3.0,
        0.2,
        r"$\mathbf{h} = f_1(\mathbf{x}\mathbf{W}_1 + \mathbf{b}_1)$",
        ha="center",
        va="top",
        fontsize=11,
    )
    ax.text(
        5.5,
        0.95,
        r"$f_2(\mathbf{h}\mathbf{W}_2 + \mathbf{b}_2)$",
        ha="center",
        va="top",
        fontsize=11,
    )
    for x, label in [
        (0.5, "input layer"),
        (3.0, "hidden layer"),
        (5.5, "output layer"),
    ]:
        ax.text(x, -0.45, label, ha="center", va="top", fontsize=10, color=GREY)
    ax.set_xlim(-0.1, 6.6)
    ax.set_ylim(-0.9, 3.4)
    return fig


def mark():
    """The book's mark: a small network (two inputs, three hidden units, one output)."""
    fig = plt.figure(figsize=(1, 1))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_aspect("equal")
    ax.axis("off")
    layers = [
        [(0.18, 0.32), (0.18, 0.68)],
        [(0.5, 0.18), (0.5, 0.5), (0.5, 0.82)],
        [(0.82, 0.5)],
    ]
    for left, right in itertools.pairwise(layers):
        for a in left:
            for b in right:
                ax.plot(*zip(a, b, strict=True), color=GREY, linewidth=2.2, zorder=1)
    for layer, color in zip(layers, (BLUE, ORANGE, GREEN), strict=True):
        for xy in layer:
            ax.add_patch(plt.Circle(xy, 0.1, facecolor=color, zorder=2))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return fig


DIAGRAMS = {
    "neuron.svg": neuron,
    "two_layer_network.svg": two_layer_network,
    "logo.svg": mark,  # the sidebar's logo (_config.yml: logo)
    "favicon.png": mark,  # the browser tab's icon (_config.yml: html.favicon)
}
# PNG files record the Matplotlib version unless told not to; SVG files a date and a creator.
NO_METADATA = {".png": {"Software": None}, ".svg": {"Date": None, "Creator": None}}


def main(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with plt.rc_context({**BOOK_STYLE, **DIAGRAM_STYLE}):
        for name, draw in DIAGRAMS.items():
            fig = draw()
            path = out_dir / name
            fig.savefig(
                path,
                bbox_inches="tight",
                transparent=path.suffix == ".png",
                dpi=64,
                metadata=NO_METADATA[path.suffix],
            )
            plt.close(fig)
            written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    for path in main(target):
        print(f"wrote {path}")
