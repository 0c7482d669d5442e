from __future__ import annotations

import getpass
import uuid

import httpx
import pytest

from croupier.audit.service import Actor
from croupier.identity.account import service as account
from croupier.identity.cli import app
from croupier.kit.client import ClientInfo
from croupier.kit.errors import NotFound
from croupier.kit.runtime import Runtime
from tests.factories import sign_in, signed_in_player
from tests.mail.helpers import invoke
from tests.sql import sql

OPERATOR = Actor.operator("test-operator")


async def disable(runtime: Runtime, player_id: str, reason: str = "chargeback fraud") -> account.StatusChange:
    async with runtime.database.unit_of_work() as session:
        return await account.disable(
            session,
            player_id=uuid.UUID(player_id),
            reason=reason,
            actor=OPERATOR,
            client=ClientInfo.command_line(),
        )


async def enable(runtime: Runtime, player_id: str) -> account.StatusChange:
    async with runtime.database.unit_of_work() as session:
        return await account.enable(
            session, player_id=uuid.UUID(player_id), actor=OPERATOR, client=ClientInfo.command_line()
        )


class TestDisabling:
    async def test_ends_every_session_and_stops_sign_in(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await sign_in(client, player.email)
        result = await disable(runtime, player.id)
        assert (result.changed, result.sessions_ended) == (True, 2)

        assert (await client.get("/v1/me", headers=player.headers)).status_code == 401
        refused = await sign_in(client, player.email)
        assert refused.status_code == 403
        assert refused.json()["code"] == "account_disabled"
        [(actor_type, actor_id, details)] = await sql(
            runtime,
            "SELECT actor_type, actor_id, details FROM audit_events WHERE action = 'identity:player:disable'",
        )
        assert (actor_type, actor_id) == ("operator", "test-operator")
        assert details == {"reason": "chargeback fraud", "sessions_ended": 2}

    async def test_retires_outstanding_reset_links(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        await client.post("/v1/password-resets", json={"email": player.email})
        await disable(runtime, player.id)
        assert await sql(runtime, "SELECT id FROM password_resets WHERE used_at IS NULL") == []

    async def test_disabling_twice_changes_nothing_more(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await disable(runtime, player.id)
        assert (await disable(runtime, player.id)).changed is False
        rows = await sql(runtime, "SELECT seq FROM audit_events WHERE action = 'identity:player:disable'")
        assert len(rows) == 1

    async def test_enabling_lets_the_player_back_in(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await disable(runtime, player.id)
        assert (await enable(runtime, player.id)).changed is True
        assert (await sign_in(client, player.email)).status_code == 201
        # The sessions ended by the disablement stay ended.
        assert (await client.get("/v1/me", headers=player.headers)).status_code == 401

    async def test_an_unknown_player_is_not_found(self, runtime: Runtime) -> None:
        with pytest.raises(NotFound):
            await disable(runtime, str(uuid.uuid4()))


class TestPlayersCommands:
    async def test_disable_show_enable(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)

        disabled = await invoke(app, ["disable", player.id, "--reason", "asked to close"], runtime.settings)
        assert disabled.exit_code == 0, disabled.output
        assert disabled.stdout.strip() == f"player {player.id} disabled; 1 session(s) ended"
        assert (await client.get("/v1/me", headers=player.headers)).status_code == 401
        [(actor_id,)] = await sql(
            runtime, "SELECT actor_id FROM audit_events WHERE action = 'identity:player:disable'"
        )
        assert actor_id == getpass.getuser()[:64]

        shown = await invoke(app, ["show", player.id], runtime.settings)
        assert shown.exit_code == 0, shown.output
        assert "status:            disabled" in shown.stdout
        assert "active sessions:   0" in shown.stdout
        assert player.email not in shown.stdout  # no personal data on an operator's terminal

        enabled = await invoke(app, ["enable", player.id], runtime.settings)
        assert enabled.exit_code == 0, enabled.output
        assert "enabled" in enabled.stdout
        assert (await sign_in(client, player.email)).status_code == 201

    async def test_refuses_unknown_and_malformed_ids(self, runtime: Runtime) -> None:
        unknown = await invoke(app, ["show", str(uuid.uuid4())], runtime.settings)
        assert unknown.exit_code == 1
        assert "No such player" in unknown.stderr
        malformed = await invoke(app, ["disable", "not-a-uuid", "--reason", "x"], runtime.settings)
        assert malformed.exit_code == 2

    async def test_disable_needs_a_reason(self, runtime: Runtime) -> None:
        result = await invoke(app, ["disable", str(uuid.uuid4())], runtime.settings)
        assert result.exit_code == 2
