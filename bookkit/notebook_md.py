"""MyST Markdown to the Markdown that Jupyter and Colab render, for the exported notebooks.

The HTML page and the exported notebook must read alike. `convert_cells()` rewrites an executed
chapter's cells so that Jupyter shows what Sphinx shows:

- glue roles and `glue:md` directives become the values of the run, typeset as in the HTML
  (myst-nb's `format_plain_text`, then bookkit.typeset.number);
- figures and local images become cell attachments (SVG: data URIs), with caption and alt text;
- `{term}`, `{ref}`, `{numref}`, `{doc}` and `{cite}` become links to the published HTML pages,
  with the titles, numbers and author-year texts that Sphinx gave them (`References`);
- admonitions become block quotes, exercises headed sections, solutions `<details>` blocks, and
  the code cells of a solution are folded like hidden cells;
- `(label)=` lines and equation labels go; math stays, since Jupyter renders it.

Anything else in MyST syntax raises `ExportError`, naming the page and line, rather than leaking.
"""

from __future__ import annotations

import base64
import mimetypes
import pickle
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from bookkit.typeset import number


class ExportError(ValueError):
    """MyST that the export cannot render: one line, naming the page and the line."""


@dataclass(frozen=True)
class Target:
    """Where a label, term or citation points on the published site, and what a link reads."""

    page: str  # book/neuron
    anchor: str = ""
    title: str = ""
    number: str = ""  # "Fig. 3.1", "Exercise 3.2", "Section 4.1"; "" when not numbered


@dataclass
class References:
    """The book's cross-reference targets, as Sphinx resolved them in the last render."""

    site: str  # https://owner.github.io/name/
    labels: dict[str, Target] = field(default_factory=dict)
    terms: dict[str, Target] = field(default_factory=dict)  # keyed by lower-cased term
    # title: "Kingma and Ba, 2015"
    citations: dict[str, Target] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # page -> title

    def url(self, target: Target) -> str:
        anchor = f"#{target.anchor}" if target.anchor else ""
        return f"{self.site}{target.page}.html{anchor}"


def _author_year(entry) -> str:
    """sphinxcontrib-bibtex's author_year label: Smith, 2015; Kingma and Ba; Ba et al."""
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [
        " ".join(p.prelast_names + p.last_names).replace("{", "").replace("}", "")
        for p in people
    ]
    if len(last) >= 3:
        names = f"{last[0]} et al."
    else:
        names = " and ".join(last)
    return f"{names}, {entry.fields.get('year', '')}"


def references_from_environment(pickle_path: Path, site: str) -> References:
    """Read the targets from Sphinx's saved build environment (_build/.doctrees)."""
    env = pickle.loads(pickle_path.read_bytes())
    formats = {"figure": "Fig. %s", "table": "Table %s", "exercise": "Exercise %s"}
    formats.update(getattr(env.config, "numfig_format", None) or {})
    refs = References(site=site)
    refs.titles = {page: title.astext() for page, title in env.titles.items()}
    std = env.domaindata["std"]
    for name, (page, anchor, title) in std["labels"].items():
        numbered = ""
        for kind, numbers in env.toc_fignumbers.get(page, {}).items():
            if anchor in numbers:
                numbered = formats.get(kind, "%s") % ".".join(map(str, numbers[anchor]))
        section = env.toc_secnumbers.get(page, {}).get(f"#{anchor}")
        if not numbered and section:
            numbered = formats.get("section", "Section %s") % ".".join(
                map(str, section)
            )
        refs.labels[name] = Target(page, anchor, title or "", numbered)
    for (kind, term), (page, anchor) in std["objects"].items():
        if kind == "term":
            refs.terms[term.lower()] = Target(page, anchor, term)
    for citation in env.domaindata["cite"]["citations"]:
        page = citation.bibliography_key.docname
        refs.citations[citation.key] = Target(
            page, citation.citation_id, _author_year(citation.entry)
        )
    return refs


