"""A small Sphinx extension with fixes for the HTML that Jupyter Book 1's theme stack produces.

Each fix answers a defect that the browser tests (tests/browser/) found in the default build:

- sphinx-thebe adds its inline configuration script twice, so every page logs
  "Identifier 'THEBE_JS_URL' has already been declared": drop scripts added twice.
- docutils marks the bibliography's citation list `role="list"` although its children are not
  list items, a critical axe violation (aria-required-children): drop that role.
- pydata-sphinx-theme's search button has `aria-label="Search"` while its visible text is
  "Search Ctrl+K", a serious axe violation (label-content-name-mismatch): the template
  nnbook/sphinx_templates/search-button-field.html lets the visible text name the button.
- Its colour-mode button's icons carry titles that do not match the button's label (the same
  violation): nnbook/sphinx_templates/theme-switcher.html hides the decorative icons.
"""

import re
from pathlib import Path

# Searched before the themes' own template folders, so a file here replaces the theme's namesake.
TEMPLATES = Path(__file__).parent / "sphinx_templates"
CITATION_LIST_ROLE = re.compile(r'(<div\b[^>]*?)\s*role="list"([^>]*class="citation-list")')


def _add_templates(app, config):
    config.templates_path = [str(TEMPLATES), *config.templates_path]


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
        context["body"] = CITATION_LIST_ROLE.sub(r"\1\2", context["body"])


def setup(app):
    app.connect("config-inited", _add_templates)
    app.connect("html-page-context", _fix_page)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
