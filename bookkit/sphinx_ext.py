"""A small Sphinx extension with fixes for the HTML that Jupyter Book 1's theme stack produces.

Each fix answers a defect that the browser tests (tests/browser/) found in the default build:

- sphinx-thebe adds its inline configuration script twice, so every page logs
  "Identifier 'THEBE_JS_URL' has already been declared": drop scripts added twice.
- docutils marks the bibliography's citation list `role="list"` although its children are not
  list items, a critical axe violation (aria-required-children): drop that role.
- pydata-sphinx-theme's search button has `aria-label="Search"` while its visible text is
  "Search Ctrl+K", a serious axe violation (label-content-name-mismatch): the template
  bookkit/sphinx_templates/search-button-field.html lets the visible text name the button.
- Its colour-mode button's icons carry titles that do not match the button's label (the same
  violation): bookkit/sphinx_templates/theme-switcher.html hides the decorative icons.
- myst-nb's toggle for a `hide-input` cell is labelled "Toggle hidden content" while it shows
  "Show code cell source" (the same violation): the label is dropped, so the visible text names it.
- The theme's link colour is too light on tinted admonitions (axe: color-contrast):
  bookkit/sphinx_static/nnbook.css darkens it.
- pydata-sphinx-theme 0.17 shows its own top navbar (a search field, and hidden ☰ and contents
  buttons) unless `navbar_persistent` is set, and sphinx-book-theme 1.3.0 does not set it. Its
  hidden buttons come first in the page, so both themes' scripts bind to them, and the visible
  buttons in the article header only show a tooltip: on a phone the chapter list cannot be opened.
  `navbar_persistent: []` removes that navbar (pydata-sphinx-theme issue #2451).
- Long lines: code fits the column at 1280 px and, where the column is narrower, wraps with a
  hanging indent (bookkit/sphinx_static/nnbook.css and nnbook.js); outputs wrap; display math
  scrolls in its own box.

It also adds what the book needs beyond the theme:

- A page is read again when its chapter's cached run is newer than the run its HTML shows (a
  `tasks.py chapter` run, say), so the HTML, the exported notebook and the status page always show
  the same run; `bookkit.build` records which run each page showed (_build/.nnbook-rendered.json).
- The Colab button of sphinx-book-theme opens the `.md` source, which Colab cannot read: it is
  pointed at the executed `.ipynb` on the notebooks branch instead (bookkit.book.colab_url). So
  is the Binder button, which would show the `.md` as raw MyST (bookkit.book.binder_url).
- Every glued number is typeset as a reader expects (bookkit.typeset): −0.70, not -0.70;
  2.4 × 10⁻⁴, not 2.4e-04; 60,000 throughout. The exported notebooks use the same rule.
- Every page has a meta description for search engines: its front matter's `description`, or
  its first paragraph.
- `{{ repository_url }}` is a MyST substitution, and is also replaced in code blocks, so that
  _config.yml's `repository.url` stays the one place the repository is named.
- The sidebar shows the title once, next to the logo (images/make_diagrams.py draws it).
- The `{nnbook-status}` directive renders a table of every executed chapter: when it last ran, how
  long it took, the torch version and device it ran with (read from its first cell's output), and
  the number of threads (tasks.py runs every chapter on one, everywhere).
"""

import contextlib
import html
import json
import re
from datetime import datetime
from pathlib import Path

from docutils import nodes
from myst_nb.sphinx_ import NbMetadataCollector
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

from bookkit.book import binder_url, colab_url, toc_entries
from bookkit.cache import executed_notebook, newest_runs, record_by_page, threads
from bookkit.paths import RENDERED, under
from bookkit.typeset import number

# Searched before the themes' own template folders, so a file here replaces the theme's namesake.
TEMPLATES = Path(__file__).parent / "sphinx_templates"
STATIC = Path(__file__).parent / "sphinx_static"
TOGGLE_LABEL = '<summary aria-label="Toggle hidden content">'
CITATION_LIST_ROLE = re.compile(
    r'(<div\b[^>]*?)\s*role="list"([^>]*class="citation-list")'
)


