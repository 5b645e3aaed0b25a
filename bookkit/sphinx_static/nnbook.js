/* The book's own script, added by bookkit.sphinx_ext.

   Where the column is narrower than 88 characters (a phone, say), a line of code longer than the
   column wraps with a hanging indent instead of scrolling (nnbook.css): each line of a code block
   goes into its own span.nnbook-line, which records the line's indentation in --indent. The text
   of the block is unchanged, newlines included, so the copy button copies the same code. */
(() => {
  // A piece of a node: a text node, or a copy of a Pygments token span (these hold only text).
  const piece = (node, text) => {
    if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(text);
    const copy = node.cloneNode(false);
    copy.textContent = text;
    return copy;
  };

  const splitIntoLines = (pre) => {
    const lines = [[]];
    for (const node of Array.from(pre.childNodes)) {
      const parts = node.textContent.split("\n");
      if (parts.length === 1) {
        lines[lines.length - 1].push(node);
        continue;
      }
      parts.forEach((part, i) => {
        if (i > 0) lines.push([]);
        if (part) lines[lines.length - 1].push(piece(node, part));
      });
    }
    pre.replaceChildren();
    lines.forEach((nodes, i) => {
      if (i > 0) pre.append("\n");
      const text = nodes.map((n) => n.textContent).join("");
      if (!text) {
        pre.append(...nodes);
        return;
      }
      const line = document.createElement("span");
      line.className = "nnbook-line";
      line.style.setProperty("--indent", `${text.length - text.trimStart().length}ch`);
      line.append(...nodes);
      pre.append(line);
    });
  };

  const wrapCode = () => {
    for (const pre of document.querySelectorAll("article div.highlight > pre")) {
      if (!pre.closest(".cell_output")) splitIntoLines(pre);
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wrapCode);
  } else {
    wrapCode();
  }
})();
