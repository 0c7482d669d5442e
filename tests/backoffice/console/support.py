"""Shared by the console's page tests: a page's CSRF token, and its safety checks."""

from __future__ import annotations

import re

import httpx

from tests.backoffice.console.test_pages import CSP, inline_code


async def page_token(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> str:
    """Open ``path`` (which sets the browser's CSRF cookie) and return its forms' token."""
    page = await client.get(path, headers=headers)
    assert page.status_code == 200, page.text
    assert_safe(page)
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None
    return found[1]


def assert_safe(page: httpx.Response) -> None:
    """The console's policy is sent, and the page needs nothing it would block."""
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["cache-control"] == "no-store"
    assert inline_code(page.text) == []


def error_code(page: httpx.Response) -> str:
    found = re.search(r'data-code="([^"]+)"', page.text)
    return found[1] if found else ""
