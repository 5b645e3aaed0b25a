"""What a reader's browser must see on each page of the built book.

Each function takes a loaded Playwright page and returns a list of problems, one line each, so
the tests can both assert "no problems" on the real book and prove, on deliberately broken copies
of a page, that each check does catch what it claims to (tests/browser/test_checks_catch.py).
"""

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

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


# Figures: SVG with real text, measured as the reader sees it (images/make_diagrams.py and
# nnbook/plotting.py write them; tests/browser/test_figures.py checks the built book).
COLUMN_PX = 672  # the content column's width at a 1280 px window
MIN_TEXT_PX = 10
CSS_PX = {
    "px": 1.0,
    "": 1.0,
    "pt": 96 / 72,
    "pc": 16.0,
    "in": 96.0,
    "cm": 96 / 2.54,
    "mm": 96 / 25.4,
}
_LENGTH = re.compile(r"\s*([0-9.]+(?:e[-+]?[0-9]+)?)\s*([a-z]*)\s*$")
_FONT_SIZE = re.compile(r"font-size\s*:\s*([0-9.]+)\s*([a-z]*)")
_FONT = re.compile(r"(?:^|;)\s*font\s*:[^;]*?([0-9.]+)(px|pt)\b")
_FONT_FAMILY = re.compile(r"font-family\s*:\s*([^;]+)")
TEX_FONT = re.compile(r"['\"]?(cm[a-z]+[0-9]+|STIX)")
_SVG_NS = "{http://www.w3.org/2000/svg}"
_TEXT_TAGS = (f"{_SVG_NS}text", f"{_SVG_NS}tspan")


@dataclass(frozen=True)
class SvgText:
    size: float  # font size in the SVG's user units
    text: str  # the text, or for Matplotlib's mathtext, the $...$ source it was drawn from
    family: str = ""  # the font-family it asks for, as written


@dataclass(frozen=True)
class SvgFigure:
    width_px: float  # natural width in CSS px (the width attribute)
    viewbox_width: float  # width in user units
    texts: tuple[SvgText, ...]

    def text_px(self, rendered_width: float | None = None) -> list[tuple[float, str]]:
        """Each text's size in CSS px when the image is `rendered_width` px wide, smallest first.

        Without a width, the figure is taken to fill the content column, but never to grow
        past its natural size (the book's CSS: max-width 100%).
        """
        if rendered_width is None:
            rendered_width = min(COLUMN_PX, self.width_px)
        scale = rendered_width / self.viewbox_width
        return sorted((t.size * scale, t.text) for t in self.texts)

    def smallest_text(self, rendered_width: float | None = None):
        """(size in CSS px, text) of the smallest text; None for an SVG without text."""
        sizes = self.text_px(rendered_width)
        return sizes[0] if sizes else None

    def missing_fonts(self) -> list[str]:
        """Texts set in Matplotlib's own TeX fonts (cmsy10 ...), which browsers do not have.

        Mathtext falls back to them for a few symbols, such as the prime of $f'$: the browser
        then draws another character (a 0). Write the Unicode character (′) instead.
        """
        texts = self.texts
        return sorted(
            {f"{t.text!r} in {t.family}" for t in texts if TEX_FONT.match(t.family)}
        )


def _length(value: str) -> float:
    match = _LENGTH.match(value or "")
    if not match or match.group(2) not in CSS_PX:
        raise ValueError(f"cannot read the SVG length {value!r}")
    return float(match.group(1)) * CSS_PX[match.group(2)]


def _font_size(element, inherited: float | None) -> float | None:
    style = element.get("style", "")
    match = _FONT_SIZE.search(style) or _FONT.search(style)
    if match:
        return _length(match.group(1) + match.group(2))
    if element.get("font-size"):
        return _length(element.get("font-size"))
    return inherited


def _font_family(element, inherited: str) -> str:
    match = _FONT_FAMILY.search(element.get("style", ""))
    return match.group(1).strip() if match else element.get("font-family", inherited)


def _formula(comment) -> str | None:
    """Matplotlib writes a formula's $...$ source in a comment just before its drawing."""
    text = (comment.text or "").strip()
    return text if "$" in text else None


