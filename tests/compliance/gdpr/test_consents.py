"""Consent per versioned purpose (GDPR art. 7): each change kept with its time, source and text
version, announced as a ``consent_changed`` event, and the gate marketing mail must pass."""

from __future__ import annotations

import uuid

from croupier.compliance.gdpr.consent import PURPOSES, may_send_marketing
from croupier.compliance.gdpr.models import ConsentPurpose
from tests.compliance.gdpr.support import events_of, problem
from tests.payments.support import Live
from tests.sql import sql

VERSION = PURPOSES[ConsentPurpose.MARKETING_EMAIL].version


def _by_purpose(body: dict[str, object]) -> dict[str, dict[str, object]]:
    items = body["items"]
    assert isinstance(items, list)
    return {item["purpose"]: item for item in items}


async def _gate(live: Live, player_id: str, channel: str) -> bool:
    async with live.runtime.database.unit_of_work() as session:
        return await may_send_marketing(session, uuid.UUID(player_id), channel)  # type: ignore[arg-type]


async def test_a_player_grants_and_withdraws_consents_and_marketing_follows_them(live: Live) -> None:
    player = await live.player()
    shown = _by_purpose((await live.http.get("/v1/me/consents", headers=player.headers)).json())
    assert set(shown) == {"marketing_email", "marketing_sms", "analytics"}
    assert not any(item["granted"] for item in shown.values())
    assert not await _gate(live, player.id, "email")

    grant = {
        "source": "web",
        "consents": [{"purpose": "marketing_email", "granted": True, "text_version": VERSION}],
    }
    response = await live.http.put("/v1/me/consents", json=grant, headers=player.headers)
    assert response.status_code == 200, response.text
    email = _by_purpose(response.json())["marketing_email"]
    assert (email["granted"], email["text_version"], email["source"]) == (True, VERSION, "web")
    assert email["changed_at"] is not None
    assert await _gate(live, player.id, "email")
    assert not await _gate(live, player.id, "sms")

    # The same again changes nothing, and records nothing.
    again = await live.http.put("/v1/me/consents", json=grant, headers=player.headers)
    assert again.status_code == 200, again.text

    change = {
        "source": "app",
        "consents": [
            {"purpose": "marketing_email", "granted": False, "text_version": VERSION},
            {"purpose": "analytics", "granted": True, "text_version": VERSION},
        ],
    }
    response = await live.http.put("/v1/me/consents", json=change, headers=player.headers)
    assert response.status_code == 200, response.text
    shown = _by_purpose(response.json())
    assert (shown["marketing_email"]["granted"], shown["analytics"]["granted"]) == (False, True)
    assert not await _gate(live, player.id, "email")

    history = await sql(
        live.runtime,
        "SELECT purpose, granted, text_version, source FROM consent_records WHERE player_id = :p ORDER BY id",
        p=player.id,
    )
    assert [tuple(row) for row in history] == [
        ("marketing_email", True, VERSION, "web"),
        ("marketing_email", False, VERSION, "app"),
        ("analytics", True, VERSION, "app"),
    ]
    assert await events_of(live, player.id, "consent_changed") == [
        {"purpose": "marketing_email", "granted": True, "text_version": VERSION, "source": "web"},
        {"purpose": "marketing_email", "granted": False, "text_version": VERSION, "source": "app"},
        {"purpose": "analytics", "granted": True, "text_version": VERSION, "source": "app"},
    ]


async def test_a_refused_consent_change_writes_nothing(live: Live) -> None:
    player = await live.player()
    email = {"purpose": "marketing_email", "granted": True, "text_version": VERSION}
    refused = [
        (
            {"source": "web", "consents": [{**email, "text_version": "2001-01-01"}]},
            409,
            "consent_text_outdated",
        ),
        ({"source": "web", "consents": [email, {**email, "granted": False}]}, 422, "duplicate_purpose"),
        ({"source": "web", "consents": [{**email, "purpose": "telepathy"}]}, 422, "validation_error"),
        ({"source": "carrier pigeon", "consents": [email]}, 422, "validation_error"),
        ({"source": "web", "consents": []}, 422, "validation_error"),
        ({"source": "web", "consents": [{**email, "granted": "yes please"}]}, 422, "validation_error"),
    ]
    for body, status, code in refused:
        problem(await live.http.put("/v1/me/consents", json=body, headers=player.headers), status, code)
    # The valid grant in the duplicate request was not kept either.
    assert await sql(live.runtime, "SELECT id FROM consent_records WHERE player_id = :p", p=player.id) == []
    assert await events_of(live, player.id, "consent_changed") == []
    problem(await live.http.get("/v1/me/consents"), 401, "invalid_session")