@dataclass
class Page:
    """One chapter being converted: its name, glued values, targets and image folder."""

    name: str  # book/neuron
    refs: References
    glue: dict[str, dict]  # name -> mime bundle of the glued value
    folder: Path  # where the page's relative image paths start
    source: str = ""  # the page's .md text, to name lines in errors
    in_solution: bool = False
    attachments: dict[str, dict] = field(default_factory=dict)

    def where(self, cell: str, line: int) -> str:
        """`book/x.md:LINE` for a line of a cell, found in the page's source."""
        at = self.source.find(cell) if cell.strip() else -1
        if at < 0 and cell.strip():
            at = self.source.find(cell.split("\n", 1)[0])
        if at < 0:
            return f"{self.name}.md (markdown cell line {line + 1})"
        return f"{self.name}.md:{self.source.count(chr(10), 0, at) + line + 1}"

    def fail(self, cell: str, line: int, message: str):
        raise ExportError(f"{self.where(cell, line)}: {message}")


def glue_values(cells: list[dict]) -> dict[str, dict]:
    """Every glued value of an executed notebook, as myst-nb's glue stores it in the outputs."""
    values = {}
    for cell in cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", "")
                values[meta["name"]] = {
                    k.removeprefix(prefix): v for k, v in output.get("data", {}).items()
                }
    return values


# ---- inline syntax -----------------------------------------------------------------------------

ROLE = r"\{(?P<name>[\w:.-]+)\}`(?P<content>[^`]*)`"
IMAGE = r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)"
HTML_IMAGE = r"<img\b(?P<attrs>[^>]*)>"
INLINE = re.compile(
    rf"{ROLE}|(?P<code>(?P<ticks>`+).+?(?P=ticks))|{IMAGE}|{HTML_IMAGE}", re.S
)
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
# `$$ ... $$ (label)` (dollarmath) and `\label{...}` (amsmath): Jupyter has no use for either.
EQUATION_LABEL = re.compile(r"(\$\$)[ \t]*\([\w:.-]+\)[ \t]*$|\\label\{[^{}]*\}", re.M)
LABEL_LINE = re.compile(r"^[ \t]*\([\w:.-]+\)=[ \t]*$")


def _split(content: str) -> tuple[str, str]:
    """`text <target>` -> (text, target); `target` -> ("", target)."""
    match = EXPLICIT.match(content)
    return (match["text"], match["target"].strip()) if match else ("", content.strip())


def glue_text(page: Page, content: str) -> str:
    """The text of `{glue:text}`name:fmt``, as the HTML shows it."""
    from myst_nb.core.variables import format_plain_text

    key, _, fmt = content.partition(":")
    bundle = page.glue.get(key.strip())
    if bundle is None or "text/plain" not in bundle:
        raise KeyError(key.strip())
    return number(format_plain_text(bundle["text/plain"], fmt))


def glue_markdown(page: Page, key: str) -> str:
    bundle = page.glue.get(key.strip())
    if bundle is None or "text/markdown" not in bundle:
        raise KeyError(key.strip())
    return "".join(bundle["text/markdown"])


def _link(page: Page, text: str, target: Target) -> str:
    return f"[{text}]({page.refs.url(target)})"


