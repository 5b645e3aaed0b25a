"""Each chapter executed within its time budget when the book was last built.

The times come from the build's execution cache (the same figures as the book's execution report),
so this test reads the measurement that the build made; it does not run anything itself.
"""

import pytest
from jupyter_cache import get_cache

from conftest import budget_seconds
from tests.booklib import ROOT, chapter_id, chapters, needs_build, read_notebook

pytestmark = needs_build

CACHE = ROOT / "_build" / ".jupyter_cache"


@pytest.fixture(scope="module")
def execution_seconds() -> dict[str, float]:
    if not CACHE.is_dir():
        pytest.fail("no execution cache: build the book first (python3 tasks.py build)")
    records = sorted(get_cache(str(CACHE)).list_cache_records(), key=lambda r: r.created)
    return {r.uri: r.data["execution_seconds"] for r in records}  # the newest record of each page


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_chapter_runs_within_budget(path, execution_seconds):
    budget = budget_seconds(read_notebook(path).metadata)
    assert str(path) in execution_seconds, f"{chapter_id(path)} has no execution record in {CACHE}"
    seconds = execution_seconds[str(path)]
    assert seconds <= budget, f"{chapter_id(path)} took {seconds:.1f} s, over its {budget} s budget"
