"""Where the book's pages live and launch: the repository URL, the toc, Colab links, notebook export.

The repository URL is set once, as `repository.url` in _config.yml. Every link is derived from it:
the theme's source buttons, the Binder and Colab buttons (see nnbook.sphinx_ext), and the install
cell that the exported notebooks carry for Colab.

    python -m nnbook.publishing export   # _build/jupyter_execute/**.ipynb -> _build/notebooks/

The export step copies each chapter's executed notebook and puts an install cell first. The publish
workflow pushes _build/notebooks/ to the `notebooks` branch, which the Colab buttons point at.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_BRANCH = "notebooks"
COLAB = "https://colab.research.google.com"
EXECUTED = Path("_build") / "jupyter_execute"
EXPORTED = Path("_build") / "notebooks"
INSTALL_CELL_TAG = "nnbook-install"


def book_config(root: Path = ROOT) -> dict:
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def repository(root: Path = ROOT) -> tuple[str, str, str]:
    """(url, owner, name) of the GitHub repository set in _config.yml."""
    url = book_config(root)["repository"]["url"].rstrip("/")
    owner, name = url.removeprefix("https://github.com/").split("/")[:2]
    if not url.startswith("https://github.com/"):
        raise ValueError(f"repository.url in _config.yml must be a GitHub URL, not {url!r}")
    return url, owner, name


def _toc_files(node: dict) -> list[str]:
    found = [node["file"]] if "file" in node else []
    for key in ("parts", "chapters", "sections"):
        for child in node.get(key, []):
            found += _toc_files(child)
    return found


def toc_entries(root: Path = ROOT) -> list[str]:
    """Every page named in _toc.yml, root first, as written there (no suffix)."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"], *_toc_files(toc)]


def colab_url(pagename: str, root: Path = ROOT) -> str:
    """Colab opens the exported, executed notebook of a page from the notebooks branch."""
    _, owner, name = repository(root)
    return f"{COLAB}/github/{owner}/{name}/blob/{NOTEBOOKS_BRANCH}/{pagename}.ipynb"


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
        executed = root / EXECUTED / f"{page}.ipynb"
        if not executed.is_file():
            continue  # a page without code cells is not executed
        notebook = json.loads(executed.read_text(encoding="utf-8"))
        notebook["cells"] = [install_cell(root), *copy.deepcopy(notebook["cells"])]
        target = root / EXPORTED / f"{page}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        written.append(target)
    return written


if __name__ == "__main__":
    if sys.argv[1:] != ["export"]:
        sys.exit("usage: python -m nnbook.publishing export")
    paths = export()
    print(f"exported {len(paths)} notebooks to {EXPORTED}/")
