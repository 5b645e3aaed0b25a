"""The layout works at a laptop's width (1280 px) and a phone's (390 px): the navigation buttons
open and close what they name, code and equations fit or scroll in their own box, and no page
scrolls sideways as a whole."""

import pytest

from tests.booklib import chapters, toc_entries
from tests.browser import pagecheck
from tests.browser.conftest import DESKTOP, PHONE

PAGES = list(toc_entries())
CHAPTER_PAGES = {
    p.relative_to(p.parents[1]).with_suffix("").as_posix() for p in chapters()
}
PAGE = "book/tensors"
# The buttons a reader sees in the article's header (the theme hides the navbar's copies).
MENU = ".bd-header-article .primary-toggle"
CONTENTS = ".bd-header-article .secondary-toggle"


def shown(page, selector: str) -> bool:
    """Whether the element is on screen: laid out, visible and not moved out of the window."""
    return page.evaluate(
        """s => { const e = document.querySelector(s); if (!e) return false;
          const r = e.getBoundingClientRect(), style = getComputedStyle(e);
          return r.width > 0 && r.right > 0 && style.visibility !== 'hidden'
                 && style.opacity !== '0'; }""",
        selector,
    )


def test_the_menu_opens_the_chapter_list_on_a_phone(site, open_page):
    page, _ = open_page(f"{site}{PAGE}.html", width=PHONE)
    assert not shown(page, "#pst-primary-sidebar-modal"), (
        "the chapter list is open already"
    )
    page.tap(MENU)
    page.wait_for_selector("#pst-primary-sidebar-modal[open]", timeout=5000)
    link = page.locator("#pst-primary-sidebar-modal nav a.reference.internal").nth(3)
    target = link.get_attribute("href")
    assert link.is_visible(), "the chapter list opened, but its links cannot be seen"
    link.tap()
    page.wait_for_url(f"**/{target.split('/')[-1]}", timeout=5000)
    assert page.url.split("#")[0].endswith(target.split("/")[-1]), page.url


def test_the_menu_hides_and_shows_the_sidebar_on_a_laptop(site, open_page):
    page, _ = open_page(f"{site}{PAGE}.html")
    sidebar = "#pst-primary-sidebar"
    assert shown(page, sidebar), "the chapter list is not shown on a wide screen"
    page.click(MENU)
    page.wait_for_function(
        "s => getComputedStyle(document.querySelector(s)).visibility === 'hidden'",
        arg=sidebar,
        timeout=5000,
    )
    assert not shown(page, "#pst-primary-sidebar-modal[open]"), "opened as a dialog"
    page.click(MENU)
    page.wait_for_function(
        "s => getComputedStyle(document.querySelector(s)).visibility !== 'hidden'",
        arg=sidebar,
        timeout=5000,
    )
    page.wait_for_timeout(500)  # the sidebar slides back in
    assert shown(page, sidebar), "the chapter list did not come back"


def test_the_contents_button_opens_the_page_contents_on_a_phone(site, open_page):
    page, _ = open_page(f"{site}{PAGE}.html", width=PHONE)
    page.tap(CONTENTS)
    page.wait_for_selector("#pst-secondary-sidebar-modal[open]", timeout=5000)
    entries = page.locator("#pst-secondary-sidebar-modal .page-toc a")
    assert entries.count() >= 3 and entries.first.is_visible(), (
        "the page's contents did not open"
    )


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_one_search_field_and_no_empty_bar(width, site, open_page):
    page, _ = open_page(f"{site}{PAGE}.html", width=width)
    header = page.evaluate(
        "() => { const h = document.querySelector('#pst-header');"
        " return h ? h.getBoundingClientRect().height : 0; }"
    )
    assert header == 0, f"an extra bar {header:.0f} px high sits above the page"
    fields = page.locator(".search-button-field")
    visible = [i for i in range(fields.count()) if fields.nth(i).is_visible()]
    assert len(visible) == (1 if width == DESKTOP else 0), (
        f"{len(visible)} search fields are shown"
    )


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
@pytest.mark.parametrize("entry", PAGES)
def test_the_page_fits(entry, width, site, open_page):
    """Code fits a laptop's column; equations never lose their ends; no page scrolls sideways."""
    page, _ = open_page(f"{site}{entry}.html", width=width)
    problems = pagecheck.clipped_math(page)
    problems += pagecheck.page_overflow(page)
    if width == DESKTOP and entry in CHAPTER_PAGES:
        problems += pagecheck.wide_code(page)
    assert not problems, f"{entry} at {width} px:\n  " + "\n  ".join(problems)
