"""Publishing a risk rule set takes two holders of risk:rules:publish, and publishes exactly the draft
that was asked for."""

from __future__ import annotations

from croupier.staff.service import StaffRole
from tests.backoffice.support import Desk, audited
from tests.risk.engine_support import put_rule, rule

BIG_DEPOSIT = rule(
    "big_deposit", "amount >= limit", "decide:deposit", params={"limit": 500_000}, action="review"
)


async def _versions(desk: Desk, headers: dict[str, str]) -> list[tuple[int, str]]:
    listing = (await desk.http.get("/v1/staff/risk/rules", headers=headers)).json()["items"]
    return [(s["version"], s["status"]) for s in listing]


async def test_a_publication_waits_for_a_second_publisher_then_the_draft_is_active(desk: Desk) -> None:
    rita, rob = await desk.key(StaffRole.RISK, name="rita"), await desk.key(StaffRole.RISK, name="rob")
    assert (await put_rule(desk.http, rita, BIG_DEPOSIT)).status_code == 200

    asked = await desk.http.post("/v1/staff/risk/rules/default/publish", headers=rita)

    assert asked.status_code == 202, asked.text
    request = asked.json()
    assert (request["kind"], request["subject"], request["payload"]["version"]) == (
        "rule_set_publish",
        "rule_set:default",
        2,
    )
    assert await _versions(desk, rita) == [(1, "active"), (2, "draft")]
    own = await desk.approve(rita, request["id"])
    assert (own.status_code, own.json()["code"]) == (403, "approval_own_request")

    approved = await desk.approve(rob, request["id"])

    assert approved.status_code == 200, approved.text
    assert approved.json()["effect"] == {"name": "default", "version": 2, "status": "active"}
    assert await _versions(desk, rita) == [(1, "retired"), (2, "active")]
    assert await audited(desk.runtime, "risk:rule_set:publish") == [
        ("risk:rule_set:publish", "success", "rob")
    ]


async def test_a_payments_member_cannot_approve_a_publication(desk: Desk) -> None:
    rita, alice = await desk.key(StaffRole.RISK), await desk.key(StaffRole.PAYMENTS)
    await put_rule(desk.http, rita, BIG_DEPOSIT)
    request = (await desk.http.post("/v1/staff/risk/rules/default/publish", headers=rita)).json()

    response = await desk.approve(alice, request["id"])

    assert (response.status_code, response.json()["code"]) == (403, "approval_permission_missing")
    assert await _versions(desk, rita) == [(1, "active"), (2, "draft")]


async def test_a_draft_changed_after_the_request_is_not_published(desk: Desk) -> None:
    rita, rob = await desk.key(StaffRole.RISK), await desk.key(StaffRole.RISK)
    await put_rule(desk.http, rita, BIG_DEPOSIT)
    request = (await desk.http.post("/v1/staff/risk/rules/default/publish", headers=rita)).json()
    changed = {**BIG_DEPOSIT, "params": {"limit": 1}}
    assert (await put_rule(desk.http, rita, changed)).status_code == 200

    approved = await desk.approve(rob, request["id"])
    asked_again = await desk.http.post("/v1/staff/risk/rules/default/publish", headers=rita)

    assert (approved.status_code, approved.json()["code"]) == (409, "rule_set_draft_changed")
    assert await _versions(desk, rita) == [(1, "active"), (2, "draft")]
    assert (asked_again.status_code, asked_again.json()["code"]) == (409, "approval_already_pending")
    assert (
        await desk.http.post(f"/v1/staff/approvals/{request['id']}/cancel", headers=rita)
    ).status_code == 200
    fresh = await desk.http.post("/v1/staff/risk/rules/default/publish", headers=rita)
    assert (await desk.approve(rob, fresh.json()["id"])).status_code == 200
    assert await _versions(desk, rita) == [(1, "retired"), (2, "active")]


async def test_nothing_to_publish_makes_no_request(desk: Desk) -> None:
    rita = await desk.key(StaffRole.RISK)

    no_draft = await desk.http.post("/v1/staff/risk/rules/default/publish", headers=rita)
    no_set = await desk.http.post("/v1/staff/risk/rules/no_such_set/publish", headers=rita)
    bad_name = await desk.http.post("/v1/staff/risk/rules/Bad-Name/publish", headers=rita)

    assert (no_draft.status_code, no_set.status_code, bad_name.status_code) == (409, 404, 422)
    assert (await desk.http.get("/v1/staff/approvals?status=pending", headers=rita)).json()["items"] == []
