"""Identity reviews in the console: the queue, the player's verification, a level set with a reason.

A check the provider rejected for good (or never answered) puts the player in the queue; a
reviewer opens them (audited as a KYC read) and sets a level with a reason (audited, and the
player leaves the queue); without ``kyc:review`` the form is absent and a post is refused.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import select

from croupier.audit.models import AuditEvent
from croupier.compliance.kyc.models import KycCheck
from croupier.kit.clock import utcnow
from croupier.kit.runtime import Runtime
from croupier.staff.access import StaffRole
from tests.factories import signed_in_player
from tests.risk.support import staff_key
from tests.sql import sql


async def _check(
    runtime: Runtime, player_id: str, status: str, rejection: str | None, age: timedelta
) -> None:
    """A check as the provider's webhook leaves it (the sandbox's own flow is tested in compliance/kyc)."""
    async with runtime.database.unit_of_work() as session:
        session.add(
            KycCheck(
                player_id=uuid.UUID(player_id),
                level="full",
                status=status,
                rejection=rejection,
                created_at=utcnow() - age,
                decided_at=None if status == "pending" else utcnow(),
            )
        )


async def _token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found[1]


async def test_a_reviewer_clears_the_queue_by_setting_a_level(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    rejected = await signed_in_player(client, runtime=runtime)
    stuck = await signed_in_player(client, runtime=runtime)
    recent = await signed_in_player(client, runtime=runtime)
    await _check(runtime, rejected.id, "rejected", "final", timedelta(days=1))
    await _check(runtime, stuck.id, "pending", None, timedelta(hours=3))
    await _check(runtime, recent.id, "pending", None, timedelta(minutes=5))
    reviewer = await staff_key(runtime, StaffRole.KYC, name="kim")

    queue = await client.get("/console/kyc", headers=reviewer)
    page = await client.get(f"/console/kyc/{rejected.id}", headers=reviewer)
    done = await client.post(
        f"/console/kyc/{rejected.id}/level",
        data={"csrf": await _token(page), "level": "full", "reason": "passport checked by hand"},
        headers=reviewer,
    )
    after = await client.get("/console/kyc", headers=reviewer)

    assert queue.status_code == 200
    assert rejected.id in queue.text
    assert stuck.id in queue.text
    assert recent.id not in queue.text  # the provider still has time to answer
    assert page.status_code == 200
    assert "Set the level" in page.text
    assert done.status_code == 303
    assert rejected.id not in after.text
    [(level,)] = await sql(
        runtime, "SELECT level FROM player_kyc WHERE player_id = :p", p=uuid.UUID(rejected.id)
    )
    assert level == "full"
    async with runtime.database.unit_of_work() as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.target_id == rejected.id, AuditEvent.actor_id == "kim"
                )
            )
        ).all()
    assert "compliance:kyc:read" in actions
    assert any(a.startswith("compliance:kyc:") and a != "compliance:kyc:read" for a in actions)


async def test_without_the_review_permission_there_is_no_form_and_a_post_is_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await signed_in_player(client, runtime=runtime)
    compliance = await staff_key(runtime, StaffRole.COMPLIANCE, name="carol")
    reviewer = await staff_key(runtime, StaffRole.KYC, name="kim")
    page = await client.get(f"/console/kyc/{player.id}", headers=reviewer)

    refused = await client.get(f"/console/kyc/{player.id}", headers=compliance)
    posted = await client.post(
        f"/console/kyc/{player.id}/level",
        data={"csrf": await _token(page), "level": "enhanced", "reason": "r"},
        headers=compliance,
    )
    blank = await client.post(
        f"/console/kyc/{player.id}/level",
        data={"csrf": await _token(page), "level": "full", "reason": ""},
        headers=reviewer,
    )

    assert refused.status_code == posted.status_code == 403
    assert blank.status_code == 422
    assert await sql(
        runtime, "SELECT level FROM player_kyc WHERE player_id = :p", p=uuid.UUID(player.id)
    ) in (
        [],
        [("none",)],
    )
