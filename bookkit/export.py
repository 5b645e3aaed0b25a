"""The notebooks that the Colab and Binder buttons open: each executed chapter, with an install
cell first, its Markdown rendered as the HTML page reads (bookkit.notebook_md).

`export()` writes them to _build/notebooks/ after the render, whose saved Sphinx environment
resolves the cross-references; the publish workflow pushes that folder, with binder/, to the
notebooks branch (bookkit.book.colab_url, binder_url), and `python3 tasks.py notebooks` runs them
under nbval.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

from bookkit.book import repository, site_url, toc_entries
from bookkit.cache import executed_notebook
from bookkit.notebook_md import (
    Page,
    convert_cells,
    glue_values,
    references_from_environment,
)
from bookkit.paths import DOCTREES, NOTEBOOKS, ROOT, under

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


def binder_folder(root: Path = ROOT) -> Path:
    """binder/ for the notebooks branch, which has no package to install: binder/ plus nnbook."""
    url, _, _ = repository(root)
    target = under(root, NOTEBOOKS) / "binder"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(root / "binder", target)
    requirements = target / "requirements.txt"
    text = requirements.read_text(encoding="utf-8").rstrip("\n")
    requirements.write_text(f"{text}\nnnbook @ git+{url}@main\n", encoding="utf-8")
    return target


def export(root: Path = ROOT) -> list[Path]:
    """Write each executed chapter notebook, with the install cell first, under _build/notebooks/."""
    written = []
    environment = under(root, DOCTREES) / "environment.pickle"
    refs = references_from_environment(environment, site_url(root))
    for page in toc_entries(root):
        notebook = executed_notebook(page, root)
        if notebook is None:
            continue  # a page without code cells is not executed
        source = root / f"{page}.md"
        cells = copy.deepcopy(notebook["cells"])
        converter = Page(
            name=page,
            refs=refs,
            glue=glue_values(cells),
            folder=source.parent,
            source=source.read_text(encoding="utf-8"),
        )
        notebook["cells"] = [install_cell(root), *convert_cells(converter, cells)]
        target = under(root, NOTEBOOKS) / f"{page}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(target)
    if written:
        binder_folder(root)
    return written
