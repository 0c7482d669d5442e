"""Erasure by crypto-shredding (GDPR art. 17) with the AML legal hold: after it, a full database
dump holds nothing personal in any readable form, the books and the audit chain still verify,
and the erased player can neither sign in nor be found again through the email blind index."""

from __future__ import annotations

import asyncio
import base64
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pgserver
import pytest

from croupier.crypto.service import PersonalDataErased, player_cipher
from croupier.identity.players import email_key
from croupier.staff import service as staff
from croupier.staff.service import StaffRole
from tests.cli_support import acroupier, env_for, refused, succeeded
from tests.compliance.gdpr.support import events_of, player_with_history, problem, ready_export
from tests.factories import sign_in
from tests.identity.mfa_support import age_session
from tests.payments.support import Live
from tests.sql import sql

# KYC decisions stay too: they show the casino verified whom it let play and withdraw.
HELD = {"transactions", "rounds", "payments", "risk", "kyc", "events", "audit"}
STEP_UP = "/v1/sessions/current/step-up"


def _pg_dump() -> str:
    """The pg_dump pgserver ships (as new as the embedded server; dumps older servers too)."""
    shipped = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"
    found = str(shipped) if shipped.exists() else shutil.which("pg_dump")
    assert found, "no pg_dump"
    return found


