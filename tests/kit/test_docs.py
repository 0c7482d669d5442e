"""The API docs pages: served from the package, under a strict Content-Security-Policy, and optional.

A real browser loads them in ``test_docs_browser.py``; these tests read what the server sends.
"""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from croupier.api import create_app
from croupier.kit.docs import ASSETS_DIR
from tests.conftest import TEST_IP, make_settings

API_CSP = "default-src 'none'; frame-ancestors 'none'"


class _Page(HTMLParser):
    """The URLs a page loads and the inline scripts it carries."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in found
            if found.get("src"):
                self.loads.append(found["src"] or "")
        elif tag == "link" and found.get("href"):
            self.loads.append(found["href"] or "")
        if any(name.startswith("on") for name in found):
            self.inline_scripts += 1  # an event-handler attribute is inline script too

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False


def _directives(policy: str) -> dict[str, set[str]]:
    return {
        name: set(values) for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
class TestDocsPages:
    async def test_load_nothing_from_outside_the_server(self, client: httpx.AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.status_code == 200
        page = _Page()
        page.feed(response.text)
        assert page.loads, "the page loads its scripts from somewhere"
        for url in page.loads:
            assert url.startswith(("/docs/assets/", "data:")), url
        for forbidden in ("cdn.", "googleapis", "jsdelivr", "unpkg", "http://", "https://"):
            assert forbidden not in response.text

    async def test_carry_no_inline_script(self, client: httpx.AsyncClient, path: str) -> None:
        page = _Page()
        page.feed((await client.get(path)).text)
        assert page.inline_scripts == 0

    async def test_policy_allows_scripts_from_this_server_only(
        self, client: httpx.AsyncClient, path: str
    ) -> None:
        policy = _directives((await client.get(path)).headers["content-security-policy"])
        assert policy["default-src"] == {"'none'"}
        assert policy["script-src"] == {"'self'"}
        assert policy["frame-ancestors"] == {"'none'"}
        for directive, sources in policy.items():
            assert "'unsafe-eval'" not in sources, directive
            assert not any(s.startswith(("http:", "https:", "*")) for s in sources), directive

    async def test_every_asset_is_served_and_cached_for_good(
        self, client: httpx.AsyncClient, path: str
    ) -> None:
        page = _Page()
        page.feed((await client.get(path)).text)
        for url in page.loads:
            if url.startswith("data:"):
                continue
            asset = await client.get(url)
            assert asset.status_code == 200, url
            assert "immutable" in asset.headers["cache-control"]
            assert re.search(r"max-age=\d{7,}", asset.headers["cache-control"])
            assert asset.headers["content-type"].split(";")[0] in {
                "text/css",
                "text/javascript",
                "application/javascript",
            }


class TestSwaggerUi:
    async def test_is_not_allowed_inline_styles_either(self, client: httpx.AsyncClient) -> None:
        policy = _directives((await client.get("/docs")).headers["content-security-policy"])
        assert policy["style-src"] == {"'self'"}


class TestApiResponsesPolicy:
    @pytest.mark.parametrize("path", ["/healthz", "/v1/me", "/v1/nowhere", "/openapi.json"])
    async def test_allows_nothing(self, client: httpx.AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.headers["content-security-policy"] == API_CSP
        assert response.headers["cache-control"] == "no-store"


class TestVendoredAssets:
    def test_match_the_manifest(self) -> None:
        manifest = json.loads((ASSETS_DIR / "manifest.json").read_text())
        for package in manifest["packages"]:
            assert package["integrity"].startswith("sha512-"), package["name"]
            assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), package["name"]
            for name, recorded in package["files"].items():
                digest = hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()
                assert digest == recorded["sha256"], name


def _app_client(
    database_url: str, keyring_json: str, tmp_path: Path, **overrides: object
) -> httpx.AsyncClient:
    # No lifespan under ASGITransport: these routes need no database.
    app = create_app(make_settings(database_url, keyring_json, tmp_path, **overrides))
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(TEST_IP, 40000)), base_url="http://t"
    )


class TestDocsSetting:
    @pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui.css"])
    async def test_on_by_default(
        self, database_url: str, keyring_json: str, tmp_path: Path, path: str
    ) -> None:
        async with _app_client(database_url, keyring_json, tmp_path) as client:
            assert (await client.get(path)).status_code == 200

    @pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/assets/swagger-ui.css"])
    async def test_off_serves_none_of_it(
        self, database_url: str, keyring_json: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
    ) -> None:
        monkeypatch.setenv("CROUPIER_DOCS", "off")
        async with _app_client(database_url, keyring_json, tmp_path) as client:
            response = await client.get(path)
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
            # The API itself is unaffected.
            assert (await client.get("/healthz")).status_code == 200