def _role(page: Page, name: str, content: str) -> str:
    """One role as Markdown text or a link; KeyError for a target that does not exist."""
    refs = page.refs
    if name == "glue:text":
        return glue_text(page, content)
    if name in ("glue:md", "glue:markdown"):
        return glue_markdown(page, content)
    if name == "math":
        return f"${content}$"
    text, target = _split(content)
    if name == "term":
        return _link(page, text or target, refs.terms[target.lower()])
    if name == "ref":
        label = refs.labels[target]
        return _link(page, text or label.title or label.number, label)
    if name == "numref":
        label = refs.labels[target]
        if not label.number:
            raise KeyError(f"{target} (no number)")
        digits = label.number.split(" ")[-1]
        shown = text.replace("{number}", digits).replace("%s", digits) if text else ""
        return _link(page, shown or label.number, label)
    if name == "doc":
        path = (
            target.lstrip("/") if target.startswith("/") else f"{page.name}/../{target}"
        )
        path = posixpath.normpath(path).removesuffix(".md")
        return _link(page, text or refs.titles[path], Target(path))
    if name in ("cite", "cite:p", "cite:t"):
        cited = [refs.citations[key.strip()] for key in target.split(",")]
        if name == "cite:t":
            return ", ".join(
                _link(page, c.title.replace(", ", " [", 1) + "]", c) for c in cited
            )
        return "[" + ", ".join(_link(page, c.title, c) for c in cited) + "]"
    raise ValueError(f"unknown MyST role {{{name}}}")


def _image(page: Page, src: str, alt: str) -> str:
    """A local image as a cell attachment, Markdown syntax: Colab opens the notebook alone."""
    if src.startswith(("attachment:", "data:")):
        return f"![{alt}]({src})"
    if "://" in src:
        raise ValueError(f"image {src} would need the network")
    path = (page.folder / src).resolve()
    if not path.is_file():
        raise ValueError(f"image {src} not found")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    data = base64.b64encode(path.read_bytes()).decode()
    # JupyterLab shows no SVG attachment in an untrusted notebook, but an SVG data URI.
    if mime == "image/svg+xml":
        return f"![{alt}](data:{mime};base64,{data})"
    page.attachments[path.name] = {mime: data}
    return f"![{alt}](attachment:{path.name})"


def inline(page: Page, text: str, cell: str = "", line: int = 0) -> str:
    """Roles, images and labels in running text; code spans are left as they are."""

    def replace(match: re.Match) -> str:
        try:
            if match["name"]:
                return _role(page, match["name"], match["content"])
            if match["src"]:
                return _image(page, match["src"], match["alt"])
            if match["attrs"] is not None:
                attrs = dict(re.findall(r'(\w+)=["\']([^"\']*)["\']', match["attrs"]))
                return _image(page, attrs.get("src", ""), attrs.get("alt", ""))
        except KeyError as err:
            problem = (
                f"glued name {err} has no value in the executed notebook"
                if match["name"].startswith("glue")
                else f"{{{match['name']}}} target {err} is not in the last render"
            )
            page.fail(cell, line + text.count("\n", 0, match.start()), problem)
        except ValueError as err:
            page.fail(cell, line + text.count("\n", 0, match.start()), str(err))
        return match.group(0)  # a code span

    lines = [ln for ln in text.split("\n") if not LABEL_LINE.match(ln)]
    return EQUATION_LABEL.sub(
        lambda m: m[1] or "", INLINE.sub(replace, "\n".join(lines))
    )


# ---- block syntax ------------------------------------------------------------------------------

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\s*\{(?P<name>[\w:.-]+)\}\s*(?P<args>.*)$")
OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
ADMONITIONS = {
    "note", "important", "tip", "hint", "warning", "caution", "attention", "danger",
    "error", "seealso", "admonition",
}  # fmt: skip
SOLUTION_OPEN = "<details>\n<summary>Solution</summary>\n"
SOLUTION_CLOSE = "</details>"


@dataclass
class Directive:
    name: str
    args: str
    options: dict[str, str]
    body: str
    line: int  # of the opening fence, in the cell


def _blocks(text: str):
    """Split a cell into ('text', str, line), ('code', str, line) and ('directive', Directive)."""
    lines, i, plain, start = text.split("\n"), 0, [], 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            plain.append(lines[i])
            i += 1
            continue
        if plain:
            yield "text", "\n".join(plain), start
        char, width = fence["fence"][0], len(fence["fence"])
        end = i + 1
        while end < len(lines) and not re.fullmatch(
            rf"\s*{re.escape(char)}{{{width},}}\s*", lines[end]
        ):
            end += 1
        body = lines[i + 1 : end]
        directive = DIRECTIVE.match(fence["info"])
        if directive:
            yield "directive", _directive(directive, body, i), i
        else:
            yield "code", "\n".join(lines[i : end + 1]), i
        i, plain, start = end + 1, [], end + 1
    if plain:
        yield "text", "\n".join(plain), start


