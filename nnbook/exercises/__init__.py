"""One module per chapter, holding the checkers its exercises call (see nnbook.checks)."""
