"""The Binder environment: JupyterLab, as binder/ installs it, opening an exported notebook.

JupyterLab serves a temporary copy of _build/notebooks/ on localhost (what the Binder button opens
on the notebooks branch), and Chromium opens one chapter, as a reader on Binder would. Nothing
leaves the machine: JupyterLab bundles its own MathJax.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from bookkit.paths import CHROMIUM, NOTEBOOKS
from tests.browser.conftest import CHROMIUM_ARGS

CHAPTER = "book/neuron.ipynb"  # math, both figures, two exercises with solutions
TOKEN = "nnbook-test"
TIMEOUT_MS = 30_000
# Render every cell, not only those in view, so the checks see the whole notebook.
SETTINGS = {"@jupyterlab/notebook-extension": {"tracker": {"windowingMode": "none"}}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """The base URL of a JupyterLab server on a copy of the exported notebooks."""
    if not (NOTEBOOKS / CHAPTER).is_file():
        pytest.fail(
            "no exported notebooks in _build/notebooks: run tasks.py build first"
        )
    pytest.importorskip("jupyterlab", reason="jupyterlab is in requirements.txt")
    home = tmp_path_factory.mktemp("binder")
    root = home / "notebooks"
    shutil.copytree(NOTEBOOKS, root)
    for plugin, files in SETTINGS.items():
        folder = home / "settings" / plugin
        folder.mkdir(parents=True)
        for name, settings in files.items():
            (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(settings))
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={home / 'settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "server.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log = (home / "server.log").read_text()[-2000:]
                pytest.fail(f"JupyterLab did not start:\n{log}")
            time.sleep(0.3)
    yield base
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="module")
def notebook(lab):
    """The chapter opened in JupyterLab in headless Chromium, its Markdown rendered."""
    from playwright.sync_api import sync_playwright

    blocked = []

    def route(r):
        if r.request.url.startswith("http://127.0.0.1"):
            return r.continue_()
        blocked.append(r.request.url)
        return r.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", route)
        page.goto(f"{lab}lab/tree/{CHAPTER}?token={TOKEN}", wait_until="load")
        page.wait_for_selector(
            ".jp-MarkdownCell .jp-RenderedMarkdown h1", timeout=TIMEOUT_MS
        )
        yield page
        browser.close()


def test_math_renders(notebook):
    notebook.wait_for_function(
        "() => document.querySelectorAll('.jp-RenderedMarkdown mjx-container').length > 20",
        timeout=TIMEOUT_MS,
    )
    raw = notebook.evaluate(
        """() => [...document.querySelectorAll('.jp-RenderedMarkdown')].flatMap(cell => {
            const copy = cell.cloneNode(true);
            copy.querySelectorAll('code, pre, mjx-container').forEach(e => e.remove());
            return copy.textContent.includes('$') ? [copy.textContent.slice(0, 120)] : [];
        })"""
    )
    assert raw == [], f"raw TeX left in the rendered Markdown: {raw}"


def test_figure_loads_from_its_attachment(notebook):
    figure = notebook.locator(".jp-RenderedMarkdown img[alt^='Diagram of one neuron']")
    figure.scroll_into_view_if_needed(timeout=TIMEOUT_MS)
    loaded = "img => img.complete && img.naturalWidth > 0"
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not figure.evaluate(loaded) and time.monotonic() < deadline:
        time.sleep(0.2)
    state = figure.evaluate(
        "img => [img.complete, img.naturalWidth, img.getAttribute('src').slice(0, 40)]"
    )
    assert figure.evaluate(loaded), f"the neuron diagram does not load: {state}"
    caption = figure.locator(
        "xpath=ancestor::*[contains(@class,'jp-RenderedMarkdown')]"
    )
    assert "Fig. 3.1" in caption.inner_text()


def test_exercise_heading_and_folded_solution_render(notebook):
    heading = notebook.locator(".jp-RenderedMarkdown h3", has_text="Exercise 3.1")
    assert heading.count() == 1
    solutions = notebook.locator(".jp-RenderedMarkdown details:has(> summary)")
    assert solutions.count() >= 2
    first = solutions.first
    assert first.locator("summary").inner_text().strip() == "Solution"
    assert not first.evaluate("d => d.open"), "the solution starts folded"
    assert "mjx-container" in first.inner_html(), "math inside the solution renders"


def test_hidden_cells_are_collapsed(notebook):
    assert notebook.locator(".jp-InputPlaceholder").count() > 10
