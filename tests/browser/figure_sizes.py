"""The smallest text in each chapter's figures, read from the execution cache, without a browser.

    python -m tests.browser.figure_sizes [book/neuron.md ...]   # default: every chapter

Run a chapter first (`python3 tasks.py chapter book/X.md`). Each figure is taken to fill the
672 px content column, capped at its natural width: the measure that tests/browser/test_figures.py
applies to the built book in Chromium (both use pagecheck.parse_svg).
"""

import base64
import sys
from pathlib import Path

from bookkit.book import chapters, page_name
from bookkit.cache import executed_notebook
from bookkit.paths import ROOT
from tests.browser.pagecheck import COLUMN_PX, MIN_TEXT_PX, parse_svg


def _png_scale(encoded: str) -> str:
    """How big a PNG's 10 pt text is in the column (the book's figures were 110 dpi PNGs)."""
    width = int.from_bytes(base64.b64decode(encoded)[16:20], "big")
    dpi = 110
    px_per_pt = dpi / 72 * min(1, COLUMN_PX / width)
    return f"PNG {width} px wide at {dpi} dpi: 10 pt text is {10 * px_per_pt:.1f} px"


def figure_sizes(page: str) -> list[tuple[str, str]]:
    """(figure, verdict) for each image output of the page's last cached run."""
    notebook = executed_notebook(page)
    rows = []
    for number, cell in enumerate(notebook.cells if notebook else []):
        if cell.cell_type != "code":
            continue
        name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            label = f"{page} cell {number}" + (f" ({name})" if name else "")
            if "image/svg+xml" in data:
                figure = parse_svg(data["image/svg+xml"])
                smallest = figure.smallest_text()
                width = min(figure.width_px, COLUMN_PX)
                if smallest is None:
                    rows.append((label, f"SVG {width:.0f} px wide, no text"))
                    continue
                px, text = smallest
                flag = "" if px >= MIN_TEXT_PX else "  TOO SMALL"
                flag += "".join(f"  FONT MISSING: {t}" for t in figure.missing_fonts())
                rows.append(
                    (
                        label,
                        f"SVG {width:.0f} px wide, smallest text {px:.1f} px {text!r}{flag}",
                    )
                )
            elif "image/png" in data:
                rows.append((label, f"not SVG: {_png_scale(data['image/png'])}"))
            elif any(key.startswith("image/") for key in data):
                kinds = ", ".join(k for k in data if k.startswith("image/"))
                rows.append((label, f"not SVG: {kinds}"))
    return rows


def main(paths: list[str]) -> None:
    pages = [page_name(Path(p).resolve()) for p in paths] or [
        page_name(p) for p in chapters(ROOT)
    ]
    for page in pages:
        try:
            rows = figure_sizes(page)
        except LookupError as err:
            print(f"{page}: {err}")
            continue
        for label, verdict in rows:
            print(f"{label}: {verdict}")


if __name__ == "__main__":
    main(sys.argv[1:])
