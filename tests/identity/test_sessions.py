from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from croupier.identity.models import PlayerSession
from croupier.identity.tokens import digest
from croupier.kit.runtime import Runtime
from tests.factories import SignedIn, sign_in, signed_in_player
from tests.sql import sql
from tests.wallet.support import deposit


async def _shift_session(runtime: Runtime, token: str, **deltas: timedelta) -> None:
    """Move a session's clocks into the past, as if time had passed."""
    async with runtime.database.unit_of_work() as session:
        row = await session.scalar(select(PlayerSession).where(PlayerSession.token_hash == digest(token)))
        assert row is not None
        values = {field: getattr(row, field) - delta for field, delta in deltas.items()}
        await session.execute(update(PlayerSession).where(PlayerSession.id == row.id).values(**values))


class TestSessionTokens:
    async def test_only_a_hash_of_the_token_is_stored(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        async with runtime.database.unit_of_work() as session:
            rows = (await session.scalars(select(PlayerSession))).all()
        assert [row.token_hash for row in rows] == [digest(player.token)]
        assert all(player.token.encode() not in row.token_hash for row in rows)

    async def test_a_missing_or_malformed_token_is_refused(self, client: httpx.AsyncClient) -> None:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
            response = await client.get("/v1/me", headers=headers)
            assert response.status_code == 401
            assert response.json()["code"] in {"invalid_session", "unauthenticated"}

    async def test_signing_out_ends_the_session(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        assert (await client.delete("/v1/sessions/current", headers=player.headers)).status_code == 204
        response = await client.get("/v1/me", headers=player.headers)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_session"


class TestSessionTimeouts:
    async def test_an_idle_session_expires(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        idle = timedelta(minutes=runtime.settings.session_idle_minutes, seconds=1)
        await _shift_session(runtime, player.token, last_seen_at=idle)
        response = await client.get("/v1/me", headers=player.headers)
        assert response.status_code == 401
        assert "inactivity" in response.json()["detail"]

    async def test_activity_keeps_a_session_alive(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        almost_idle = timedelta(minutes=runtime.settings.session_idle_minutes - 1)
        await _shift_session(runtime, player.token, last_seen_at=almost_idle)
        assert (await client.get("/v1/me", headers=player.headers)).status_code == 200
        await _shift_session(runtime, player.token, last_seen_at=timedelta(minutes=2))
        assert (await client.get("/v1/me", headers=player.headers)).status_code == 200

    async def test_a_session_ends_at_its_absolute_lifetime(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        lifetime = timedelta(hours=runtime.settings.session_absolute_hours, seconds=1)
        await _shift_session(runtime, player.token, expires_at=lifetime)
        response = await client.get("/v1/me", headers=player.headers)
        assert response.status_code == 401
        assert "maximum lifetime" in response.json()["detail"]


class TestManagingSessions:
    async def test_lists_my_sessions_and_marks_the_current_one(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        other = await sign_in(client, player.email, headers={"User-Agent": "phone"})
        assert other.status_code == 201
        listed = (await client.get("/v1/sessions", headers=player.headers)).json()
        assert len(listed) == 2
        assert [s["current"] for s in listed].count(True) == 1
        assert {s["id"] for s in listed} >= {other.json()["session_id"]}

    async def test_revoking_another_of_my_sessions(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        other = (await sign_in(client, player.email)).json()
        revoked = await client.delete(f"/v1/sessions/{other['session_id']}", headers=player.headers)
        assert revoked.status_code == 204
        gone = await client.get("/v1/me", headers={"Authorization": f"Bearer {other['token']}"})
        assert gone.status_code == 401
        assert (await client.get("/v1/me", headers=player.headers)).status_code == 200

    async def test_another_players_session_is_not_found(self, client: httpx.AsyncClient) -> None:
        alice = await signed_in_player(client)
        bob = await sign_in(client, (await signed_in_player(client)).email)
        response = await client.delete(f"/v1/sessions/{bob.json()['session_id']}", headers=alice.headers)
        assert response.status_code == 404
        still = await client.get("/v1/me", headers={"Authorization": f"Bearer {bob.json()['token']}"})
        assert still.status_code == 200


async def _bet(client: httpx.AsyncClient, player: SignedIn) -> httpx.Response:
    """A dice bet: its route reads the session in one plain statement (``authenticate_principal``)."""
    headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
    body = {"currency": "EUR", "stake": 100, "target": 49.5, "direction": "under"}
    return await client.post("/v1/games/dice/rounds", json=body, headers=headers)


async def _funded(client: httpx.AsyncClient, runtime: Runtime) -> SignedIn:
    player = await signed_in_player(client)
    await deposit(runtime, uuid.UUID(player.id), 10_000, "EUR")
    return player


class TestBetsAuthenticateAlike:
    """The routes every bet takes read the session their own way; the rules are those of every route."""

    async def test_an_idle_session_cannot_bet(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await _funded(client, runtime)
        idle = timedelta(minutes=runtime.settings.session_idle_minutes, seconds=1)
        await _shift_session(runtime, player.token, last_seen_at=idle)
        response = await _bet(client, player)
        assert (response.status_code, response.json()["code"]) == (401, "invalid_session")
        assert "inactivity" in response.json()["detail"]

    async def test_a_session_past_its_lifetime_cannot_bet(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await _funded(client, runtime)
        lifetime = timedelta(hours=runtime.settings.session_absolute_hours, seconds=1)
        await _shift_session(runtime, player.token, expires_at=lifetime)
        response = await _bet(client, player)
        assert (response.status_code, response.json()["code"]) == (401, "invalid_session")
        assert "maximum lifetime" in response.json()["detail"]

    async def test_a_signed_out_session_cannot_bet(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await _funded(client, runtime)
        assert (await client.delete("/v1/sessions/current", headers=player.headers)).status_code == 204
        response = await _bet(client, player)
        assert (response.status_code, response.json()["code"]) == (401, "invalid_session")

    async def test_a_player_no_longer_active_cannot_bet_on_a_session_left_open(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await _funded(client, runtime)
        assert (await _bet(client, player)).status_code == 201
        await sql(runtime, "UPDATE players SET status = 'disabled' WHERE id = :id", id=uuid.UUID(player.id))
        response = await _bet(client, player)
        assert (response.status_code, response.json()["code"]) == (401, "invalid_session")
        assert (await client.get("/v1/me", headers=player.headers)).status_code == 401

    async def test_betting_keeps_a_session_alive(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await _funded(client, runtime)
        almost_idle = timedelta(minutes=runtime.settings.session_idle_minutes - 1)
        await _shift_session(runtime, player.token, last_seen_at=almost_idle)
        assert (await _bet(client, player)).status_code == 201
        # Idle by now unless the bet refreshed last_seen_at.
        await _shift_session(runtime, player.token, last_seen_at=timedelta(minutes=2))
        assert (await client.get("/v1/me", headers=player.headers)).status_code == 200
