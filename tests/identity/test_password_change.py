from __future__ import annotations

import httpx

from croupier.kit.runtime import Runtime
from tests.factories import sign_in, signed_in_player
from tests.mail.helpers import deliver, mails
from tests.sql import sql

NEW_PASSWORD = "a much longer passphrase, freshly minted"


async def change(
    client: httpx.AsyncClient, headers: dict[str, str], current: str, new: str
) -> httpx.Response:
    return await client.post(
        "/v1/me/password", json={"current_password": current, "new_password": new}, headers=headers
    )


class TestChangingThePassword:
    async def test_ends_every_session_including_the_current_one(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        other = (await sign_in(client, player.email)).json()["token"]

        response = await change(client, player.headers, player.password, NEW_PASSWORD)
        assert response.status_code == 204, response.text

        for token in (player.token, other):
            ended = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert ended.status_code == 401
        fresh = (await sign_in(client, player.email, NEW_PASSWORD)).json()["token"]
        assert (await client.get("/v1/me", headers={"Authorization": f"Bearer {fresh}"})).status_code == 200
        [(changed_at, created_at)] = await sql(
            runtime, "SELECT password_changed_at, created_at FROM players WHERE id = :id", id=player.id
        )
        assert changed_at > created_at

    async def test_the_old_password_stops_working(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        assert (await change(client, player.headers, player.password, NEW_PASSWORD)).status_code == 204
        assert (await sign_in(client, player.email, player.password)).status_code == 401
        assert (await sign_in(client, player.email, NEW_PASSWORD)).status_code == 201

    async def test_the_player_is_told_by_mail(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        assert (await change(client, player.headers, player.password, NEW_PASSWORD)).status_code == 204
        await deliver(runtime)
        [notice] = mails(runtime.settings, to=player.email, template="password_changed")
        assert "was changed on" in notice.body
        [(outcome, details)] = await sql(
            runtime,
            "SELECT outcome, details FROM audit_events WHERE action = 'identity:password:change'",
        )
        assert outcome == "success"
        assert details == {"sessions_ended": 1}


class TestRefusals:
    async def test_a_wrong_current_password_is_refused_and_audited(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        response = await change(client, player.headers, "not my password at all", NEW_PASSWORD)
        assert response.status_code == 403
        assert response.json()["code"] == "wrong_password"
        assert (await sign_in(client, player.email, player.password)).status_code == 201
        [(outcome, details)] = await sql(
            runtime,
            "SELECT outcome, details FROM audit_events WHERE action = 'identity:password:change'",
        )
        assert (outcome, details) == ("failure", {"reason": "wrong_password"})

    async def test_wrong_current_passwords_count_toward_the_lockout(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        threshold = runtime.settings.lockout_threshold
        for _ in range(threshold):
            response = await change(client, player.headers, "not my password at all", NEW_PASSWORD)
            assert response.json()["code"] == "wrong_password"

        # Locked like a run of wrong passwords at sign-in: even the right one is refused now.
        locked = await sign_in(client, player.email, player.password)
        assert locked.status_code == 423
        assert locked.json()["code"] == "account_locked"
        again = await change(client, player.headers, player.password, NEW_PASSWORD)
        assert again.status_code == 423
        assert again.json()["code"] == "account_locked"
        [(locks,)] = await sql(
            runtime, "SELECT count(*) FROM audit_events WHERE action = 'identity:account:lock'"
        )
        assert locks == 1
        failures = await sql(
            runtime,
            "SELECT outcome FROM audit_events WHERE action = 'identity:password:change' ORDER BY seq",
        )
        assert [row[0] for row in failures] == ["failure"] * threshold + ["denied"]

    async def test_the_new_password_must_pass_the_policy(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)
        response = await change(client, player.headers, player.password, "password1")
        assert response.status_code == 422
        assert response.json()["code"] == "weak_password"
        assert (await sign_in(client, player.email, player.password)).status_code == 201

    async def test_needs_a_recent_step_up(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await signed_in_player(client)
        await sql(
            runtime,
            "UPDATE player_sessions SET authenticated_at = now() - interval '1 hour' WHERE player_id = :id",
            id=player.id,
        )
        response = await change(client, player.headers, player.password, NEW_PASSWORD)
        assert response.status_code == 403
        assert response.json()["code"] == "step_up_required"

    async def test_needs_a_session(self, client: httpx.AsyncClient) -> None:
        response = await change(client, {}, "whatever it is", NEW_PASSWORD)
        assert response.status_code == 401
