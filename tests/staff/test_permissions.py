"""Every staff route and console page declares the permission it needs, and nobody without it gets in.

The walk covers every route under ``/v1/staff/`` and every page under ``/console/`` that the
app serves, over HTTP against a live server: without credentials it is 401 (a page redirects
to the sign-in page); with a key whose custom role grants every permission except the route's,
it is 403 ``forbidden`` (a page: an error page saying so) and the refusal is audited; with a
key of each built-in role, it is 403 exactly when the role lacks the permission. A new staff
route or page that forgets to declare a permission fails the first test.

A few staff routes need no permission, and each is listed below by name: the public steps
before there is a session (signing in, accepting an invitation), and the routes any
signed-in person may call (their session's sign-in steps, signing out, who they are).
Every other route under ``/v1/staff/`` is walked.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from croupier.api import create_app
from croupier.audit.models import AuditEvent
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction
from croupier.kit.runtime import Runtime
from croupier.staff import roles
from croupier.staff import service as staff
from croupier.staff.access import BUILT_IN_ROLES, Permission
from croupier.staff.auth import any_staff_session, permissions_needed, signed_in_staff
from tests.conftest import make_settings
from tests.payments.support import serve
from tests.route_walk import api_routes

# Pages anyone may open: signing in is how one becomes someone.
PUBLIC_PAGES = {"/console", "/console/sign-in", "/console/invitations/{token}"}
# Values for the path parameters of staff routes; the permission check comes first, so
# they need not name anything that exists.
_PATH_VALUES = {"name": "large-transactions", "rule": "a_rule"}


@dataclass(frozen=True)
class StaffRoute:
    method: str
    template: str
    needs: frozenset[Permission]

    @property
    def is_page(self) -> bool:
        return self.template.startswith("/console/")

    @property
    def url(self) -> str:
        return re.sub(r"{(\w+)}", lambda m: _PATH_VALUES.get(m[1], str(uuid.uuid4())), self.template)

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


# Staff routes without a permission, and whom each admits instead.
PUBLIC = "public"
ANY_SESSION = "a staff session, second factor done or not"
SIGNED_IN = "a staff session with its second factor done"
WITHOUT_PERMISSION = {
    "POST /v1/staff/sessions": PUBLIC,
    "POST /v1/staff/invitations/{token}/accept": PUBLIC,
    "GET /v1/staff/sessions/current": ANY_SESSION,
    "POST /v1/staff/sessions/current/totp": ANY_SESSION,
    "POST /v1/staff/sessions/current/mfa": ANY_SESSION,
    "DELETE /v1/staff/sessions/current": ANY_SESSION,
    "GET /v1/staff/me": SIGNED_IN,
    # The console's sign-in steps after the password, and signing out.
    "GET /console/sign-in/code": ANY_SESSION,
    "POST /console/sign-in/enrol": ANY_SESSION,
    "POST /console/sign-in/code": ANY_SESSION,
    "POST /console/sign-out": ANY_SESSION,
}
_ADMITS = {any_staff_session: ANY_SESSION, signed_in_staff: SIGNED_IN}


def staff_routes() -> list[StaffRoute]:
    found = []
    listed = set()
    for path, route in api_routes(create_app()):
        if not path.startswith(("/v1/staff/", "/console/")) or path in PUBLIC_PAGES:
            continue
        calls = [dependency.call for dependency in route.dependant.dependencies]
        declared = [needs for call in calls if (needs := permissions_needed(call)) is not None]
        for method in sorted(route.methods):
            name = f"{method} {path}"
            if name in WITHOUT_PERMISSION:
                admits = {_ADMITS[call] for call in calls if call in _ADMITS} or {PUBLIC}
                assert not declared, f"{name} is listed as needing no permission but declares one"
                assert admits == {WITHOUT_PERMISSION[name]}, f"{name} admits {admits}"
                listed.add(name)
                continue
            assert len(declared) == 1, f"{path} must declare exactly one staff permission"
            found.append(StaffRoute(method, path, declared[0]))
    assert listed == WITHOUT_PERMISSION.keys(), "a route listed as needing no permission is gone"
    return found


ROUTES = staff_routes()


@dataclass
class Server:
    http: httpx.AsyncClient
    runtime: Runtime

    async def key(self, role: str, name: str | None = None) -> dict[str, str]:
        async with self.runtime.database.unit_of_work() as session:
            secret = await staff.issue(
                session, name=name or f"k-{uuid.uuid4().hex[:10]}", role=role, issued_by="permission walk"
            )
        return {"Authorization": f"Bearer {secret}"}

    async def call(self, route: StaffRoute, headers: dict[str, str]) -> httpx.Response:
        return await self.http.request(
            route.method, route.url, json={}, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
        )


@pytest.fixture(scope="module")
async def server(
    module_database_url: str, keyring_json: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Server]:
    data_dir: Path = tmp_path_factory.mktemp("staff")
    async for runtime, base_url in serve(make_settings(module_database_url, keyring_json, data_dir)):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Server(http, runtime)


def test_the_walk_finds_the_staff_routes_and_pages() -> None:
    assert len(ROUTES) >= 27
    assert {str(r) for r in ROUTES} >= {
        "GET /console/dashboard",
        "POST /v1/staff/withdrawals/{withdrawal_id}/approve",
        "PUT /v1/staff/kyc/players/{player_id}/level",
        "GET /v1/staff/rg/players/{player_id}",
        "GET /v1/staff/accounts",
        "PUT /v1/staff/accounts/{account_id}/roles/{role}",
        "POST /console/staff/{account_id}/grant",
        "POST /console/audit/verify",
        "POST /console/providers/{name}/disable",
    }


@pytest.mark.parametrize("route", ROUTES, ids=str)
async def test_without_credentials_a_staff_route_is_401(server: Server, route: StaffRoute) -> None:
    response = await server.call(route, {})

    if route.is_page:
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/console/sign-in"
    else:
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "unauthenticated"


@pytest.mark.parametrize("route", ROUTES, ids=str)
async def test_every_permission_but_the_routes_own_is_403_and_audited(
    server: Server, route: StaffRoute
) -> None:
    role = f"all-but-{uuid.uuid4().hex[:8]}"
    async with server.runtime.database.unit_of_work() as session:
        await roles.define(
            session,
            name=role,
            description="everything except what the route needs",
            permissions=[str(p) for p in Permission if p not in route.needs],
            actor=Actor.operator("permission walk"),
        )
    headers = await server.key(role)

    response = await server.call(route, headers)

    assert response.status_code == 403, response.text
    assert _code(response) == "forbidden"
    async with server.runtime.database.unit_of_work() as session:
        denied = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == str(AuditAction.STAFF_ACCESS_DENY),
                    AuditEvent.target_id == str(route),
                )
            )
        ).all()
    assert any(event.outcome == "denied" for event in denied)


@pytest.mark.parametrize("role", sorted(BUILT_IN_ROLES))
async def test_a_built_in_role_is_refused_exactly_where_it_lacks_the_permission(
    server: Server, role: str
) -> None:
    headers = await server.key(role)
    granted = BUILT_IN_ROLES[role]

    refused = set()
    for route in ROUTES:
        response = await server.call(route, headers)
        assert response.status_code < 500, f"{route}: {response.text}"
        assert response.status_code not in {401, 303}, f"{route}: {response.text}"
        if response.status_code == 403 and _code(response) == "forbidden":
            refused.add(str(route))

    assert refused == {str(r) for r in ROUTES if granted.isdisjoint(r.needs)}


async def test_every_use_of_a_key_is_audited_with_its_route(server: Server) -> None:
    headers = await server.key("risk", name="rules-reader")

    response = await server.http.get("/v1/staff/risk/rules", headers=headers)

    assert response.status_code == 200
    async with server.runtime.database.unit_of_work() as session:
        uses = (
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == str(AuditAction.STAFF_KEY_USE),
                    AuditEvent.actor_id == "rules-reader",
                )
            )
        ).all()
    assert [(u.actor_type, u.target_id) for u in uses] == [("staff", "GET /v1/staff/risk/rules")]


def _code(response: httpx.Response) -> str:
    """The problem's code: from problem+json, or from a console error page's ``data-code``."""
    if response.headers["content-type"].startswith("text/html"):
        found = re.search(r'data-code="([^"]+)"', response.text)
        return found[1] if found else ""
    code: str = response.json()["code"]
    return code


@pytest.mark.parametrize(
    "route", sorted(name for name, admits in WITHOUT_PERMISSION.items() if admits != PUBLIC)
)
async def test_the_routes_for_any_signed_in_person_refuse_callers_without_a_session(
    server: Server, route: str
) -> None:
    method, path = route.split(" ")
    for headers in ({}, await server.key("admin")):
        response = await server.http.request(method, path, json={"code": "123456"}, headers=headers)

        if path.startswith("/console/"):
            assert response.status_code == 303, response.text
            assert response.headers["location"] == "/console/sign-in"
        else:
            assert response.status_code == 401, response.text
            assert response.json()["code"] == "unauthenticated"
