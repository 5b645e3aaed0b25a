"""The book as _toc.yml and _config.yml describe it: its pages, its chapters, its repository.

The repository URL is set once, as `repository.url` in _config.yml. Every link is derived from it:
the theme's source buttons, the Binder and Colab buttons (bookkit.sphinx_ext), and the install cell
of the exported notebooks (bookkit.export).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from bookkit.paths import ROOT

NOTEBOOKS_BRANCH = "notebooks"  # the branch that the exported notebooks are pushed to
COLAB = "https://colab.research.google.com"
BINDER = "https://mybinder.org"
MYST_HEADER = "format_name: myst"
# Seconds per chapter on 2 CPU cores; a training chapter sets `nnbook: {budget_seconds: 60}` up top.
DEFAULT_BUDGET_SECONDS = 20


def book_config(root: Path = ROOT) -> dict:
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def repository(root: Path = ROOT) -> tuple[str, str, str]:
    """(url, owner, name) of the GitHub repository set in _config.yml."""
    url = book_config(root)["repository"]["url"].rstrip("/")
    if not url.startswith("https://github.com/"):
        raise ValueError(
            f"repository.url in _config.yml must be a GitHub URL, not {url!r}"
        )
    owner, name = url.removeprefix("https://github.com/").split("/")[:2]
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


def is_myst_notebook(path: Path) -> bool:
    """A MyST notebook starts with a YAML header that names jupytext's myst format."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:1000]
    return head.startswith("---") and MYST_HEADER in head.split("\n---", 1)[0]


def chapters(root: Path = ROOT) -> list[Path]:
    """The toc's pages that are notebooks (hold code cells), in the order of the toc."""
    pages = (root / f"{entry}.md" for entry in toc_entries(root))
    return [
        p
        for p in pages
        if is_myst_notebook(p) and "{code-cell}" in p.read_text("utf-8")
    ]


def page_name(path: Path, root: Path = ROOT) -> str:
    """`book/tensors` for book/tensors.md: the name the toc, Sphinx and the cache use."""
    return path.resolve().relative_to(root).with_suffix("").as_posix()


def budget_seconds(metadata: dict) -> float:
    """A chapter's time budget, from its notebook metadata (tests/built/test_budgets.py)."""
    return metadata.get("nnbook", {}).get("budget_seconds", DEFAULT_BUDGET_SECONDS)


def colab_url(pagename: str, root: Path = ROOT) -> str:
    """Colab opens the exported, executed notebook of a page from the notebooks branch."""
    _, owner, name = repository(root)
    return f"{COLAB}/github/{owner}/{name}/blob/{NOTEBOOKS_BRANCH}/{pagename}.ipynb"


def binder_url(pagename: str, root: Path = ROOT) -> str:
    """Binder opens the same exported notebook in JupyterLab, with binder/ from that branch."""
    _, owner, name = repository(root)
    return (
        f"{BINDER}/v2/gh/{owner}/{name}/{NOTEBOOKS_BRANCH}"
        f"?urlpath=lab/tree/{pagename}.ipynb"
    )


def site_url(root: Path = ROOT) -> str:
    """The published book (GitHub Pages), where the exported notebooks' links point."""
    _, owner, name = repository(root)
    return f"https://{owner}.github.io/{name}/"
