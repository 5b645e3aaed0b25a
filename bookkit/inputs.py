"""What a chapter's outputs depend on besides its own code: the book's package and the environment.

The execution cache matches a run to a chapter by the chapter's code cells alone. A change to a
checker in nnbook/exercises/ would then leave the old run, and its old message, in the HTML and the
exported notebook. `inputs_digest()` hashes, for one chapter:

- every module of the book's package (`nnbook`) that the chapter imports, directly or through
  another module, with the `__init__.py` of each package on the way;
- requirements.txt, and the name and version of every package installed in the environment that
  runs it (the versions are what requirements.txt's ranges resolved to: the lock).

bookkit.cache stores it with each run and treats a run whose digest differs as stale.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from importlib import metadata
from pathlib import Path

from bookkit.paths import ROOT

PACKAGE = "nnbook"


def _parse(source: str) -> ast.Module:
    """Python source, with IPython's magics and shell lines (`%...`, `!...`) blanked out."""
    lines = [
        "" if line.lstrip().startswith(("%", "!")) else line
        for line in source.splitlines()
    ]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        # nbval reports it; nothing imported
        return ast.Module(body=[], type_ignores=[])


def _module_file(name: str, root: Path) -> Path | None:
    """The file of module `name` (dotted) under `root`, or None if it is not in the package."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(tree: ast.Module, module: str, is_package: bool) -> set[str]:
    """The book-package modules a module's (or a cell's) code imports, as dotted names."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                parts = module.split(".")
                base = parts if is_package else parts[:-1]
                base = base[: len(base) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            names.add(stem)
            # `from nnbook.exercises import neuron` imports the submodule too
            names |= {f"{stem}.{alias.name}" for alias in node.names}
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}


def package_files(sources: list[str], root: Path = ROOT) -> list[Path]:
    """The files of the book's package that code with these cell sources imports, transitively."""
    seen: dict[str, Path] = {}
    todo = set().union(*(_imported(_parse(s), "__main__", False) for s in sources))
    while todo:
        name = todo.pop()
        parts = name.split(".")
        # importing a.b.c runs a/__init__.py and a/b/__init__.py first
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if prefix in seen:
                continue
            path = _module_file(prefix, root)
            if path is None:
                continue  # an attribute (`from nnbook.checks import close`), not a module
            seen[prefix] = path
            tree = ast.parse(path.read_text(encoding="utf-8"))
            todo |= _imported(tree, prefix, path.name == "__init__.py") - set(seen)
    return sorted(seen.values())


@functools.cache
def environment() -> str:
    """Every installed package's name and version, one per line, sorted."""
    found = {
        f"{dist.metadata['Name']}=={dist.version}".lower()
        for dist in metadata.distributions()
        if dist.metadata["Name"]
    }
    return "\n".join(sorted(found))


def inputs_digest(sources: list[str], root: Path = ROOT) -> str:
    """A hash of what the code with these cell sources runs besides itself (module docstring)."""
    sha = hashlib.sha256(environment().encode())
    for path in [root / "requirements.txt", *package_files(sources, root)]:
        sha.update(path.relative_to(root).as_posix().encode() + b"\0")
        if path.is_file():
            sha.update(path.read_bytes())
    return sha.hexdigest()
