"""Finding a player and reading their 360 page in the console; every read on the record.

A reader with ``players:read`` finds a player by id or by email address (posted, so the
address never appears in a URL or a log of URLs), sees six months of what matters, and is
recorded as having looked; only a holder of ``players:access-log`` sees who looked.
"""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import select

from croupier.audit.models import AuditEvent
from croupier.audit.service import Actor
from croupier.kit.runtime import Runtime
from croupier.staff import roles
from croupier.staff.access import StaffRole
from tests.factories import SignedIn, signed_in_player
from tests.risk.support import staff_key
from tests.wallet.support import deposit

DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}


async def _player_who_played(client: httpx.AsyncClient, runtime: Runtime) -> SignedIn:
    player = await signed_in_player(client, runtime=runtime)
    await deposit(runtime, uuid.UUID(player.id), 10_000)
    played = await client.post(
        "/v1/games/dice/rounds", json=DICE, headers={**player.headers, "Idempotency-Key": uuid.uuid4().hex}
    )
    assert played.status_code == 201, played.text
    return player


async def _csrf(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    page = await client.get("/console/players", headers=headers)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None
    return found[1]


async def _audited(runtime: Runtime, action: str) -> list[AuditEvent]:
    async with runtime.database.unit_of_work() as session:
        return list((await session.scalars(select(AuditEvent).where(AuditEvent.action == action))).all())


async def test_a_player_found_by_email_opens_their_360_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await _player_who_played(client, runtime)
    desk = await staff_key(runtime, StaffRole.SUPPORT, name="desk")

    found = await client.post(
        "/console/players/search",
        data={"query": player.email.upper(), "csrf": await _csrf(client, desk)},
        headers=desk,
    )
    page = await client.get(found.headers["location"], headers=desk)

    assert found.status_code == 303
    assert found.headers["location"] == f"/console/players/{player.id}"
    assert page.status_code == 200, page.text
    assert player.email in page.text
    balances, rounds = _section(page.text, "balances"), _section(page.text, "rounds")
    assert "<td>EUR</td>" in balances
    assert "<td>dice</td>" in rounds
    assert f"<td><code>{player.id}" not in rounds  # fairness data, not identity, in the rounds
    assert "Who looked at this player" not in page.text  # support does not see the access log
    reads = await _audited(runtime, "backoffice:player:read")
    assert [(r.actor_id, r.target_id, r.ip) for r in reads] == [("desk", player.id, "198.51.100.7")]
    searches = await _audited(runtime, "backoffice:player:search")
    assert [(s.actor_id, s.details["found"]) for s in searches] == [("desk", True)]
    assert player.email not in str([s.details for s in searches])


async def test_the_access_log_shows_who_looked_to_those_allowed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await _player_who_played(client, runtime)
    async with runtime.database.unit_of_work() as session:
        await roles.define(
            session,
            name="privacy-officer",
            description="reads players and who looked at them",
            permissions=["players:read", "players:access-log"],
            actor=Actor.operator("tests"),
        )
    desk = await staff_key(runtime, StaffRole.SUPPORT, name="desk")
    officer = await staff_key(runtime, "privacy-officer", name="officer")

    await client.get(f"/console/players/{player.id}", headers=desk)
    page = await client.get(f"/console/players/{player.id}", headers=officer)

    log = page.text.split('id="access-log"')[1]
    assert "<td>desk</td>" in log
    assert "<td>officer</td>" not in log  # this very read commits with the page


async def test_a_search_without_the_forms_token_is_refused_and_not_run(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await _player_who_played(client, runtime)
    desk = await staff_key(runtime, StaffRole.SUPPORT, name="desk")
    await _csrf(client, desk)  # the browser has its cookie

    forged = await client.post("/console/players/search", data={"query": player.email}, headers=desk)
    wrong = await client.post(
        "/console/players/search", data={"query": player.email, "csrf": "00" * 32}, headers=desk
    )

    for response in (forged, wrong):
        assert response.status_code == 403
        assert 'data-code="csrf_rejected"' in response.text
    assert await _audited(runtime, "backoffice:player:search") == []


async def test_an_unknown_player_or_address_says_so(client: httpx.AsyncClient, runtime: Runtime) -> None:
    desk = await staff_key(runtime, StaffRole.SUPPORT, name="desk")
    token = await _csrf(client, desk)

    missing = await client.get(f"/console/players/{uuid.uuid4()}", headers=desk)
    nobody = await client.post(
        "/console/players/search", data={"query": "nobody@example.com", "csrf": token}, headers=desk
    )
    malformed = await client.get("/console/players/not-a-uuid", headers=desk)

    assert missing.status_code == 404
    assert 'data-code="not_found"' in missing.text
    assert nobody.status_code == 200
    assert "No player has that id or email address" in nobody.text
    assert malformed.status_code == 422
    assert 'data-code="validation_error"' in malformed.text


def _section(page: str, name: str) -> str:
    return (
        page.split(f'id="{name}"')[1]
        .split("</section>", maxsplit=1)[0]
        .split('<div class="card"', maxsplit=1)[0]
    )
