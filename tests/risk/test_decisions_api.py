"""decide() through the real HTTP API: allow, review (proceeds, an alert opens), deny (403
``risk_denied``, no internal detail), shadow rules that never act, and the fallback when the
engine runs out of time (fail open or closed per action, audited)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from croupier.kit.settings import RISK_ACTIONS
from croupier.risk.rules import Action
from tests.conftest import make_settings
from tests.payments.support import Live, live_settings, serve
from tests.psp_sandbox import PspSandbox
from tests.risk.engine_support import alerts, publish_rules, rule, staff_headers
from tests.sql import sql

Decided = tuple[str, list[str], list[str], str | None]


async def _decisions(live: Live, action: str) -> list[Decided]:
    rows = await sql(
        live.runtime,
        "SELECT decision, reasons, shadow, fallback FROM risk_decisions"
        " WHERE action = :a ORDER BY created_at",
        a=action,
    )
    return [(r.decision, r.reasons, r.shadow, r.fallback) for r in rows]


class TestInlineDecisions:
    async def test_a_deny_rule_refuses_a_deposit_with_403_and_a_stable_code_and_keeps_the_decision(
        self, live: Live
    ) -> None:
        headers = await staff_headers(live.runtime)
        await publish_rules(
            live.http,
            live.runtime,
            headers,
            rule(
                "huge_deposit", "amount >= limit", "decide:deposit", params={"limit": 50_000}, action="deny"
            ),
        )
        player = await live.player()

        refused = await live.deposit(player, 60_000)
        allowed = await live.deposit(player, 1_000)

        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["code"] == "risk_denied"
        assert "huge_deposit" not in refused.text
        assert "limit" not in problem["detail"]
        assert allowed.status_code == 201, allowed.text
        assert await live.wallet(player) == {"available": 1_000, "held": 0}
        # The refusal is kept with its reason; an allow that nothing matched has none to keep.
        assert await _decisions(live, "deposit") == [("deny", ["rule:huge_deposit@2:other"], [], None)]
        [(audited,)] = await sql(
            live.runtime, "SELECT count(*) FROM audit_events WHERE action = 'risk:decision:decide'"
        )
        assert audited == 1

    async def test_a_review_rule_lets_the_withdrawal_proceed_and_opens_an_alert(self, live: Live) -> None:
        headers = await staff_headers(live.runtime)
        await publish_rules(
            live.http,
            live.runtime,
            headers,
            rule(
                "any_withdrawal",
                "amount > 0",
                "decide:withdrawal",
                typology="minimal_play",
                action="review",
                score=0.4,
            ),
        )
        player, method_id = await live.funded(5_000)

        response = await live.withdraw(player, 1_000, method_id)

        assert response.status_code == 201, response.text
        [alert] = await alerts(live.runtime, player.id)
        assert (alert.typology, alert.source, alert.score) == ("minimal_play", "rule:any_withdrawal@2", 0.4)
        assert [d[0] for d in await _decisions(live, "withdrawal")] == ["review"]

    async def test_a_shadow_rule_is_scored_and_recorded_but_never_acts(self, live: Live) -> None:
        headers = await staff_headers(live.runtime)
        await publish_rules(
            live.http,
            live.runtime,
            headers,
            rule("would_deny", "amount > 0", "decide:deposit", action="deny", mode="shadow"),
        )
        player = await live.player()

        response = await live.deposit(player, 2_000)

        assert response.status_code == 201, response.text
        assert await _decisions(live, "deposit") == [("allow", [], ["rule:would_deny@2:other"], None)]
        assert await alerts(live.runtime, player.id) == []

    async def test_a_deny_rule_on_sign_in_refuses_the_session(self, live: Live) -> None:
        player = await live.player()
        headers = await staff_headers(live.runtime)
        await publish_rules(
            live.http, live.runtime, headers, rule("no_entry", "true", "decide:sign_in", action="deny")
        )

        response = await live.http.post(
            "/v1/sessions", json={"email": player.email, "password": player.password}
        )

        assert response.status_code == 403, response.text
        assert response.json()["code"] == "risk_denied"


@pytest.fixture
async def starved(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox
) -> AsyncIterator[Live]:
    """A Croupier whose engine never answers in time; withdrawals fail closed, deposits open."""
    settings = live_settings(
        database_url,
        keyring_json,
        tmp_path,
        psp,
        risk_timeout_ms=0.001,
        risk_fail_closed_actions="withdrawal, bet",
    )
    async for runtime, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield Live(http=http, runtime=runtime, psp=psp, base_url=base_url)


class TestWhenTheEngineRunsOutOfTime:
    async def test_a_fail_open_action_proceeds_and_a_fail_closed_one_is_refused_both_audited(
        self, starved: Live
    ) -> None:
        player, method_id = await starved.funded(5_000)  # the deposit fails open

        refused = await starved.withdraw(player, 1_000, method_id)

        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "risk_unavailable"
        assert await starved.wallet(player) == {"available": 5_000, "held": 0}
        assert await _decisions(starved, "deposit") == [("allow", ["fallback:timeout"], [], "timeout")]
        assert await _decisions(starved, "withdrawal") == [("deny", ["fallback:timeout"], [], "timeout")]
        rows = await sql(
            starved.runtime,
            "SELECT details FROM audit_events WHERE action = 'risk:decision:fallback' ORDER BY seq",
        )
        decided = [(r.details["action"], r.details["decision"], r.details["why"]) for r in rows]
        assert ("deposit", "allow", "timeout") in decided
        assert decided[-1] == ("withdrawal", "deny", "timeout")


def test_the_settings_know_every_action_decide_answers_for() -> None:
    assert RISK_ACTIONS == Action.ALL


def test_a_misspelt_fail_closed_action_is_refused_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="withdrawl"):
        make_settings("postgresql://unused/x", "{}", tmp_path, risk_fail_closed_actions="deposit,withdrawl")
