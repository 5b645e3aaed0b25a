"""Helpers shared by every chapter of *Neural Networks, executed*.

- `glue` publishes a value from a code cell to the prose (myst-nb's glue; a plain display elsewhere).
- `use_book_style` gives every figure the same look.
- `nnbook.checks` validates exercise answers; `nnbook.exercises.<chapter>` holds each chapter's checkers.
"""

from nnbook.gluing import glue
from nnbook.plotting import use_book_style

__all__ = ["glue", "use_book_style"]
