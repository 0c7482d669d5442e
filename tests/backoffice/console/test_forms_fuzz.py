"""Bad input to any console form is a 4xx page, never a 500.

Every POST page of the console receives, with a valid CSRF token and a member holding every
permission, a handful of malformed forms (nothing, wrong types, oversized text, unknown
choices, ids that name nothing). Each answer must be a redirect or a 4xx, never a 5xx;
the walk finds the forms itself, so a new one is covered as soon as it exists.
"""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from croupier.api import create_app
from croupier.audit.service import Actor
from croupier.kit.runtime import Runtime
from croupier.staff import roles
from croupier.staff.access import Permission
from tests.risk.support import staff_key
from tests.route_walk import api_routes

FORM_POSTS = sorted(
    path
    for path, route in api_routes(create_app())
    if path.startswith("/console/") and "POST" in route.methods
)
BAD_FORMS: list[dict[str, str | list[str]]] = [
    {},
    {"note": "x" * 100_000, "reason": "y" * 100_000, "text": "z" * 100_000},
    {"level": "legendary", "disposition": "shrug", "role": "emperor", "permission": ["vault:open"]},
    {"email": "not an email", "password": "", "code": "abc", "query": "\x00\x01"},
    {"name": "../../etc", "description": "", "amount": "-1e999", "currency": "€€€"},
]


def _url(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: "cri_nonsense" if m[1] == "token" else str(uuid.uuid4()), path)


@pytest.fixture
async def everything(runtime: Runtime) -> dict[str, str]:
    async with runtime.database.unit_of_work() as session:
        await roles.define(
            session,
            name="everything",
            description="every permission, for the walk",
            permissions=[str(p) for p in Permission],
            actor=Actor.operator("tests"),
        )
    return await staff_key(runtime, "everything", name="walker")


def test_the_walk_finds_the_forms() -> None:
    assert "/console/sign-in" in FORM_POSTS
    assert "/console/cases/{case_id}/close" in FORM_POSTS
    assert len(FORM_POSTS) >= 15


@pytest.mark.parametrize("path", FORM_POSTS)
async def test_malformed_forms_get_a_4xx_or_a_redirect_never_a_5xx(
    client: httpx.AsyncClient, everything: dict[str, str], path: str
) -> None:
    page = await client.get("/console/sign-in")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert token is not None

    for form in BAD_FORMS:
        response = await client.post(_url(path), data={"csrf": token[1], **form}, headers=everything)

        assert response.status_code < 500, f"{path} {form}: {response.text[:300]}"
