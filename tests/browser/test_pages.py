"""Every page of the built book, opened in Chromium as a reader would open it."""

import json

import pytest

from tests.booklib import chapters, toc_entries
from tests.browser import pagecheck

PAGES = list(toc_entries())
CHAPTER_PAGES = {
    p.relative_to(p.parents[1]).with_suffix("").as_posix() for p in chapters()
}
SCREENSHOTS = {"intro": "book/intro", "math": "book/notation", "figures": "book/neuron"}


@pytest.fixture(scope="session")
def axe_report(artifacts):
    """Collects each page's axe results; written to artifacts/browser/ when the session ends."""
    report: dict[str, list[dict]] = {}
    yield report
    (artifacts / "axe.json").write_text(json.dumps(report, indent=2))
    rows = [
        "| page | serious | critical | moderate | minor |",
        "| --- | --- | --- | --- | --- |",
    ]
    for page, violations in report.items():
        counts = {
            i: sum(v["nodes"] for v in violations if v["impact"] == i)
            for i in ("serious", "critical", "moderate", "minor")
        }
        rows.append(
            f"| {page} | {counts['serious']} | {counts['critical']} | "
            f"{counts['moderate']} | {counts['minor']} |"
        )
    (artifacts / "axe.md").write_text("\n".join(rows) + "\n")


@pytest.mark.parametrize("entry", PAGES)
def test_page_reads_correctly(entry, site, open_page, axe_report):
    page, log = open_page(f"{site}{entry}.html")
    problems = log.problems()
    problems += pagecheck.math_problems(page)
    problems += pagecheck.image_problems(page)
    if entry in CHAPTER_PAGES:
        problems += pagecheck.button_problems(page)

    index = PAGES.index(entry)
    links = pagecheck.navigation_links(page)
    expected = {
        "prev": f"{site}{PAGES[index - 1]}.html" if index > 0 else None,
        "next": f"{site}{PAGES[index + 1]}.html" if index + 1 < len(PAGES) else None,
    }
    for side in ("prev", "next"):
        if links[side] != expected[side]:
            problems.append(
                f"{side} link goes to {links[side]}, expected {expected[side]}"
            )

    violations = pagecheck.axe_violations(page)
    axe_report[entry] = violations
    problems += pagecheck.blocking(violations)
    assert not problems, f"{entry}:\n  " + "\n  ".join(problems)


def test_search_finds_a_known_term(site, open_page):
    page, _ = open_page(f"{site}search.html?q=broadcasting")
    page.wait_for_selector("#search-results li a", timeout=15000)
    hits = page.eval_on_selector_all(
        "#search-results li a", "links => links.map(a => a.href)"
    )
    assert any(h.split("#")[0].endswith("book/tensors.html") for h in hits), hits


def test_dark_mode_toggle_switches_the_theme(site, open_page):
    page, _ = open_page(f"{site}book/intro.html")

    def background():
        return page.evaluate("() => getComputedStyle(document.body).backgroundColor")

    light = background()
    for _ in range(3):  # the button cycles through auto, light and dark
        page.click(".theme-switch-button")
        if page.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert background() != light, "the page background did not change in dark mode"
    page.reload(wait_until="load")
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark", (
        "not remembered"
    )


@pytest.mark.parametrize("kind", SCREENSHOTS)
def test_screenshot(kind, site, open_page, artifacts):
    page, _ = open_page(f"{site}{SCREENSHOTS[kind]}.html")
    path = artifacts / f"{kind}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