def _directive(match: re.Match, body: list[str], line: int) -> Directive:
    options, rest = {}, list(body)
    if rest and rest[0].strip() == "---":  # YAML options block
        close = rest.index("---", 1)
        for option in rest[1:close]:
            key, _, value = option.partition(":")
            options[key.strip()] = value.strip()
        rest = rest[close + 1 :]
    while rest and (option := OPTION.match(rest[0])):
        options[option["key"]] = option["value"]
        rest = rest[1:]
    return Directive(
        match["name"], match["args"].strip(), options, "\n".join(rest).strip(), line
    )


def _caption(target: Target | None, text: str) -> str:
    """A figure's caption under it, numbered as in the HTML: **Fig. 3.1** A neuron."""
    number = f"**{target.number}**" if target and target.number else ""
    return f"{number} {text}".strip()


def _list_table(page: Page, d: Directive, cell: str) -> str:
    """A `{list-table}` (`* - a` rows of `  - b` cells) as a Markdown pipe table."""
    rows: list[list[str]] = []
    for line in d.body.split("\n"):
        if line.startswith("* - "):
            rows.append([line[4:]])
        elif line.startswith("  - ") and rows:
            rows[-1].append(line[4:])
        elif line.strip() and rows:
            rows[-1][-1] += " " + line.strip()
    if not rows:
        page.fail(cell, d.line, "a list-table without rows")
    cells = [
        [inline(page, c, cell, d.line).replace("|", "\\|") for c in row] for row in rows
    ]
    lines = [f"| {' | '.join(row)} |" for row in cells]
    lines.insert(1, "|" + " --- |" * len(cells[0]))
    return "\n".join(lines)


def _quote(text: str) -> str:
    return "\n".join(f"> {ln}".rstrip() for ln in text.split("\n"))


def _exercise_heading(page: Page, d: Directive, cell: str) -> str:
    label = d.options.get("label", "")
    target = page.refs.labels.get(label)
    if label and target is None:
        page.fail(
            cell, d.line, f"exercise label {label} is not in the build environment"
        )
    heading = f"### {target.number if target and target.number else 'Exercise'}"
    title = inline(page, d.args, cell, d.line)
    return f"{heading}: {title}" if title else heading


def _render(page: Page, d: Directive, cell: str) -> str:
    """One directive as Markdown."""
    body = lambda: markdown(page, d.body, cell, d.line + 1)  # noqa: E731
    if d.name in ADMONITIONS:
        title = inline(page, d.args, cell, d.line) if d.args else d.name.capitalize()
        if d.name == "seealso":
            title = d.args or "See also"
        return _quote(f"**{title}**\n\n{body()}")
    if d.name == "figure":
        try:
            image = _image(page, d.args, d.options.get("alt", "").replace("]", ")"))
        except ValueError as err:
            page.fail(cell, d.line, str(err))
        target = page.refs.labels.get(d.options.get("name", ""))
        caption = _caption(target, body())
        return f"{image}\n\n{caption}" if caption else image
    if d.name in ("glue:md", "glue:markdown", "glue"):
        try:
            value = (
                glue_markdown(page, d.args)
                if d.name != "glue"
                else glue_text(page, d.args)
            )
        except KeyError:
            page.fail(
                cell,
                d.line,
                f"glued name '{d.args}' has no value in the executed notebook",
            )
        return markdown(page, value, cell, d.line)
    if d.name in ("table", "list-table"):
        target = page.refs.labels.get(d.options.get("name", ""))
        caption = _caption(target, inline(page, d.args, cell, d.line))
        table = _list_table(page, d, cell) if d.name == "list-table" else body()
        return f"{caption}\n\n{table}" if caption else table
    if d.name == "math":
        return f"$$\n{d.body}\n$$"
    if d.name == "exercise":
        return f"{_exercise_heading(page, d, cell)}\n\n{body()}"
    if d.name == "exercise-start":
        return _exercise_heading(page, d, cell)
    if d.name == "exercise-end":
        return ""
    if d.name == "solution":
        return f"{SOLUTION_OPEN}\n{body()}\n\n{SOLUTION_CLOSE}"
    if d.name == "solution-start":
        page.in_solution = True
        return SOLUTION_OPEN
    if d.name == "solution-end":
        page.in_solution = False
        return f"\n{SOLUTION_CLOSE}"
    page.fail(cell, d.line, f"unknown MyST directive {{{d.name}}}")


