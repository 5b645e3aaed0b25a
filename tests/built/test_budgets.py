"""Each chapter executed within its time budget when the book was last built.

The times come from the build's execution cache (the same figures as the book's execution report),
so this test reads the measurement that the build made; it does not run anything itself.
"""

import pytest

from bookkit import cache
from bookkit.book import budget_seconds, page_name
from bookkit.paths import CACHE
from tests.booklib import chapter_id, chapters, read_notebook


@pytest.fixture(scope="module")
def execution_seconds() -> dict[str, float]:
    if not CACHE.is_dir():
        pytest.fail("no execution cache: build the book first (python3 tasks.py build)")
    return cache.execution_seconds()


@pytest.mark.parametrize("path", chapters(), ids=chapter_id)
def test_chapter_runs_within_budget(path, execution_seconds):
    budget = budget_seconds(read_notebook(path).metadata)
    page = page_name(path)
    assert page in execution_seconds, (
        f"{chapter_id(path)} has no execution record in {CACHE}"
    )
    seconds = execution_seconds[page]
    assert seconds <= budget, (
        f"{chapter_id(path)} took {seconds:.1f} s, over its {budget} s budget"
    )
