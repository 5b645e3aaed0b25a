"""What a reader's browser must see on each page of the built book.

Each function takes a loaded Playwright page and returns a list of problems, one line each, so
the tests can both assert "no problems" on the real book and prove, on deliberately broken copies
of a page, that each check does catch what it claims to (tests/browser/test_checks_catch.py).
"""

from pathlib import Path

NODE_MODULES = Path(__file__).parent / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
MATHJAX_DIR = NODE_MODULES / "mathjax"
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")


def wait_for_mathjax(page) -> None:
    """Wait until MathJax (if the page loads it) has typeset every formula."""
    page.wait_for_function(
        "() => !document.querySelector('script[src*=mathjax]')"
        " || (window.MathJax && MathJax.startup && MathJax.startup.promise)",
        timeout=15000,
    )
    page.evaluate(
        "() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null"
    )


def math_problems(page) -> list[str]:
    """Formulas left as raw TeX, or typeset with an error."""
    found = page.evaluate(
        """() => {
        const main = document.querySelector('main') || document.body;
        const copy = main.cloneNode(true);
        copy.querySelectorAll('pre, code, script, style, mjx-container').forEach(e => e.remove());
        const text = copy.textContent;
        const raw = ['$$', '\\\\(', '\\\\)', '\\\\[', '\\\\]'].filter(d => text.includes(d));
        return {
          raw: raw,
          errors: document.querySelectorAll('mjx-merror, .MathJax_Error').length,
          typeset: document.querySelectorAll('mjx-container').length,
          emitted: document.querySelectorAll('span.math, div.math').length,
        };
    }"""
    )
    problems = [f"raw TeX delimiter {d!r} left in the page text" for d in found["raw"]]
    if found["errors"]:
        problems.append(f"{found['errors']} formula(s) typeset with a MathJax error")
    if found["typeset"] < found["emitted"]:
        problems.append(
            f"only {found['typeset']} of {found['emitted']} formulas were typeset"
        )
    return problems


def image_problems(page) -> list[str]:
    """Images that failed to load or have no alt text."""
    images = page.evaluate(
        """() => Array.from(document.images).map(i => ({
            src: i.getAttribute('src'), alt: (i.getAttribute('alt') || '').trim(),
            width: i.naturalWidth, complete: i.complete}))"""
    )
    problems = []
    for image in images:
        if not image["complete"] or image["width"] == 0:
            problems.append(f"image did not load: {image['src']}")
        if not image["alt"]:
            problems.append(f"image without alt text: {image['src']}")
    return problems


def button_problems(page) -> list[str]:
    """A chapter page offers launch (Binder, Colab), download and source buttons."""
    links = page.evaluate(
        """() => ({
          launch: Array.from(document.querySelectorAll('.dropdown-launch-buttons a')).map(a => a.href),
          download: document.querySelectorAll('.dropdown-download-buttons .btn-download-notebook-button,'
                                              + ' .dropdown-download-buttons .btn-download-source-button').length,
          source: document.querySelectorAll('.dropdown-source-buttons .btn-source-repository-button').length,
        })"""
    )
    problems = []
    for host in ("mybinder.org", "colab.research.google.com"):
        if not any(host in href for href in links["launch"]):
            problems.append(f"no launch button to {host}")
    if not links["download"]:
        problems.append("no download button")
    if not links["source"]:
        problems.append("no source repository button")
    return problems


def navigation_links(page) -> dict[str, str | None]:
    """The absolute URLs of the previous and next links at the foot of the page."""
    return page.evaluate(
        """() => ({
          prev: (document.querySelector('.prev-next-area a.left-prev') || {}).href || null,
          next: (document.querySelector('.prev-next-area a.right-next') || {}).href || null,
        })"""
    )


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page; return its violations with their impact and node count."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": len(v["nodes"]),
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
    ]


def blocking(violations: list[dict]) -> list[str]:
    return [
        f"{v['impact']} axe violation {v['id']} ({v['help']}) on {v['nodes']} element(s), "
        f"e.g. {v['targets'][:2]}"
        for v in violations
        if v["impact"] in BLOCKING_IMPACTS
    ]


def wide_code(page) -> list[str]:
    """Code blocks (cell inputs and code in the text) that scroll sideways: a reader must scroll
    to see the end of a line. Cell outputs wrap instead (bookkit/sphinx_static/nnbook.css)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('main div.highlight pre'))
          .filter(pre => !pre.closest('.cell_output') && pre.scrollWidth > pre.clientWidth + 1)
          .map(pre => `code block scrolls sideways (${pre.scrollWidth} px in ${pre.clientWidth}`
                      + ` px): ${pre.textContent.split('\\n').sort((a, b) => b.length - a.length)[0]}`)"""
    )


def wide_outputs(page) -> int:
    """How many cell outputs scroll sideways (reported, not failed: a wide image may)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('main .cell_output pre'))
          .filter(pre => pre.scrollWidth > pre.clientWidth + 1).length"""
    )


def clipped_math(page) -> list[str]:
    """Display equations cut off: part of the formula lies outside a box that hides its overflow
    instead of scrolling it. A formula that scrolls within its own box is fine."""
    return page.evaluate(
        """() => {
        const clipped = [];
        for (const math of document.querySelectorAll('mjx-container[display=true] > mjx-math')) {
          const r = math.getBoundingClientRect();
          for (let box = math.parentElement; box && box !== document.body; box = box.parentElement) {
            const b = box.getBoundingClientRect(), overflow = getComputedStyle(box).overflowX;
            if ((r.right > b.right + 1 || r.left < b.left - 1) && overflow !== 'visible') {
              if (overflow !== 'auto' && overflow !== 'scroll') {
                const tex = (math.parentElement.querySelector('mjx-assistive-mml') || math);
                clipped.push(`display equation clipped by ${box.tagName.toLowerCase()}.`
                  + `${box.className.split(' ')[0]} (${Math.round(r.width)} px in`
                  + ` ${Math.round(b.width)} px): ${tex.textContent.slice(0, 60)}`);
              }
              break;
            }
          }
        }
        return clipped;
    }"""
    )


def page_overflow(page) -> list[str]:
    """The page is wider than the window, so that the whole page scrolls sideways: name the
    widest elements that reach past the window's right edge."""
    return page.evaluate(
        """() => {
        const width = window.innerWidth;
        if (document.documentElement.scrollWidth <= width) return [];
        const culprits = Array.from(document.querySelectorAll('main *'))
          .filter(e => e.getBoundingClientRect().right > width + 1)
          .filter(e => !e.parentElement.closest('pre, mjx-container, table, .cell_output'))
          .slice(0, 3)
          .map(e => `${e.tagName.toLowerCase()}.${e.className}`);
        return [`the page is ${document.documentElement.scrollWidth} px wide in a ${width} px`
                + ` window; past the edge: ${culprits.join(', ')}`];
    }"""
    )
