"""Game providers in the console: listed with their state, stake limits and games; an admin
disables and enables one through ``providers.registry``, as ``croupier providers`` does.

Each change is audited under the admin; an unknown provider or a form without its CSRF
token is a 4xx page and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.kit.runtime import Runtime
from croupier.staff.access import StaffRole
from tests.backoffice.console.support import assert_safe, error_code, page_token
from tests.providers.support import new_key, register
from tests.risk.support import staff_key
from tests.sql import sql


async def _enabled(runtime: Runtime, name: str) -> bool:
    [(enabled,)] = await sql(runtime, "SELECT enabled FROM game_providers WHERE name = :n", n=name)
    return bool(enabled)


async def _audited(runtime: Runtime, action: AuditAction) -> list[Any]:
    async with runtime.database.unit_of_work() as session:
        return list(await audit.events(session, action=action))


async def test_providers_are_listed_with_their_state_limits_and_games(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await register(runtime, "acme", new_key(), games=("acme_slot", "acme_poker"), EUR=Decimal("25.50"))
    admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")

    page = await client.get("/console/providers", headers=admin)

    assert page.status_code == 200
    assert_safe(page)
    row = page.text[page.text.index('data-provider="acme"') :].split("</tr>")[0]
    assert 'data-status="enabled"' in row
    assert "EUR 25.50" in row
    assert "acme_poker, acme_slot" in row
    assert "/providers/hub88/acme" in row
    assert 'action="/console/providers/acme/disable"' in row


async def test_an_admin_disables_and_enables_a_provider_and_each_change_is_audited(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await register(runtime, "acme", new_key(), games=("acme_slot",))
    admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")
    token = await page_token(client, "/console/providers", admin)

    disabled = await client.post("/console/providers/acme/disable", data={"csrf": token}, headers=admin)
    was_enabled = await _enabled(runtime, "acme")
    page = await client.get("/console/providers", headers=admin)
    enabled = await client.post("/console/providers/acme/enable", data={"csrf": token}, headers=admin)

    assert disabled.status_code == enabled.status_code == 303
    assert disabled.headers["location"] == "/console/providers"
    assert was_enabled is False
    assert 'data-status="disabled"' in page.text
    assert 'action="/console/providers/acme/enable"' in page.text
    assert await _enabled(runtime, "acme") is True
    for action in (AuditAction.PROVIDER_DISABLE, AuditAction.PROVIDER_ENABLE):
        [entry] = await _audited(runtime, action)
        assert (entry.actor_type, entry.actor_id, entry.target_id) == ("staff", "ada", "acme")


async def test_an_unknown_provider_or_a_forged_form_is_a_4xx_page_and_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await register(runtime, "acme", new_key(), games=("acme_slot",))
    admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")
    token = await page_token(client, "/console/providers", admin)

    unknown = await client.post("/console/providers/ghost/disable", data={"csrf": token}, headers=admin)
    forged = await client.post("/console/providers/acme/disable", data={"csrf": "0" * 64}, headers=admin)
    no_token = await client.post("/console/providers/acme/disable", headers=admin)

    assert unknown.status_code == 404
    assert error_code(unknown) == "not_found"
    assert forged.status_code == no_token.status_code == 403
    assert error_code(forged) == "csrf_rejected"
    assert await _enabled(runtime, "acme") is True
    assert await _audited(runtime, AuditAction.PROVIDER_DISABLE) == []
