"""The API docs pages, ``/docs`` (Swagger UI) and ``/redoc``, served with no outside request.

FastAPI's own pages load Swagger UI, ReDoc and fonts from a public CDN, so on an
isolated network they are blank, and wherever they load they run third-party code
fetched at view time. Here the JavaScript and CSS are copied into the package from
the npm releases pinned in ``docs_assets/manifest.json`` (with their integrity;
``scripts/vendor_assets.py`` re-fetches and verifies them), the pages carry no
inline script, and a Content-Security-Policy lets them load only from this server.
"""

from __future__ import annotations

import hashlib
import html
import os
from functools import cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

ASSETS_DIR = Path(__file__).with_name("docs_assets")
ASSETS_PATH = "/docs/assets"

# Everything from this server only: no inline script, no eval, no outside request.
# Swagger UI's stylesheet draws its icons as data: images.
SWAGGER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# ReDoc builds its styles at run time in <style> elements (styled-components), which
# only 'unsafe-inline' allows for styles (scripts stay 'self'), and runs its search in
# a worker it makes from a blob: URL. Its sidebar links a logo on Redocly's CDN, which
# this policy blocks (the image hides itself when it fails to load).
REDOC_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Asset URLs carry a digest of the file, so they can be cached for good.
_IMMUTABLE = "public, max-age=31536000, immutable"


class _Assets(StaticFiles):
    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = _IMMUTABLE
        return response


def _page_headers(policy: str) -> dict[str, str]:
    # The page is small and names its assets by digest: revalidate it, cache them.
    return {"content-security-policy": policy, "cache-control": "no-cache"}


@cache
def _digest(name: str) -> str:
    return hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()[:16]


def _asset(request: Request, name: str) -> str:
    root = request.scope.get("root_path", "")
    return html.escape(f"{root}{ASSETS_PATH}/{name}?v={_digest(name)}")


def _swagger_page(request: Request, *, title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - Swagger UI</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{_asset(request, "swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(openapi_url)}"></div>
<script src="{_asset(request, "swagger-ui-bundle.js")}"></script>
<script src="{_asset(request, "swagger-init.js")}"></script>
</body>
</html>
"""


def _redoc_page(request: Request, *, title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - ReDoc</title>
<link rel="icon" href="data:,">
</head>
<body>
<redoc spec-url="{html.escape(openapi_url)}"></redoc>
<script src="{_asset(request, "redoc.standalone.js")}"></script>
</body>
</html>
"""


def install_docs(app: FastAPI, *, openapi_path: str) -> None:
    """Serve ``/docs``, ``/redoc`` and their assets, showing the document served at ``openapi_path``."""
    app.mount(ASSETS_PATH, _Assets(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        openapi_url = request.scope.get("root_path", "") + openapi_path
        page = _swagger_page(request, title=app.title, openapi_url=openapi_url)
        return HTMLResponse(page, headers=_page_headers(SWAGGER_CSP))

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        openapi_url = request.scope.get("root_path", "") + openapi_path
        page = _redoc_page(request, title=app.title, openapi_url=openapi_url)
        return HTMLResponse(page, headers=_page_headers(REDOC_CSP))
