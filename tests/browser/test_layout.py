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
PAGE_WITH_LONG_CODE = "book/backprop"  # its lines of up to 88 characters
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
    """No code block scrolls sideways: at 1280 px its lines fit without wrapping, on a phone the
    long ones wrap. Equations never lose their ends, and no page scrolls sideways as a whole."""
    page, _ = open_page(f"{site}{entry}.html", width=width)
    problems = pagecheck.clipped_math(page)
    problems += pagecheck.page_overflow(page)
    if entry in CHAPTER_PAGES:
        problems += pagecheck.wide_code(page)
        if width == DESKTOP:
            problems += pagecheck.wrapped_code(page)
    assert not problems, f"{entry} at {width} px:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_wrapping_keeps_the_code_that_the_copy_button_copies(width, site, open_page):
    """nnbook.js splits each code block into lines for the phone's wrapping: every block's text,
    which sphinx-copybutton copies, must stay what the page's HTML holds, newlines included."""
    page, _ = open_page(f"{site}{PAGE_WITH_LONG_CODE}.html", width=width)
    changed = page.evaluate(
        """async () => {
        const source = await (await fetch(location.href)).text();
        const original = new DOMParser().parseFromString(source, 'text/html');
        const select = d => Array.from(d.querySelectorAll('article div.highlight > pre'));
        const before = select(original).map(p => p.textContent);
        const after = select(document).map(p => p.textContent);
        const lines = document.querySelectorAll('span.nnbook-line').length;
        if (before.length !== after.length || lines === 0) return [`${before.length} blocks`
            + ` in the HTML, ${after.length} on the page, ${lines} lines split`];
        return after.flatMap((text, i) => text === before[i] ? [] : [before[i].slice(0, 80)]);
    }"""
    )
    assert not changed, "code whose text the script changed:\n  " + "\n  ".join(changed)


def test_a_wrapped_line_continues_past_its_own_indentation(site, open_page):
    """On a phone, a line too long for the column wraps, and its continuation starts 4
    characters to the right of where the line starts."""
    page, _ = open_page(f"{site}{PAGE_WITH_LONG_CODE}.html", width=PHONE)
    wrapped = page.evaluate(
        """() => {
        const probe = document.createElement('span');
        probe.textContent = '0'.repeat(10);  // CSS's ch is the width of a 0
        document.querySelector('div.highlight > pre').append(probe);
        const ch = probe.getBoundingClientRect().width / 10;
        probe.remove();
        return Array.from(document.querySelectorAll('span.nnbook-line')).flatMap(line => {
            const range = document.createRange();
            range.selectNodeContents(line);
            const boxes = Array.from(range.getClientRects()).filter(r => r.width > 0);
            const tops = [...new Set(boxes.map(r => Math.round(r.top)))];
            if (tops.length < 2) return [];
            const first = Math.min(...boxes.filter(r => Math.round(r.top) === tops[0])
                                          .map(r => r.left));
            const next = Math.min(...boxes.filter(r => Math.round(r.top) === tops[1])
                                         .map(r => r.left));
            const text = line.textContent, indent = text.length - text.trimStart().length;
            return [{start: first + indent * ch, next, ch, text: text.slice(0, 60)}];
        });
        }"""
    )
    assert wrapped, f"no line wraps on {PAGE_WITH_LONG_CODE} at {PHONE} px"
    for line in wrapped:
        shift = (line["next"] - line["start"]) / line["ch"]
        assert 3.5 < shift < 4.5, (
            f"continuation {shift:.1f} characters in: {line['text']}"
        )