def _add_templates_and_static(app, config):
    config.templates_path = [str(TEMPLATES), *config.templates_path]
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def _configure_theme(app, config):
    options = config.html_theme_options
    options.setdefault("navbar_persistent", [])  # no second navbar (see the docstring)
    # The logo image with the title beside it: the title's one place in the sidebar.
    logo = options.setdefault("logo", {})
    logo.setdefault("text", config.html_title)
    # Every image has alt text (tests/built/test_html.py), the logo too.
    logo.setdefault("alt_text", "Logo: a small neural network")
    substitutions = dict(config.myst_substitutions)
    substitutions.setdefault("repository_url", options.get("repository_url", ""))
    config.myst_substitutions = substitutions


SUBSTITUTION = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class SubstituteInCode(SphinxPostTransform):
    """Replace `{{ name }}` by a MyST substitution's value in code blocks too (MyST leaves
    code alone), so that a shell command can name the repository without repeating its URL."""

    default_priority = 5

    def run(self, **kwargs):
        values = self.config.myst_substitutions
        for block in self.document.findall(nodes.literal_block):
            text = block.astext()
            new = SUBSTITUTION.sub(
                lambda m: str(values.get(m.group(1), m.group(0))), text
            )
            if new != text:
                block.children = [nodes.Text(new)]
                block.rawsource = new  # equal to the text: still highlighted as code


DESCRIPTION_LENGTH = 160  # characters; search engines cut longer descriptions


def description(doctree, metadata: dict) -> str:
    """A page's summary for search engines: its front matter's `description`, or the first
    paragraph of its text, cut at a word."""
    if metadata.get("description"):
        return str(metadata["description"])
    for paragraph in doctree.findall(nodes.paragraph):
        if isinstance(paragraph.parent, nodes.section):
            text = " ".join(paragraph.astext().split())
            if len(text) > DESCRIPTION_LENGTH:
                cut = text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0]
                text = cut.rstrip(",;:") + "…"
            return text
    return ""


def _add_description(app, pagename, templatename, context, doctree):
    env = app.builder.env
    if doctree is None:  # the search page and the index describe the book
        pagename = app.config.root_doc
        doctree = env.get_doctree(pagename)
    text = description(doctree, env.metadata.get(pagename, {}))
    if text and 'name="description"' not in context.get("metatags", ""):
        content = html.escape(text, quote=True)
        context["metatags"] = (
            context.get("metatags", "")
            + f'\n<meta name="description" content="{content}" />'
        )


def _fix_page(app, pagename, templatename, context, doctree):
    scripts, seen = [], set()
    for script in context.get("script_files", []):
        # The two copies differ only in filename (None and ""), so compare what the page would get.
        filename = getattr(script, "filename", script) or ""
        key = (filename, tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            scripts.append(script)
    if "script_files" in context:
        context["script_files"] = scripts
    if "body" in context:
        body = CITATION_LIST_ROLE.sub(r"\1\2", context["body"])
        context["body"] = body.replace(TOGGLE_LABEL, "<summary>")


def _point_colab_at_notebooks(app, pagename, templatename, context, doctree):
    for group in context.get("header_buttons", []):
        for button in (
            group.get("buttons", []) if group.get("label") == "launch-buttons" else []
        ):
            if button.get("text") == "Colab":
                button["url"] = colab_url(pagename, Path(app.confdir))
            elif button.get("text") == "Binder":
                button["url"] = binder_url(pagename, Path(app.confdir))


# Every chapter's first cell prints this line (tests/test_book_layout.py checks it).
ENVIRONMENT_LINE = re.compile(r"torch (\S+), running on (\S+)")
# myst-nb re-renders pages so marked when a chapter re-executes
HAS_EXEC_TABLE = "has_exec_table"


class StatusNode(nodes.General, nodes.Element):
    """Placeholder for the status table, filled in once every chapter has been executed."""


class StatusDirective(SphinxDirective):
    def run(self):
        NbMetadataCollector.set_doc_data(
            self.env, self.env.docname, HAS_EXEC_TABLE, True
        )
        return [StatusNode()]


def _environment(app, docname: str) -> tuple[str, str]:
    """The torch version and device that a chapter's own first cell printed when it last ran."""
    with contextlib.suppress(LookupError):  # not executed yet: the row says "unknown"
        notebook = executed_notebook(docname, Path(app.confdir)) or {"cells": []}
        for cell in notebook["cells"]:
            text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
            if found := ENVIRONMENT_LINE.search(text):
                return found.group(1), found.group(2)
    return "unknown", "unknown"


def _row(*cells) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        row += nodes.entry(
            "", cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=cell)
        )
    return row


