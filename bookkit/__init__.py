"""The build kit of *Neural Networks, executed*: everything that builds, tests and publishes the
book. The chapters never import it; they import the reader kit, `nnbook`.

    paths         the one place for the repository's and _build/'s paths (standard library only)
    book          _toc.yml and _config.yml: the pages, the chapters, the repository, Colab links
    cache         the execution cache: the only code that touches jupyter-cache and myst-nb
    pytest_plugin runs MyST chapters under nbval and puts passing runs into the cache
    build         fills the cache in parallel, then renders the HTML with Sphinx, in-process
    export        the executed notebooks that the Colab buttons open
    sphinx_ext    HTML fixes for the theme, the Colab button, the execution status page
    lint          ruff over the chapters' code cells, reported at their .md lines
    cli           the commands behind tasks.py (`python -m bookkit --help`)
    bench         measures what the README's commands cost

tasks.py creates the environment (requirements.txt, which installs the extra `nnbook[build]`) and
hands each command to `python -m bookkit` inside it.
"""
