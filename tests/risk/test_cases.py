"""The risk desk's cases through the staff API: alerts group into one open case per
player, which moves open → in review → escalated → closed with a disposition, every
change on its timeline, every read audited."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from croupier.kit.runtime import Runtime
from croupier.risk.typologies import Typology
from croupier.staff.service import StaffRole
from tests.risk.support import alert, event, staff_key
from tests.sql import sql
from tests.wallet.support import make_player

BASE = "/v1/staff/risk"


async def _case(client: httpx.AsyncClient, desk: dict[str, str], case_id: str) -> dict[str, Any]:
    response = await client.get(f"{BASE}/cases/{case_id}", headers=desk)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _case_of(runtime: Runtime, alert_id: uuid.UUID | None) -> str:
    [(case_id,)] = await sql(runtime, "SELECT case_id FROM risk_alerts WHERE id = :id", id=alert_id)
    return str(case_id)


class TestAlertsGroupIntoCases:
    async def test_alerts_about_one_player_collect_in_one_open_case(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        player = await make_player(runtime)
        first = await alert(runtime, player, typology=Typology.VELOCITY)
        second = await alert(runtime, player, typology=Typology.STRUCTURING, source="rule:structuring@2")
        other = await alert(runtime, await make_player(runtime))

        case_id = await _case_of(runtime, first)
        assert await _case_of(runtime, second) == case_id
        assert await _case_of(runtime, other) != case_id
        case = await _case(client, desk, case_id)
        assert case["case"]["status"] == "open"
        assert case["case"]["alert_count"] == 2
        assert [a["id"] for a in case["alerts"]] == [str(first), str(second)]

    async def test_a_redelivered_alert_changes_no_case(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        player = await make_player(runtime)
        first = await alert(runtime, player, dedupe_key="rule:x@1:7")
        again = await alert(runtime, player, dedupe_key="rule:x@1:7")

        assert again is None
        case = await _case(client, desk, await _case_of(runtime, first))
        assert case["case"]["alert_count"] == 1
        assert [e["action"] for e in case["timeline"]] == ["opened", "alert_added"]

    async def test_after_a_case_is_closed_the_next_alert_opens_a_new_one(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        player = await make_player(runtime)
        first_case = await _case_of(runtime, await alert(runtime, player))
        closed = await client.post(
            f"{BASE}/cases/{first_case}/close",
            json={"disposition": "false_positive", "reason": "a regular's payday deposits"},
            headers=desk,
        )
        assert closed.status_code == 200, closed.text

        second_case = await _case_of(runtime, await alert(runtime, player))

        assert second_case != first_case
        assert (await _case(client, desk, second_case))["case"]["status"] == "open"

    async def test_alerts_raised_at_once_for_one_player_still_share_one_case(self, runtime: Runtime) -> None:
        player = await make_player(runtime)

        ids = await asyncio.gather(*(alert(runtime, player) for _ in range(6)))

        assert len({await _case_of(runtime, alert_id) for alert_id in ids}) == 1
        [(open_cases,)] = await sql(
            runtime, "SELECT count(*) FROM risk_cases WHERE player_id = :p AND status <> 'closed'", p=player
        )
        assert open_cases == 1


class TestAnAlertCarriesItsEvidence:
    async def test_each_alert_shows_typology_player_score_reasons_and_the_events_behind_it(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        player = await make_player(runtime)
        deposits = [await event(runtime, player, amount=190_000, currency="EUR") for _ in range(2)]
        raised = await alert(
            runtime,
            player,
            typology=Typology.STRUCTURING,
            source="rule:structuring@2",
            score=0.9,
            reasons=["deposits_just_below_threshold"],
            event_ids=deposits,
        )

        [shown] = (await _case(client, desk, await _case_of(runtime, raised)))["alerts"]

        assert shown["typology"] == "structuring"
        assert shown["player_id"] == str(player)
        assert shown["score"] == 0.9
        assert shown["reasons"] == ["deposits_just_below_threshold"]
        assert [(e["id"], e["kind"], e["data"]) for e in shown["events"]] == [
            (i, "deposit_confirmed", {"amount": 190_000, "currency": "EUR"}) for i in deposits
        ]
        assert all(e["occurred_at"] for e in shown["events"])


class TestCaseLifecycle:
    async def test_a_case_moves_open_review_escalated_closed_and_the_timeline_says_who_did_what(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        raised = await alert(runtime, await make_player(runtime))
        case_id = await _case_of(runtime, raised)
        path = f"{BASE}/cases/{case_id}"

        steps = [
            (f"{path}/assign", {"assignee": "bob"}),
            (f"{path}/review", {}),
            (f"{path}/notes", {"text": "three cards in an hour"}),
            (f"{path}/escalate", {"reason": "pattern matches card testing"}),
            (f"{path}/close", {"disposition": "confirmed_fraud", "reason": "cards reported stolen"}),
        ]
        for url, body in steps:
            response = await client.post(url, json=body, headers=desk)
            assert response.status_code in {200, 201}, response.text

        case = await _case(client, desk, case_id)
        assert {k: case["case"][k] for k in ("status", "assignee", "disposition", "disposition_reason")} == {
            "status": "closed",
            "assignee": "bob",
            "disposition": "confirmed_fraud",
            "disposition_reason": "cards reported stolen",
        }
        assert case["case"]["closed_at"] is not None
        timeline = [(e["action"], e["actor"], e["details"]) for e in case["timeline"]]
        assert timeline == [
            ("opened", "system:rule:deposit_velocity@1", {}),
            (
                "alert_added",
                "system:rule:deposit_velocity@1",
                {"alert_id": str(raised), "typology": "velocity", "source": "rule:deposit_velocity@1"},
            ),
            ("assigned", "staff:alice", {"assignee": "bob"}),
            ("moved", "staff:alice", {"from": "open", "to": "in_review"}),
            ("note", "staff:alice", {"text": "three cards in an hour"}),
            (
                "moved",
                "staff:alice",
                {"from": "in_review", "to": "escalated", "reason": "pattern matches card testing"},
            ),
            (
                "closed",
                "staff:alice",
                {"from": "escalated", "disposition": "confirmed_fraud", "reason": "cards reported stolen"},
            ),
        ]
        times = [e["at"] for e in case["timeline"]]
        assert times == sorted(times)
        assert [n["details"]["text"] for n in case["notes"]] == ["three cards in an hour"]

    async def test_a_case_closes_straight_from_open_as_a_false_positive(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        case_id = await _case_of(runtime, await alert(runtime, await make_player(runtime)))

        response = await client.post(
            f"{BASE}/cases/{case_id}/close",
            json={"disposition": "false_positive", "reason": "known"},
            headers=desk,
        )

        assert response.status_code == 200, response.text
        assert response.json()["case"]["disposition"] == "false_positive"

    async def test_a_case_cannot_go_back_from_escalated_to_review(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        case_id = await _case_of(runtime, await alert(runtime, await make_player(runtime)))
        assert (
            await client.post(f"{BASE}/cases/{case_id}/escalate", json={}, headers=desk)
        ).status_code == 200

        response = await client.post(f"{BASE}/cases/{case_id}/review", json={}, headers=desk)

        assert response.status_code == 409
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "case_transition_not_allowed"
        assert (await _case(client, desk, case_id))["case"]["status"] == "escalated"

    @pytest.mark.parametrize(
        ("url", "body"),
        [
            ("notes", {"text": "late thought"}),
            ("assign", {"assignee": "bob"}),
            ("review", {}),
            ("close", {"disposition": "confirmed_fraud", "reason": "again"}),
        ],
    )
    async def test_a_closed_case_is_final(
        self, runtime: Runtime, client: httpx.AsyncClient, url: str, body: dict[str, Any]
    ) -> None:
        desk = await staff_key(runtime)
        case_id = await _case_of(runtime, await alert(runtime, await make_player(runtime)))
        await client.post(
            f"{BASE}/cases/{case_id}/close",
            json={"disposition": "false_positive", "reason": "ok"},
            headers=desk,
        )

        response = await client.post(f"{BASE}/cases/{case_id}/{url}", json=body, headers=desk)

        assert response.status_code == 409, response.text
        assert response.json()["code"] == "case_closed"

    @pytest.mark.parametrize(
        "body",
        [
            {"disposition": "guilty", "reason": "x"},
            {"disposition": "false_positive"},
            {"disposition": "false_positive", "reason": ""},
            {"disposition": "false_positive", "reason": "x", "extra": 1},
        ],
    )
    async def test_a_close_without_a_known_disposition_and_a_reason_is_refused(
        self, runtime: Runtime, client: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        desk = await staff_key(runtime)
        case_id = await _case_of(runtime, await alert(runtime, await make_player(runtime)))

        response = await client.post(f"{BASE}/cases/{case_id}/close", json=body, headers=desk)

        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    async def test_a_blank_note_is_refused(self, runtime: Runtime, client: httpx.AsyncClient) -> None:
        desk = await staff_key(runtime)
        case_id = await _case_of(runtime, await alert(runtime, await make_player(runtime)))

        response = await client.post(f"{BASE}/cases/{case_id}/notes", json={"text": "   "}, headers=desk)

        assert response.status_code == 422
        assert response.json()["code"] == "invalid_case_input"

    @pytest.mark.parametrize("method", ["GET", "POST-notes", "POST-close"])
    async def test_an_unknown_case_is_not_found(
        self, runtime: Runtime, client: httpx.AsyncClient, method: str
    ) -> None:
        desk = await staff_key(runtime)
        path = f"{BASE}/cases/{uuid.uuid4()}"
        if method == "GET":
            response = await client.get(path, headers=desk)
        elif method == "POST-notes":
            response = await client.post(f"{path}/notes", json={"text": "x"}, headers=desk)
        else:
            response = await client.post(
                f"{path}/close", json={"disposition": "false_positive", "reason": "x"}, headers=desk
            )

        assert response.status_code == 404
        assert response.json()["code"] == "case_not_found"


class TestTheDeskNeedsTheRiskRole:
    async def test_a_payments_key_is_forbidden_and_no_key_is_unauthenticated(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        payments = await staff_key(runtime, StaffRole.PAYMENTS, name="paula")
        case_id = await _case_of(runtime, await alert(runtime, await make_player(runtime)))

        for path in (
            "/alerts",
            f"/cases/{case_id}",
            "/precision",
            "/reports/large-transactions?day=2026-03-10",
        ):
            forbidden = await client.get(f"{BASE}{path}", headers=payments)
            anonymous = await client.get(f"{BASE}{path}")
            assert forbidden.status_code == 403, path
            assert forbidden.json()["code"] == "forbidden"
            assert anonymous.status_code == 401, path
        closing = await client.post(
            f"{BASE}/cases/{case_id}/close",
            json={"disposition": "false_positive", "reason": "x"},
            headers=payments,
        )
        assert closing.status_code == 403


class TestReadsAreAudited:
    async def test_reading_a_case_or_alerts_and_changing_a_case_are_in_the_audit_under_the_key(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        player = await make_player(runtime)
        case_id = await _case_of(runtime, await alert(runtime, player))

        await _case(client, desk, case_id)
        await client.get(f"{BASE}/alerts", params={"player_id": str(player)}, headers=desk)
        await client.post(f"{BASE}/cases/{case_id}/notes", json={"text": "names a person"}, headers=desk)

        rows = await sql(
            runtime,
            "SELECT action, actor_type, actor_id, target_id, details FROM audit_events"
            " WHERE action LIKE 'risk:%' ORDER BY seq",
        )
        assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
            ("risk:case:read", "staff", "alice", str(player)),
            ("risk:alert:read", "staff", "alice", str(player)),
            ("risk:case:note", "staff", "alice", str(player)),
        ]
        assert rows[0][4] == {"case_id": case_id}
        assert "names a person" not in str(rows[2][4])


class TestAlertList:
    async def test_alerts_filter_by_player_typology_and_case_status(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        ann, ben = await make_player(runtime), await make_player(runtime)
        ann_velocity = await alert(runtime, ann, typology=Typology.VELOCITY)
        ann_takeover = await alert(runtime, ann, typology=Typology.ACCOUNT_TAKEOVER, source="rule:ato@1")
        ben_velocity = await alert(runtime, ben, typology=Typology.VELOCITY)
        await client.post(
            f"{BASE}/cases/{await _case_of(runtime, ben_velocity)}/review", json={}, headers=desk
        )

        async def ids(**params: str) -> list[str]:
            response = await client.get(f"{BASE}/alerts", params=params, headers=desk)
            assert response.status_code == 200, response.text
            return [a["id"] for a in response.json()["items"]]

        assert await ids(player_id=str(ann)) == [str(ann_takeover), str(ann_velocity)]
        assert await ids(typology="velocity") == [str(ben_velocity), str(ann_velocity)]
        assert await ids(status="in_review") == [str(ben_velocity)]
        assert await ids(status="open", typology="account_takeover") == [str(ann_takeover)]

    async def test_pages_follow_each_other_without_gaps_or_repeats(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        player = await make_player(runtime)
        raised = [await alert(runtime, player) for _ in range(7)]

        seen: list[str] = []
        cursor: str | None = None
        for _ in range(10):
            params = {"player_id": str(player), "limit": "3", **({"cursor": cursor} if cursor else {})}
            page = (await client.get(f"{BASE}/alerts", params=params, headers=desk)).json()
            seen += [a["id"] for a in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        assert seen == [str(a) for a in reversed(raised)]

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"status": "pending"}, "validation_error"),
            ({"typology": "witchcraft"}, "validation_error"),
            ({"player_id": "not-a-uuid"}, "validation_error"),
            ({"limit": "0"}, "validation_error"),
            ({"cursor": "!!!"}, "invalid_cursor"),
        ],
    )
    async def test_bad_filters_are_refused(
        self, runtime: Runtime, client: httpx.AsyncClient, params: dict[str, str], code: str
    ) -> None:
        desk = await staff_key(runtime)

        response = await client.get(f"{BASE}/alerts", params=params, headers=desk)

        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code


class TestPrecision:
    async def test_dispositions_feed_each_rule_s_precision(
        self, runtime: Runtime, client: httpx.AsyncClient
    ) -> None:
        desk = await staff_key(runtime)
        outcomes = ["confirmed_fraud", "suspicious_activity_reported", "false_positive", "confirmed_fraud"]
        for disposition in outcomes:
            player = await make_player(runtime)
            case_id = await _case_of(runtime, await alert(runtime, player, source="rule:velocity@1"))
            await alert(runtime, player, typology=Typology.MINIMAL_PLAY, source="rule:cash_through@1")
            await client.post(
                f"{BASE}/cases/{case_id}/close",
                json={"disposition": disposition, "reason": "worked"},
                headers=desk,
            )
        # An open case says nothing yet.
        await alert(runtime, await make_player(runtime), source="rule:velocity@1")

        response = await client.get(f"{BASE}/precision", headers=desk)

        assert response.status_code == 200
        assert response.json()["items"] == [
            {
                "source": "rule:cash_through@1",
                "typology": "minimal_play",
                "confirmed": 3,
                "false_positive": 1,
                "precision": 0.75,
            },
            {
                "source": "rule:velocity@1",
                "typology": "velocity",
                "confirmed": 3,
                "false_positive": 1,
                "precision": 0.75,
            },
        ]