async def _dump(live: Live) -> bytes:
    assert live.settings.database_url is not None
    url = live.settings.database_url.get_secret_value().replace("postgresql+psycopg://", "postgresql://", 1)
    process = await asyncio.create_subprocess_exec(
        _pg_dump(),
        "--no-owner",
        "--dbname",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert b"COPY public.players" in out  # the data is in it, not just the schema
    return out


def _readable_forms(value: str) -> list[bytes]:
    """The value as text, and as a dump shows bytes (hex in bytea) or an encoder would (base64)."""
    raw = value.encode()
    return [raw, raw.hex().encode(), base64.b64encode(raw), value.casefold().encode()]


async def _staff_key(live: Live, role: StaffRole, name: str) -> dict[str, str]:
    async with live.runtime.database.unit_of_work() as session:
        secret = await staff.issue(session, name=name, role=role, issued_by="tests")
    return {"Authorization": f"Bearer {secret}"}


async def test_after_an_erasure_nothing_personal_is_readable_and_the_books_and_chain_hold(live: Live) -> None:
    personal = {
        "first_name": "Zebulon",
        "last_name": "Quillfeather",
        "date_of_birth": "1971-03-29",
        "postcode": "ZE2 9QX",
    }
    player = await player_with_history(live, **personal)
    version = (await live.http.get("/v1/me/consents", headers=player.headers)).json()["items"][0]
    grant = {
        "source": "web",
        "consents": [
            {"purpose": version["purpose"], "granted": True, "text_version": version["current_text_version"]}
        ],
    }
    assert (await live.http.put("/v1/me/consents", json=grant, headers=player.headers)).status_code == 200
    await ready_export(live, player)  # a sealed archive waiting
    bystander = await player_with_history(live)

    out = succeeded(
        await acroupier("gdpr", "erase", player.id, "--reason", "written request", env=env_for(live.settings))
    )
    assert f"erased {player.id}" in out
    today = datetime.now(UTC).date()
    hold_end = today.replace(year=today.year + 5).isoformat()  # 5 years after the relationship ends
    assert f"legal hold until {hold_end}: transactions" in out

    # Staff see the same erasure, and the legal hold, again; only the compliance role may ask.
    body = {"player_id": player.id, "reason": "checking"}
    problem(
        await live.http.post(
            "/v1/staff/gdpr/erasures", json=body, headers=await _staff_key(live, StaffRole.PAYMENTS, "pat")
        ),
        403,
        "forbidden",
    )
    compliance = await _staff_key(live, StaffRole.COMPLIANCE, "cora")
    shown = await live.http.post("/v1/staff/gdpr/erasures", json=body, headers=compliance)
    assert shown.status_code == 200, shown.text
    answer = shown.json()
    assert answer["already_erased"] is True
    assert {h["records"] for h in answer["legal_hold"]} == HELD
    assert {h["until"] for h in answer["legal_hold"]} == {hold_end}
    assert answer["removed"]["data_key_destroyed"] is True
    assert answer["removed"]["consents_withdrawn"] == 1
    assert answer["removed"]["data_exports"] == 1
    problem(
        await live.http.post(
            "/v1/staff/gdpr/erasures", json={**body, "player_id": str(uuid.uuid4())}, headers=compliance
        ),
        404,
        "not_found",
    )

    # The event says that it happened, and nothing about whom.
    [erased] = await events_of(live, player.id, "erased")
    assert set(erased) == {"erasure_id", "requested_by", "hold_until"}
    assert erased["requested_by"] == "operator"

    # Crypto-shredding: the key is gone, so whatever was sealed under it stays unreadable anywhere.
    async with live.runtime.database.unit_of_work() as session:
        with pytest.raises(PersonalDataErased):
            await player_cipher(session, player_id=uuid.UUID(player.id))
    [(wrapped,)] = await sql(
        live.runtime, "SELECT wrapped FROM player_data_keys WHERE player_id = :p", p=player.id
    )
    assert wrapped is None

    dump = await _dump(live)
    for value in (player.email, *personal.values(), player.token):
        for form in _readable_forms(value):
            assert form not in dump, f"{value!r} is readable in the dump"
    # The bystander's data is still there (sealed): the scan looks where the data would be.
    assert b"COPY public.players" in dump
    assert bystander.email.encode() not in dump

    # The books and the audit chain are whole.
    assert "OK:" in succeeded(await acroupier("ledger", "check", env=env_for(live.settings)))
    succeeded(await acroupier("audit", "verify", env=env_for(live.settings)))

    # No way back in, and no way to find the person again.
    problem(await sign_in(live.http, player.email, player.password), 401, "invalid_credentials")
    problem(await live.http.get("/v1/me", headers=player.headers), 401, "invalid_session")
    async with live.runtime.database.unit_of_work() as session:
        index = email_key(session, player.email)
    assert await sql(live.runtime, "SELECT id FROM players WHERE email_index = :i", i=index) == []
    [(status, country, postcode)] = await sql(
        live.runtime, "SELECT status, country, postcode_enc FROM players WHERE id = :p", p=player.id
    )
    assert (status, country, postcode) == ("erased", "MT", None)
    # What the AML law keeps is still there, under the pseudonymous id.
    [(rounds,)] = await sql(
        live.runtime, "SELECT count(*) FROM game_rounds WHERE player_id = :p", p=player.id
    )
    [(deposits,)] = await sql(live.runtime, "SELECT count(*) FROM deposits WHERE player_id = :p", p=player.id)
    assert (rounds, deposits) == (1, 1)


async def test_a_player_erases_their_own_account_after_a_step_up_and_with_no_money_left(live: Live) -> None:
    funded = await player_with_history(live)
    problem(
        await live.http.post("/v1/me/erasure", json={"confirm": True}, headers=funded.headers),
        409,
        "balance_outstanding",
    )
    assert await sql(live.runtime, "SELECT id FROM erasures WHERE player_id = :p", p=funded.id) == []

    player = await live.player()
    problem(
        await live.http.post("/v1/me/erasure", json={"confirm": False}, headers=player.headers),
        422,
        "validation_error",
    )
    await age_session(live.runtime, player, minutes=60)
    problem(
        await live.http.post("/v1/me/erasure", json={"confirm": True}, headers=player.headers),
        403,
        "step_up_required",
    )
    assert await sql(live.runtime, "SELECT id FROM erasures WHERE player_id = :p", p=player.id) == []

    stepped = await live.http.post(STEP_UP, json={"password": player.password}, headers=player.headers)
    assert stepped.status_code == 200, stepped.text
    response = await live.http.post("/v1/me/erasure", json={"confirm": True}, headers=player.headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["player_id"], answer["already_erased"]) == (player.id, False)
    assert {h["records"] for h in answer["legal_hold"]} == HELD
    assert all(h["basis"].startswith("AML directive") for h in answer["legal_hold"])
    assert [e["requested_by"] for e in await events_of(live, player.id, "erased")] == ["player"]

    problem(await live.http.get("/v1/me", headers=player.headers), 401, "invalid_session")
    refused(await acroupier("players", "enable", player.id, env=env_for(live.settings)), "erased")
