"""Fixtures for the browser tests: the built book served on localhost, and headless Chromium.

Run them with `python3 tasks.py browser`. They drive the system's Chromium (Debian's `chromium`
package, never a downloaded browser) through Playwright. No request leaves the machine: MathJax's
CDN URL is answered from the pinned npm copy in tests/browser/node_modules, and every other outside
request is blocked and recorded.
"""

import functools
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bookkit.paths import ARTIFACTS, CHROMIUM, HTML
from tests.browser.pagecheck import AXE_JS, MATHJAX_CDN, MATHJAX_DIR

# Flags for a root user on a machine without network (see CONTRIBUTING.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


DESKTOP, PHONE = 1280, 390  # window widths in CSS px: a laptop's, and a phone's


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="session")
def serve():
    """serve(directory) -> base URL of a localhost server for that directory."""
    servers = []

    def start(directory: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(directory))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture(scope="session")
def site(serve) -> str:
    if not (HTML / "index.html").is_file():
        pytest.fail("no built book in _build/html: run python3 tasks.py build first")
    return serve(HTML)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: apt-get install chromium (.ci/run does)"
        )
    if not (AXE_JS.is_file() and MATHJAX_DIR.is_dir()):
        pytest.fail(
            "tests/browser/node_modules is missing: run python3 tasks.py browser"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class PageLog:
    """What went wrong while a page loaded, as a reader's browser console would show it."""

    console_errors: list[str] = field(default_factory=list)
    failed_local: list[str] = field(default_factory=list)
    blocked_external: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [f"console error: {e}" for e in self.console_errors] + [
            f"failed request: {u}" for u in self.failed_local
        ]


def _route(route, log: PageLog):
    url = route.request.url
    if url.startswith("http://127.0.0.1"):
        return route.continue_()
    if url.startswith(MATHJAX_CDN):
        local = MATHJAX_DIR / url.removeprefix(MATHJAX_CDN).split("?")[0]
        if local.is_file():
            return route.fulfill(path=str(local))
    log.blocked_external.append(url)
    return route.abort()


@pytest.fixture
def open_page(browser):
    """open_page(url, color_scheme="light", width=1280) -> (page, log), with the page loaded
    and typeset in a window `width` px wide (390 is a phone's)."""
    from tests.browser.pagecheck import wait_for_mathjax

    contexts = []

    def open_(url: str, color_scheme: str = "light", width: int = DESKTOP):
        context = browser.new_context(
            color_scheme=color_scheme,
            viewport={"width": width, "height": 900},
            has_touch=width < DESKTOP,
        )
        contexts.append(context)
        page = context.new_page()
        log = PageLog()
        page.route("**/*", lambda route: _route(route, log))
        page.on(
            "console", lambda m: m.type == "error" and log.console_errors.append(m.text)
        )
        page.on("pageerror", lambda e: log.console_errors.append(str(e)))
        page.on(
            "requestfailed",
            lambda r: (
                r.url.startswith("http://127.0.0.1") and log.failed_local.append(r.url)
            ),
        )
        page.on(
            "response",
            lambda r: (
                r.url.startswith("http://127.0.0.1")
                and r.status >= 400
                and log.failed_local.append(f"{r.url} (HTTP {r.status})")
            ),
        )
        page.goto(url, wait_until="load")
        wait_for_mathjax(page)
        return page, log

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = ARTIFACTS / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
