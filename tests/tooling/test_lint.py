"""The chapters' lint (bookkit.lint) reports ruff's findings at their lines in the .md files.

`python3 tasks.py lint` runs every pre-commit hook; CI runs it as a step of its own."""

from bookkit import lint

CHAPTER = """\
---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# A chapter with two problems

```{code-cell} ipython3
total = sum(range(4))
```

```{code-cell} ipython3
---
tags: [remove-cell]
---
assert total == 6
import os
```

```{code-cell} ipython3
:tags: [hide-input]
x=1
```
"""


def test_first_lines_skip_both_kinds_of_cell_options():
    assert lint.first_lines(CHAPTER) == [9, 16, 22]


def test_chapter_lint_reports_each_problem_at_its_line_in_the_md_file(tmp_path, capsys):
    chapter = tmp_path / "chapter.md"
    chapter.write_text(CHAPTER, encoding="utf-8")
    assert lint.main([str(chapter)]) == 1
    out = capsys.readouterr().out
    assert f"{chapter.as_posix()}:17:8: F401" in out, out  # `import os`, unused
    assert f"--- {chapter.as_posix()}:22\n" in out and "\n-x=1\n+x = 1\n" in out, out
    assert out.count("\n--- ") == 1, "only the cell that formatting changes has a diff"
    assert ".ipynb" not in out and "cell " not in out, (
        "every place is named in the .md file"
    )
    assert out.rstrip().endswith(
        "ruff found problems in the code cells of 1 chapter(s); fix them by hand"
    )


def test_chapter_lint_passes_a_clean_chapter_and_skips_pages_without_code(
    tmp_path, capsys
):
    chapter, page = tmp_path / "chapter.md", tmp_path / "page.md"
    chapter.write_text(
        CHAPTER.replace("import os\n", "").replace("x=1", "x = 1"), encoding="utf-8"
    )
    page.write_text("# A page\n\nOnly prose.\n", encoding="utf-8")
    assert lint.main([str(chapter), str(page)]) == 0
    assert capsys.readouterr().out == ""
