"""The partner reporting API: aggregates for OAuth clients, each report behind its own scope.

A token without the report's scope is 403 ``insufficient_scope``, a missing, unknown,
expired or revoked one 401, each with RFC 6750's ``WWW-Authenticate`` challenge beside the
problem document; revoking the client kills its tokens at once. Reports hold counts and
sums per gaming day, nothing about any one player, and every read is audited.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from authlib.integrations.base_client import OAuthError
from sqlalchemy import select

from croupier.audit.models import AuditEvent
from croupier.audit.tags import AuditAction
from tests.backoffice.oauth.support import Server, bearer
from tests.factories import register, signed_in_player
from tests.wallet.support import deposit

GGR = "/v1/partners/reports/ggr?from=2026-12-01&to=2026-12-03"
PLAYERS = "/v1/partners/reports/players?from=2026-12-01&to=2026-12-03"


async def _actions(server: Server, client_id: str, action: AuditAction) -> list[AuditEvent]:
    async with server.runtime.database.unit_of_work() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.actor_id == client_id, AuditEvent.action == str(action)
                    )
                )
            ).all()
        )


class TestAccess:
    async def test_without_a_token_it_is_401_with_a_bearer_challenge(self, server: Server) -> None:
        response = await server.http.get(GGR)

        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == 'Bearer realm="croupier"'

    @pytest.mark.parametrize(
        "token", ["cra_not-a-token-croupier-issued-xxxxxxxx", "crk_a-staff-key", "garbage"]
    )
    async def test_a_token_croupier_did_not_issue_is_invalid_token(self, server: Server, token: str) -> None:
        response = await server.http.get(GGR, headers=bearer(token))

        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    async def test_a_token_without_the_reports_scope_is_403_insufficient_scope_and_audited(
        self, server: Server
    ) -> None:
        client = await server.secret_client("reports:players")
        token = await server.token(client)

        response = await server.http.get(GGR, headers=bearer(token))

        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "insufficient_scope"
        assert response.json()["scope"] == "reports:ggr"
        challenge = response.headers["www-authenticate"]
        assert 'error="insufficient_scope"' in challenge
        assert 'scope="reports:ggr"' in challenge
        denied = await _actions(server, client.client_id, AuditAction.OAUTH_TOKEN_DENY)
        assert [(d.outcome, d.target_id) for d in denied] == [("denied", "GET /v1/partners/reports/ggr")]

    async def test_revoking_the_client_kills_its_tokens_and_its_credentials(self, server: Server) -> None:
        client = await server.secret_client("reports:ggr")
        token = await server.token(client)
        admin = await server.staff_key("admin")
        assert (await server.http.get(GGR, headers=bearer(token))).status_code == 200

        revoked = await server.http.delete(f"/v1/staff/oauth/clients/{client.client_id}", headers=admin)

        assert revoked.status_code == 204
        assert (await server.http.get(GGR, headers=bearer(token))).status_code == 401
        with pytest.raises(OAuthError) as refused:
            await server.token(client)
        assert refused.value.error == "invalid_client"

    async def test_a_period_that_is_not_a_range_of_days_is_a_problem_not_a_500(self, server: Server) -> None:
        token = await server.token(await server.secret_client("reports:ggr"))

        backwards = await server.http.get(
            "/v1/partners/reports/ggr?from=2026-12-03&to=2026-12-01", headers=bearer(token)
        )
        not_a_date = await server.http.get(
            "/v1/partners/reports/ggr?from=yesterday&to=2026-12-01", headers=bearer(token)
        )

        assert (backwards.status_code, backwards.json()["code"]) == (422, "invalid_report_period")
        assert (not_a_date.status_code, not_a_date.json()["code"]) == (422, "validation_error")


class TestReports:
    async def test_the_players_report_counts_new_players_per_day_and_names_nobody(
        self, server: Server
    ) -> None:
        today = datetime.now(UTC).date()
        token = await server.token(await server.secret_client("reports:players"))
        first, last = today - timedelta(days=1), today + timedelta(days=1)
        url = f"/v1/partners/reports/players?from={first}&to={last}"
        before = sum(
            day["new_players"] for day in (await server.http.get(url, headers=bearer(token))).json()["days"]
        )
        player_id, data = await register(server.http, runtime=server.runtime)

        response = await server.http.get(url, headers=bearer(token))

        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["from"], report["to"]) == (str(first), str(last))
        assert [day["gaming_day"] for day in report["days"]] == [str(first), str(today), str(last)]
        assert sum(day["new_players"] for day in report["days"]) == before + 1
        assert all(set(day) == {"gaming_day", "new_players", "active_players"} for day in report["days"])
        assert player_id not in response.text
        assert data["email"] not in response.text

    async def test_the_ggr_report_is_the_regulator_reports_totals_per_day_and_currency(
        self, server: Server
    ) -> None:
        player = await signed_in_player(server.http, runtime=server.runtime)
        await deposit(server.runtime, uuid.UUID(player.id), 10_000, "EUR")
        for _ in range(5):
            played = await server.http.post(
                "/v1/games/dice/rounds",
                json={"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"},
                headers={**player.headers, "Idempotency-Key": str(uuid.uuid4())},
            )
            assert played.status_code == 201, played.text
        token = await server.token(await server.secret_client("reports:ggr"))
        staff = await server.staff_key("compliance")
        today = datetime.now(UTC).date()
        period = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"

        partner = await server.http.get(f"/v1/partners/reports/ggr?{period}", headers=bearer(token))
        regulator = await server.http.get(f"/v1/staff/reports/ggr?{period}", headers=staff)

        assert partner.status_code == regulator.status_code == 200
        days = partner.json()["days"]
        assert sum(d["stakes"] for d in days) == 500
        assert all(d["ggr"] == d["stakes"] - d["wins"] - d["refunds"] for d in days)
        totals: dict[tuple[str, str], int] = {}
        for row in regulator.json():
            key = (row["gaming_day"], row["currency"])
            totals[key] = totals.get(key, 0) + row["ggr"]
        assert {(d["gaming_day"], d["currency"]): d["ggr"] for d in days} == totals
        assert all(set(d) == {"gaming_day", "currency", "stakes", "wins", "refunds", "ggr"} for d in days)

    async def test_every_read_is_audited_under_the_client(self, server: Server) -> None:
        client = await server.secret_client("reports:ggr", "reports:players")
        token = await server.token(client)

        await server.http.get(GGR, headers=bearer(token))
        await server.http.get(PLAYERS, headers=bearer(token))

        reads = await _actions(server, client.client_id, AuditAction.PARTNERS_REPORT_READ)
        assert [(r.actor_type, r.target_id, r.details["from"]) for r in reads] == [
            ("client", "ggr", "2026-12-01"),
            ("client", "players", "2026-12-01"),
        ]
