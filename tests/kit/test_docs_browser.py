"""A real browser, cut off from every network but the server's, renders the API docs pages.

Debian's ``chromium`` (CI installs it), driven by Playwright, loads ``/docs`` and
``/redoc`` from a real ``croupier serve`` process. Every request to anywhere but
the server's own origin is aborted and recorded, as on an isolated network, and
every Content-Security-Policy violation the page reports is collected. Without
chromium the tests are skipped locally and fail in CI. Playwright never downloads
a browser build here: it is pointed at the system's.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import CHROMIUM, RECORD_VIOLATIONS, playwright_api
from tests.test_serve_process import Server, stop_embedded_database

pytestmark = pytest.mark.slow
LOAD_WITHIN_MS = 30_000


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # Outside pytest's temp tree, as in test_serve_process: the embedded server's user must read it.
    root = Path(tempfile.mkdtemp(prefix="croupier-docs-"))
    root.chmod(0o755)
    data_dir = root / "data"
    running = Server(data_dir, root / "serve.log")
    try:
        running.start()
        running.wait_ready()
        yield running
    finally:
        running.kill()
        stop_embedded_database(data_dir)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Visit:
    page: Any
    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def violations(self) -> list[dict[str, str]]:
        found: list[dict[str, str]] = self.page.evaluate("window.__violations")
        return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_playwright = playwright_api("sync")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            # Belt and braces with the route below: no name resolves but the loopback address.
            args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        yield launched
        launched.close()


@pytest.fixture
def visit(browser: Any, server: Server) -> Iterator[Visit]:
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    seen = Visit(page)

    def only_the_server(route: Any) -> None:
        if route.request.url.startswith(server.base_url + "/"):
            route.continue_()
        else:
            seen.outside_requests.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_the_server)
    page.on("console", lambda message: message.type == "error" and seen.console_errors.append(message.text))
    page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
    yield seen
    context.close()


def test_swagger_ui_shows_the_operations_offline(visit: Visit, server: Server) -> None:
    page = visit.page
    page.goto(f"{server.base_url}/docs")
    page.wait_for_selector(".opblock", timeout=LOAD_WITHIN_MS)
    assert page.locator(".opblock").count() >= 30
    summaries = page.locator(".opblock-summary-description").all_inner_texts()
    assert "Register a player" in summaries
    assert "The process is up" in summaries
    # Open an operation and its "try it out" form: rendering them must not trip the policy either.
    page.locator(".opblock-post .opblock-summary").first.click()
    page.locator("button.try-out__btn").first.click()
    page.wait_for_selector(".opblock-body .body-param", timeout=LOAD_WITHIN_MS)
    assert visit.outside_requests == []
    assert visit.violations() == []
    assert visit.console_errors == []


def test_redoc_shows_the_operations_offline(visit: Visit, server: Server) -> None:
    page = visit.page
    page.goto(f"{server.base_url}/redoc")
    page.wait_for_selector(".menu-content li", timeout=LOAD_WITHIN_MS)
    page.get_by_text("identity", exact=True).first.click()
    page.wait_for_selector("text=Register a player", timeout=LOAD_WITHIN_MS)
    assert visit.outside_requests == []
    # ReDoc's sidebar always links Redocly's logo from their CDN: the policy blocks it
    # (and the image hides itself). Nothing else may be refused.
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [v for v in visit.violations() if v["blocked"] != logo] == []
    assert [e for e in visit.console_errors if logo not in e] == []
