"""Where the book's pages live and launch: the repository URL, the toc, Colab links, notebook export.

The repository URL is set once, as `repository.url` in _config.yml. Every link is derived from it:
the theme's source buttons, the Binder and Colab buttons (see nnbook.sphinx_ext), and the install
cell that the exported notebooks carry for Colab.

    python -m nnbook.publishing export   # executed chapters -> _build/notebooks/*.ipynb

The export step takes each chapter's executed notebook from the build's execution cache and puts an
install cell first. The publish workflow pushes _build/notebooks/ to the `notebooks` branch, which
the Colab buttons point at. The test command fills that cache from its nbval runs
(`store_execution`), so that its build renders them instead of executing every chapter again.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import nbformat
import yaml
from filelock import FileLock
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from myst_nb.core.read import read_myst_markdown_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_BRANCH = "notebooks"
COLAB = "https://colab.research.google.com"
CACHE = Path("_build") / ".jupyter_cache"  # myst-nb's execution cache (_config.yml: execute.cache)
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


def _read_page(page: str, root: Path):
    """The page as myst-nb reads it, so that its hash in the execution cache is the build's."""
    source = root / f"{page}.md"
    return read_myst_markdown_notebook(source.read_text(encoding="utf-8"), path=source)


def executed_notebook(page: str, root: Path = ROOT) -> dict | None:
    """The page's notebook with the outputs of its last execution; None for a page without code.

    The outputs come from the execution cache. The copies in _build/jupyter_execute/ will not do:
    myst-nb writes a notebook that it restored from the cache there without its outputs.
    """
    notebook = _read_page(page, root)
    if not any(cell.cell_type == "code" for cell in notebook.cells):
        return None
    try:
        _, executed = get_cache(str(root / CACHE)).merge_match_into_notebook(notebook)
    except KeyError:
        raise LookupError(
            f"{page}.md has no executed copy in {CACHE}: build the book first (python3 tasks.py build)"
        ) from None
    return executed


def store_execution(
    page: str,
    sources: list[str],
    outputs: list[list | None],
    language_info: dict,
    seconds: float,
    root: Path = ROOT,
) -> bool:
    """Put one complete, passing run of the page's code cells into the build's execution cache.

    `sources` and `outputs` hold each code cell's source and outputs (None for a skipped cell), in
    order; `language_info` is the kernel's, which selects the highlighting of the code. The test
    command runs every chapter under nbval first; this hook (called from conftest.py) lets the
    build that follows render those outputs instead of running every chapter a second time. It
    stores nothing, and returns False, unless `sources` are the page's code cells.
    """
    notebook = _read_page(page, root)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if [cell.source for cell in code] != sources:
        return False
    notebook.metadata["language_info"] = language_info
    count = 0
    for cell, cell_outputs in zip(code, outputs, strict=True):
        if cell_outputs is not None:
            count += 1
            cell.outputs, cell.execution_count = nbformat.from_dict(cell_outputs), count
    cache_dir = root / CACHE
    cache_dir.mkdir(parents=True, exist_ok=True)
    bundle = CacheBundleIn(notebook, str(root / f"{page}.md"), data={"execution_seconds": seconds})
    with FileLock(cache_dir / "nnbook-write.lock"):  # test workers finish chapters concurrently
        get_cache(str(cache_dir)).cache_notebook_bundle(
            bundle, check_validity=False, overwrite=True
        )
    return True


def export(root: Path = ROOT) -> list[Path]:
    """Write each executed chapter notebook, with the install cell first, under _build/notebooks/."""
    written = []
    for page in toc_entries(root):
        notebook = executed_notebook(page, root)
        if notebook is None:
            continue  # a page without code cells is not executed
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
    try:
        paths = export()
    except LookupError as err:
        sys.exit(f"error: {err}")
    print(f"exported {len(paths)} notebooks to {EXPORTED}/")