def markdown(page: Page, text: str, cell: str | None = None, offset: int = 0) -> str:
    """A piece of MyST Markdown as Jupyter Markdown."""
    cell = text if cell is None else cell
    parts = []
    for kind, block, line in _blocks(text):
        if kind == "text":
            parts.append(inline(page, block, cell, offset + line))
        elif kind == "code":
            parts.append(block)
        else:
            parts.append(_render(page, block, cell))
    return "\n".join(parts)


def convert_markdown_cell(page: Page, source: str) -> str:
    """A markdown cell; a solution that stays open past the cell is closed in it and reopened
    in the next markdown cell, since every cell renders on its own."""
    reopen = page.in_solution
    text = markdown(page, source)
    if reopen:
        text = f"{SOLUTION_OPEN}\n{text}"
    if page.in_solution:
        text = f"{text}\n\n{SOLUTION_CLOSE}"
    text = re.sub(
        rf"{re.escape(SOLUTION_OPEN)}\s*{re.escape(SOLUTION_CLOSE)}", "", text
    )
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# ---- cells -------------------------------------------------------------------------------------

HIDDEN_TITLES = {  # tag -> the label Colab shows for the folded cell
    "remove-cell": "Checks behind the text (hidden in the book)",
    "remove-input": "Code (hidden in the book)",
    "hide-input": "Code (hidden in the book)",
}
SOLUTION_TITLE = "Solution (double-click to show the code)"


def fold(cell: dict, title: str) -> None:
    """Hide a code cell's source in Colab (a form titled `title`) and in JupyterLab."""
    cell["metadata"]["cellView"] = "form"
    cell["metadata"].setdefault("jupyter", {})["source_hidden"] = True
    source = "".join(cell["source"])
    if not source.startswith("#@title"):
        cell["source"] = f"#@title {title}\n{source}"


def convert_cells(page: Page, cells: list[dict]) -> list[dict]:
    """The notebook's cells as Jupyter should show them; code cells keep running unchanged."""
    converted = []
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            page.attachments = {}
            text = convert_markdown_cell(page, source)
            if not text:
                continue  # only directives' fences, such as an exercise's end
            cell = {**cell, "source": text}
            if page.attachments:
                cell["attachments"] = {
                    **cell.get("attachments", {}),
                    **page.attachments,
                }
            converted.append(cell)
            continue
        if cell["cell_type"] != "code":
            converted.append(cell)
            continue
        tags = set(cell["metadata"].get("tags", []))
        for tag, title in HIDDEN_TITLES.items():
            if tag in tags:
                fold(cell, title)
                break
        else:
            if page.in_solution:
                fold(cell, SOLUTION_TITLE)
        converted.append(cell)
        figure = cell["metadata"].get("mystnb", {}).get("figure", {})
        if figure.get("caption"):
            target = page.refs.labels.get(figure.get("name", ""))
            caption = _caption(target, inline(page, str(figure["caption"]), source))
            note = {"cell_type": "markdown", "metadata": {}, "source": caption}
            if "id" in cell:
                note["id"] = f"{cell['id']}-caption"
            converted.append(note)
    return converted