def parse_svg(source: str | bytes) -> SvgFigure:
    """An SVG's size and every piece of text in it, with its font size in user units."""
    parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder(insert_comments=True))
    root = ElementTree.fromstring(source, parser=parser)
    width = _length(root.get("width", ""))
    viewbox = root.get("viewBox")
    viewbox_width = float(viewbox.replace(",", " ").split()[2]) if viewbox else width
    texts = []

    def walk(element, size, family, label):
        size = _font_size(element, size)
        family = _font_family(element, family)
        if element.tag in _TEXT_TAGS:
            label = label or "".join(element.itertext()).strip()
            if (element.text or "").strip():
                if size is None:
                    raise ValueError(f"no font size for the SVG text {label!r}")
                texts.append(SvgText(size, label, family))
        formula = None
        for child in element:
            if child.tag is ElementTree.Comment:
                formula = _formula(child)
                continue
            walk(child, size, family, formula or label)
            formula = None

    walk(root, None, "", None)
    return SvgFigure(width, viewbox_width, tuple(texts))


def page_figures(page) -> list[dict]:
    """Every image in the page's article (not the logo or the launch buttons' icons), loaded,
    with its rendered width and its file.

    Collapsed content (dropdowns) is opened first, so that its figures have a width too.
    """
    return page.evaluate(
        """async () => {
        document.querySelectorAll('details').forEach(d => { d.open = true; });
        const article = document.querySelector('article.bd-article') || document.body;
        const images = Array.from(article.querySelectorAll('img'));
        images.forEach(i => { i.loading = 'eager'; });
        await Promise.all(images.map(i => i.complete ? null
            : new Promise(done => { i.onload = i.onerror = done; })));
        return Promise.all(images.map(async i => {
            const response = await fetch(i.currentSrc || i.src);
            const type = response.headers.get('content-type') || '';
            const text = type.includes('svg') ? await response.text() : null;
            return {src: i.getAttribute('src'), alt: (i.getAttribute('alt') || '').trim(),
                    width: i.getBoundingClientRect().width, type: type, svg: text};
        }));
    }"""
    )


def figure_problems(page) -> list[str]:
    """Figures that are not SVG with real text, or whose smallest text is under MIN_TEXT_PX."""
    problems = []
    for figure in page_figures(page):
        name = f"{figure['src']} ({figure['alt'][:50] or 'no alt text'})"
        if figure["svg"] is None:
            problems.append(f"not an SVG ({figure['type'] or 'unknown type'}): {name}")
            continue
        svg = parse_svg(figure["svg"])
        # A hidden figure has width 0: take it as wide as the column allows.
        width = figure["width"] or None
        smallest = svg.smallest_text(width)
        if smallest is None:
            problems.append(
                f"no <text> in the SVG (text drawn as paths cannot be read or measured): {name}"
            )
            continue
        problems += [
            f"text {t} (a font browsers lack): {name}" for t in svg.missing_fonts()
        ]
        if smallest[0] < MIN_TEXT_PX:
            shown = width or min(COLUMN_PX, svg.width_px)
            problems.append(
                f"text {smallest[1]!r} is {smallest[0]:.1f} px, under {MIN_TEXT_PX} px, "
                f"with the figure {shown:.0f} px wide: {name}"
            )
    return problems


def wide_code(page) -> list[str]:
    """Code blocks (cell inputs and code in the text) that scroll sideways: a reader must scroll
    to see the end of a line. Cell outputs wrap instead (bookkit/sphinx_static/nnbook.css)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('main div.highlight pre'))
          .filter(pre => !pre.closest('.cell_output') && pre.scrollWidth > pre.clientWidth + 1)
          .map(pre => `code block scrolls sideways (${pre.scrollWidth} px in ${pre.clientWidth}`
                      + ` px): ${pre.textContent.split('\\n').sort((a, b) => b.length - a.length)[0]}`)"""
    )


def wrapped_code(page) -> list[str]:
    """Lines of code that wrap (nnbook.js's span.nnbook-line taller than one line): where the
    column holds 88 characters, as at 1280 px, none may."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('main span.nnbook-line'))
          .filter(line => line.getClientRects().length > 0
                  && line.getBoundingClientRect().height
                     > 1.5 * parseFloat(getComputedStyle(line).lineHeight))
          .map(line => `code line wraps: ${line.textContent.trim().slice(0, 80)}`)"""
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
