"""`glue(name, value, display=False)`: myst-nb's glue when it is installed, a plain display otherwise.

In the built book the glued value appears in the prose through ``{glue:text}`name` ``. In Colab,
Binder or a bare Jupyter, where myst-nb may be missing, the same cell still runs: the value is shown
in the cell's output if `display=True`, and nothing happens otherwise.
"""

import sys
from typing import Any

try:
    from myst_nb import glue as _myst_glue
except ImportError:  # pragma: no cover - tests/tooling/test_nnbook.py blocks the import
    _myst_glue = None


class Text(str):
    """A string that displays without quotes, so ``{glue:text}`` shows `float32`, not `'float32'`."""

    def __repr__(self) -> str:
        return str(self)


def glue(name: str, value: Any, display: bool = False) -> None:
    """Record `value` under `name` for the prose; show it in the output only if `display`.

    Strings, torch dtypes and torch devices appear in the prose as plain text, without quotes. Numbers keep their type, so the prose can format them: `{glue:text}`x:.3f``.
    """
    if not name.isidentifier():
        raise ValueError(
            f"glue name {name!r} must be a Python identifier, e.g. 'final_loss'"
        )
    # A torch value means torch is imported; importing it here would slow the book build down.
    torch = sys.modules.get("torch")
    if isinstance(value, (str,) if torch is None else (str, torch.dtype, torch.device)):
        value = Text(value)
    if _myst_glue is not None:
        _myst_glue(name, value, display=display)
    elif display:
        from IPython.display import display as ipython_display

        ipython_display(value)
