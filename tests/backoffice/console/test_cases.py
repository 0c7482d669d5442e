"""The risk desk works its queue in the console: claim the next case, add a note, close it.

Two analysts claiming at once get different cases; a closed case offers no more forms and
its disposition shows; a role that may read cases but not work them sees no forms and is
refused if it posts one anyway.
"""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx

from croupier.audit.service import Actor
from croupier.kit.runtime import Runtime
from croupier.risk.typologies import Typology
from croupier.staff import roles
from tests.risk.support import alert, staff_key
from tests.sql import sql
from tests.wallet.support import make_player


async def _token(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    page = await client.get("/console/cases", headers=headers)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None
    return found[1]


async def _case_of(runtime: Runtime, player: uuid.UUID) -> str:
    [(case_id,)] = await sql(runtime, "SELECT id FROM risk_cases WHERE player_id = :p", p=player)
    return str(case_id)


async def test_claim_note_and_close_a_case(client: httpx.AsyncClient, runtime: Runtime) -> None:
    player = await make_player(runtime)
    await alert(runtime, player, typology=Typology.VELOCITY)
    case_id = await _case_of(runtime, player)
    rita = await staff_key(runtime, name="rita")
    token = await _token(client, rita)

    claimed = await client.post("/console/cases/claim", data={"csrf": token}, headers=rita)
    noted = await client.post(
        f"/console/cases/{case_id}/notes", data={"csrf": token, "text": "two cards, one device"}, headers=rita
    )
    closed = await client.post(
        f"/console/cases/{case_id}/close",
        data={"csrf": token, "disposition": "false_positive", "reason": "a family sharing a laptop"},
        headers=rita,
    )
    page = await client.get(f"/console/cases/{case_id}", headers=rita)

    assert claimed.status_code == 303
    assert claimed.headers["location"] == f"/console/cases/{case_id}"
    assert noted.status_code == closed.status_code == 303
    assert 'data-disposition="false_positive"' in page.text
    assert "two cards, one device" in page.text
    assert "assignee rita" in page.text
    assert 'action="/console/cases/' not in page.text  # closed: nothing more to do
    [(status, assignee, disposition)] = await sql(
        runtime, "SELECT status, assignee, disposition FROM risk_cases WHERE id = :id", id=case_id
    )
    assert (status, assignee, disposition) == ("closed", "rita", "false_positive")


async def test_two_analysts_claiming_at_once_get_different_cases(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    for _ in range(2):
        await alert(runtime, await make_player(runtime))
    rita, sam = await staff_key(runtime, name="rita"), await staff_key(runtime, name="sam")
    rita_token, sam_token = await _token(client, rita), await _token(client, sam)

    # Each analyst's browser has its own cookie: the client's jar holds the last one, so
    # send each token with the cookie it was made for.
    first, second = await asyncio.gather(
        client.post("/console/cases/claim", data={"csrf": rita_token}, headers=rita),
        client.post("/console/cases/claim", data={"csrf": sam_token}, headers=sam),
    )

    assert {first.status_code, second.status_code} == {303}
    assert first.headers["location"] != second.headers["location"]
    assignees = await sql(runtime, "SELECT assignee FROM risk_cases ORDER BY assignee")
    assert [a for (a,) in assignees] == ["rita", "sam"]


async def test_a_reader_sees_no_forms_and_cannot_post_one(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await make_player(runtime)
    await alert(runtime, player)
    case_id = await _case_of(runtime, player)
    async with runtime.database.unit_of_work() as session:
        await roles.define(
            session, name="case-reader", description="d", permissions=["risk:read"], actor=Actor.operator("t")
        )
    reader = await staff_key(runtime, "case-reader", name="reader")
    token = await _token(client, reader)

    page = await client.get(f"/console/cases/{case_id}", headers=reader)
    refused = await client.post(
        f"/console/cases/{case_id}/close",
        data={"csrf": token, "disposition": "false_positive", "reason": "r"},
        headers=reader,
    )

    assert page.status_code == 200
    assert "Close the case" not in page.text
    assert refused.status_code == 403
    [(status,)] = await sql(runtime, "SELECT status FROM risk_cases WHERE id = :id", id=case_id)
    assert status == "open"


async def test_bad_form_input_is_a_4xx_page_and_changes_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await make_player(runtime)
    await alert(runtime, player)
    case_id = await _case_of(runtime, player)
    rita = await staff_key(runtime, name="rita")
    token = await _token(client, rita)

    unknown = await client.post(
        f"/console/cases/{case_id}/close",
        data={"csrf": token, "disposition": "shrug", "reason": "r"},
        headers=rita,
    )
    blank = await client.post(
        f"/console/cases/{case_id}/notes", data={"csrf": token, "text": ""}, headers=rita
    )
    nowhere = await client.get(f"/console/cases/{uuid.uuid4()}", headers=rita)

    assert unknown.status_code == blank.status_code == 422
    assert 'data-code="validation_error"' in unknown.text
    assert nowhere.status_code == 404
    [(status, entries)] = await sql(
        runtime,
        "SELECT status, (SELECT count(*) FROM risk_case_timeline t WHERE t.case_id = c.id) "
        "FROM risk_cases c WHERE id = :id",
        id=case_id,
    )
    assert status == "open"
    assert entries == 2  # opened, alert added: nothing from the refused forms
