"""The audit log in the console: the latest entries, a posted filter, the chain's verification.

Reading the log is itself audited, with the filter used (staff actors are emails, so the
filter is posted, never put in a URL). "Verify the chain" walks every link and says
whether it holds or names the first entry that does not fit; the head is shown to keep
off-site, and verifying against it later detects a cut tail. Bad input is a 4xx page.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import text

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.kit.runtime import Runtime
from croupier.staff.access import StaffRole
from tests.backoffice.console.support import assert_safe, error_code, page_token
from tests.conftest import TEST_IP
from tests.risk.support import staff_key


async def _audited(runtime: Runtime, action: AuditAction) -> list[Any]:
    async with runtime.database.unit_of_work() as session:
        return list(await audit.events(session, action=action))


def _seqs(page: httpx.Response) -> list[int]:
    return [int(seq) for seq in re.findall(r'data-seq="(\d+)"', page.text)]


def _actions(page: httpx.Response) -> set[str]:
    return set(re.findall(r"<td><code>([a-z_:]+)</code></td>", page.text))


async def test_the_latest_entries_are_shown_newest_first_and_the_read_is_audited(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    officer = await staff_key(runtime, StaffRole.COMPLIANCE, name="cora")

    page = await client.get("/console/audit", headers=officer)

    assert page.status_code == 200
    assert_safe(page)
    assert _seqs(page) == [2, 1]  # the key's issue, then its use to open this page
    assert _actions(page) == {"staff:key:issue", "staff:key:use"}
    assert "staff: cora" in page.text
    [read] = await _audited(runtime, AuditAction.AUDIT_LOG_READ)
    assert (read.actor_type, read.actor_id, read.ip) == ("staff", "cora", TEST_IP)
    assert read.details == {"filter": {}, "entries": 2}


async def test_the_filter_is_posted_and_narrows_by_action_prefix_actor_and_target(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    officer = await staff_key(runtime, StaffRole.COMPLIANCE, name="cora")
    await staff_key(runtime, StaffRole.RISK, name="rita")
    token = await page_token(client, "/console/audit", officer)

    by_actor = await client.post(
        "/console/audit",
        data={"csrf": token, "action_prefix": "staff:key:", "actor_id": "cora"},
        headers=officer,
    )
    by_target = await client.post(
        "/console/audit", data={"csrf": token, "target_id": "rita"}, headers=officer
    )
    # `_` is literal in a prefix, not a wildcard that would match `staff:key`.
    literal = await client.post(
        "/console/audit", data={"csrf": token, "action_prefix": "staff_key"}, headers=officer
    )

    assert by_actor.status_code == 200
    assert _actions(by_actor) == {"staff:key:use"}
    assert 'value="cora"' in by_actor.text  # the filter stays in the form, not in a URL
    assert _actions(by_target) == {"staff:key:issue"}
    assert "No entries match." in literal.text
    reads = await _audited(runtime, AuditAction.AUDIT_LOG_READ)
    assert [r.details["filter"] for r in reads] == [
        {"action_prefix": "staff_key"},
        {"target_id": "rita"},
        {"action_prefix": "staff:key:", "actor_id": "cora"},
        {},
    ]


async def test_verifying_a_sound_chain_says_so_and_shows_the_head(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")
    token = await page_token(client, "/console/audit", admin)
    async with runtime.database.unit_of_work() as session:
        seq, digest = await audit.head(session)

    verified = await client.post("/console/audit/verify", data={"csrf": token}, headers=admin)
    against_head = await client.post(
        "/console/audit/verify", data={"csrf": token, "checkpoint": f"{seq}:{digest.hex()}"}, headers=admin
    )

    assert verified.status_code == against_head.status_code == 200
    assert_safe(verified)
    assert 'data-verdict="ok"' in verified.text
    assert 'data-verdict="ok"' in against_head.text
    head = re.search(r"<code data-head>(\d+):([0-9a-f]{64})</code>", verified.text)
    assert head is not None
    assert int(head[1]) > seq
    runs = await _audited(runtime, AuditAction.AUDIT_CHAIN_VERIFY)
    assert [(r.details["ok"], r.details["checkpoint_seq"]) for r in runs] == [(True, seq), (True, None)]


async def test_a_tampered_entry_is_named_with_the_reason(client: httpx.AsyncClient, runtime: Runtime) -> None:
    admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")
    token = await page_token(client, "/console/audit", admin)
    # Someone able to switch the append-only trigger off rewrites entry 1's outcome.
    async with runtime.database.unit_of_work() as session:
        for statement in (
            "ALTER TABLE audit_events DISABLE TRIGGER USER",
            "UPDATE audit_events SET outcome = 'denied' WHERE seq = 1",
            "ALTER TABLE audit_events ENABLE TRIGGER USER",
        ):
            await session.execute(text(statement))

    verified = await client.post("/console/audit/verify", data={"csrf": token}, headers=admin)

    assert verified.status_code == 200
    assert 'data-verdict="broken"' in verified.text
    assert "Broken at entry 1: entry 1 was altered or inserted" in verified.text
    [run] = await _audited(runtime, AuditAction.AUDIT_CHAIN_VERIFY)
    assert (run.details["ok"], run.details["first_bad_seq"]) == (False, 1)


async def test_bad_input_is_a_4xx_page_and_nothing_is_recorded(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await staff_key(runtime, StaffRole.ADMIN, name="ada")
    token = await page_token(client, "/console/audit", admin)

    bad_checkpoint = await client.post(
        "/console/audit/verify", data={"csrf": token, "checkpoint": "12:not-hex"}, headers=admin
    )
    too_long = await client.post("/console/audit", data={"csrf": token, "actor_id": "x" * 65}, headers=admin)
    forged = await client.post("/console/audit/verify", data={"csrf": "0" * 64}, headers=admin)

    assert bad_checkpoint.status_code == 422
    assert error_code(bad_checkpoint) == "invalid_checkpoint"
    assert too_long.status_code == 422
    assert forged.status_code == 403
    assert error_code(forged) == "csrf_rejected"
    assert await _audited(runtime, AuditAction.AUDIT_CHAIN_VERIFY) == []
    assert len(await _audited(runtime, AuditAction.AUDIT_LOG_READ)) == 1  # the page that gave the token
