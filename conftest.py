"""Let nbval run MyST Markdown notebooks (book/*.md) straight from their source files.

nbval 0.11 only collects `.ipynb`. `MystNotebook` reuses its collector whole and changes one thing:
the notebook is read with jupytext instead of nbformat, in memory, so no `.ipynb` copy is ever
written and the kernel still starts in the chapter's own folder (relative paths keep working).
tests/test_harness.py checks that this hook collects, runs and fails as it should.
"""

from pathlib import Path
from unittest import mock

import jupytext
import nbval.plugin
import pytest

MYST_HEADER = "format_name: myst"


def is_myst_notebook(path: Path) -> bool:
    """A MyST notebook starts with a YAML header that names jupytext's myst format."""
    if path.suffix != ".md":
        return False
    head = path.read_text(encoding="utf-8")[:1000]
    return head.startswith("---") and MYST_HEADER in head.split("\n---", 1)[0]


class MystNotebook(nbval.plugin.IPyNbFile):
    """nbval's notebook collector, fed by jupytext from a `.md` file."""

    def collect(self):
        notebook = jupytext.read(self.path, fmt="md:myst")
        with mock.patch.object(nbval.plugin.nbformat, "read", return_value=notebook):
            yield from super().collect()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    options = parent.config.option
    if (options.nbval or options.nbval_lax) and is_myst_notebook(file_path):
        return MystNotebook.from_parent(parent, path=file_path)
    return None