class StatusTransform(SphinxPostTransform):
    """Replace the placeholder with one row per executed chapter, in the order of the toc."""

    default_priority = 8  # before references are resolved (as myst-nb's nb-exec-table)

    def run(self, **kwargs):
        headers = [
            "Chapter",
            "Last executed",
            "Run time (s)",
            "torch",
            "Device",
            "Threads",
            "Status",
        ]
        metadata = NbMetadataCollector.get_doc_data(self.env)
        runs = newest_runs(Path(self.app.confdir))
        for placeholder in self.document.findall(StatusNode):
            body = nodes.tbody()
            for docname in toc_entries(Path(self.app.confdir)):
                data = metadata.get(docname, {}).get("exec_data")
                if not data:
                    continue  # a page without code is not executed
                uri = self.app.builder.get_relative_uri(self.env.docname, docname)
                title = self.env.titles[docname].astext()
                link = nodes.paragraph(
                    "", "", nodes.reference("", title, internal=True, refuri=uri)
                )
                version, device = _environment(self.app, docname)
                executed = datetime.fromtimestamp(data["mtime"]).strftime(
                    "%Y-%m-%d %H:%M"
                )
                status = "passed" if data["succeeded"] else "failed"
                used = threads(runs.get(docname))
                body += _row(
                    link,
                    executed,
                    f"{data['runtime']:.1f}",
                    version,
                    device,
                    used,
                    status,
                )
            group = nodes.tgroup(cols=len(headers))
            group.extend(nodes.colspec(colwidth=1) for _ in headers)
            group += nodes.thead("", _row(*headers))
            group += body
            caption = nodes.title(
                text="Each chapter's last run, in the order of the book."
            )
            placeholder.replace_self(
                nodes.table(
                    "", caption, group, classes=["colwidths-auto"], ids=["chapter-runs"]
                )
            )


def pages_with_new_runs(root: Path) -> list[str]:
    """The pages whose cached run is newer than the one their HTML shows: a chapter run since the
    last render (`tasks.py chapter`, or a test run) changed their outputs but not their source."""
    rendered_file = under(root, RENDERED)
    if not rendered_file.is_file():
        return []  # no render yet: Sphinx reads every page anyway
    rendered = json.loads(rendered_file.read_text(encoding="utf-8"))
    return sorted(
        page for page, pk in record_by_page(root).items() if rendered.get(page) != pk
    )


class TypesetNumbers(SphinxPostTransform):
    """Typeset every glued value that is a number (myst-nb marks them `pasted-text`)."""

    default_priority = 20  # after myst-nb resolves glue from other pages (priority 5)

    def run(self, **kwargs):
        for node in self.document.findall(nodes.inline):
            if "pasted-text" in node["classes"]:
                text = node.astext()
                if number(text) != text:
                    node.replace(node.children[0], nodes.Text(number(text)))


def _reread_new_runs(app, env, added, changed, removed):
    return [
        page
        for page in pages_with_new_runs(Path(app.confdir))
        if page in env.found_docs
    ]


def setup(app):
    app.connect("env-get-outdated", _reread_new_runs)
    app.connect("config-inited", _add_templates_and_static)
    app.connect("config-inited", _configure_theme)
    app.connect("html-page-context", _add_description)
    app.add_post_transform(SubstituteInCode)
    app.add_css_file("nnbook.css")
    app.add_js_file("nnbook.js", defer="defer")
    app.connect("html-page-context", _fix_page)
    # after the theme
    app.connect("html-page-context", _point_colab_at_notebooks, priority=700)
    app.add_node(StatusNode)
    app.add_directive("nnbook-status", StatusDirective)
    app.add_post_transform(StatusTransform)
    app.add_post_transform(TypesetNumbers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
