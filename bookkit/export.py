"""The notebooks that the Colab buttons open: each executed chapter, with an install cell first.

`export()` writes them to _build/notebooks/; the publish workflow pushes that folder to the
notebooks branch (bookkit.book.colab_url), and `python3 tasks.py notebooks` runs them under nbval.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

from bookkit.book import repository, toc_entries
from bookkit.cache import executed_notebook
from bookkit.paths import NOTEBOOKS, ROOT

INSTALL_CELL_TAG = "nnbook-install"


def install_cell(root: Path = ROOT) -> dict:
    """A first code cell that installs the book's helper package where it is missing (Colab)."""
    url, _, _ = repository(root)
    source = (
        "# Colab and other fresh environments: install the book's helper package, `nnbook`.\n"
        "# PyTorch, NumPy and Matplotlib are already there; elsewhere this cell does nothing.\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("nnbook") is None:\n'
        f'    %pip install --quiet "nnbook @ git+{url}@main"'
    )
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": "nnbook-install",
        "metadata": {"tags": [INSTALL_CELL_TAG]},
        "outputs": [],
        "source": source,
    }


def export(root: Path = ROOT) -> list[Path]:
    """Write each executed chapter notebook, with the install cell first, under _build/notebooks/."""
    written = []
    for page in toc_entries(root):
        notebook = executed_notebook(page, root)
        if notebook is None:
            continue  # a page without code cells is not executed
        notebook["cells"] = [install_cell(root), *copy.deepcopy(notebook["cells"])]
        target = root / NOTEBOOKS.relative_to(ROOT) / f"{page}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(target)
    return written
