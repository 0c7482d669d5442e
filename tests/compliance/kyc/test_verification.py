"""Verification end to end: documents uploaded through Croupier, a check at the sandbox provider,
its result back by signed webhook, acted on once.

The sandbox decides by the documents' content (``sandbox_document(outcome)``): approve,
reject and let the player retry, reject for good, or never decide.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.payments.signatures import sign
from croupier.sandbox.kyc.documents import MARKER, Outcome, sandbox_document
from tests.events.support import data, events_of
from tests.factories import SignedIn
from tests.kyc_sandbox import KycSandbox
from tests.kyc_support import kyc_staff_headers
from tests.payments.support import Live, eventually

ADDRESS = "12 Merchant Street, Valletta VLT 1170"


async def upload(
    live: Live,
    player: SignedIn,
    *,
    kind: str,
    content: bytes,
    name: str = "scan.jpg",
    declared: str = "image/jpeg",
) -> httpx.Response:
    return await live.http.post(
        "/v1/kyc/documents",
        headers=player.headers,
        data={"kind": kind},
        files={"file": (name, content, declared)},
    )


async def kyc(live: Live, player: SignedIn) -> dict[str, Any]:
    return await live.get(player, "/v1/kyc")


async def request_check(live: Live, player: SignedIn, address: str | None = ADDRESS) -> httpx.Response:
    body = {"address": address} if address else {}
    return await live.http.post("/v1/kyc/checks", json=body, headers=player.headers)


async def documents_and_check(live: Live, player: SignedIn, outcome: Outcome) -> dict[str, Any]:
    assert (
        await upload(live, player, kind="identity_document", content=sandbox_document(outcome))
    ).status_code == 201
    selfie = await upload(
        live,
        player,
        kind="selfie",
        content=sandbox_document(Outcome.APPROVE, "png"),
        name="me.png",
        declared="image/png",
    )
    assert selfie.status_code == 201, selfie.text
    assert (await kyc(live, player))["next_steps"] == ["request_check"]
    check = await request_check(live, player)
    assert check.status_code == 201, check.text
    assert (check.json()["level"], check.json()["status"]) == ("full", "pending")
    body: dict[str, Any] = check.json()
    return body


class TestOutcomes:
    @pytest.mark.parametrize(
        ("outcome", "level", "status", "rejection", "next_steps"),
        [
            (Outcome.APPROVE, "full", "approved", None, []),
            (
                Outcome.REJECT_RETRY,
                "none",
                "rejected",
                "retry",
                ["upload_identity_document", "upload_selfie"],
            ),
            (Outcome.REJECT_FINAL, "none", "rejected", "final", ["contact_support"]),
        ],
        ids=["approve", "reject-retry", "reject-final"],
    )
    async def test_the_providers_verdict_sets_the_level_and_what_is_asked_next(
        self,
        kyc_live: Live,
        *,
        outcome: Outcome,
        level: str,
        status: str,
        rejection: str | None,
        next_steps: list[str],
    ) -> None:
        player = await kyc_live.player()
        await documents_and_check(kyc_live, player, outcome)
        seen = await eventually(lambda: kyc(kyc_live, player), lambda s: not s["pending"])
        assert (seen["level"], seen["check"]["status"], seen["check"]["rejection"]) == (
            level,
            status,
            rejection,
        )
        assert seen["next_steps"] == next_steps
        changes = data(await events_of(kyc_live.runtime, player.id, "kyc_changed"))
        assert changes == ([{"from": "none", "to": "full", "source": "provider"}] if level == "full" else [])

    async def test_a_check_that_stays_pending_blocks_a_second_one(
        self, kyc_live: Live, kyc_sandbox: KycSandbox
    ) -> None:
        player = await kyc_live.player()
        check = await documents_and_check(kyc_live, player, Outcome.PENDING)
        await eventually(
            lambda: kyc_sandbox.events(check["id"]), lambda found: [e["delivered"] for e in found] == [True]
        )
        assert (await kyc(kyc_live, player))["next_steps"] == ["wait_for_check"]
        again = await request_check(kyc_live, player)
        assert (again.status_code, again.json()["code"]) == (409, "kyc_check_pending")

    async def test_after_a_retry_new_documents_pass_and_after_a_final_no_more_are_taken(
        self, kyc_live: Live
    ) -> None:
        player = await kyc_live.player()
        await documents_and_check(kyc_live, player, Outcome.REJECT_RETRY)
        await eventually(lambda: kyc(kyc_live, player), lambda s: not s["pending"])
        await documents_and_check(kyc_live, player, Outcome.REJECT_FINAL)
        await eventually(lambda: kyc(kyc_live, player), lambda s: not s["pending"])

        refused = await upload(kyc_live, player, kind="identity_document", content=sandbox_document())
        assert (refused.status_code, refused.json()["code"]) == (409, "kyc_rejected_final")
        assert (await request_check(kyc_live, player)).json()["code"] == "kyc_rejected_final"

    async def test_without_documents_a_basic_check_verifies_name_birth_date_and_address(
        self, kyc_live: Live
    ) -> None:
        player = await kyc_live.player()
        missing = await request_check(kyc_live, player, address=None)
        assert (missing.status_code, missing.json()["code"]) == (422, "kyc_address_required")
        assert (await request_check(kyc_live, player)).json()["level"] == "basic"
        seen = await eventually(lambda: kyc(kyc_live, player), lambda s: not s["pending"])
        assert seen["level"] == "basic"
        assert seen["next_steps"] == ["upload_identity_document", "upload_selfie"]
        twice = await request_check(kyc_live, player)
        assert (twice.status_code, twice.json()["code"]) == (409, "kyc_documents_missing")


class TestStorage:
    async def test_a_document_is_stored_sealed_forwarded_and_read_back_by_staff_audited(
        self, kyc_live: Live
    ) -> None:
        player = await kyc_live.player()
        content = sandbox_document(Outcome.APPROVE, "pdf")
        response = await upload(
            kyc_live,
            player,
            kind="proof_of_address",
            content=content,
            name="bill.pdf",
            declared="application/pdf",
        )
        assert response.status_code == 201, response.text
        document = response.json()
        assert (document["content_type"], document["size_bytes"], document["forwarded"]) == (
            "application/pdf",
            len(content),
            True,
        )
        [stored] = [p for p in kyc_live.settings.kyc_documents_dir.rglob("*") if p.is_file()]
        assert MARKER not in stored.read_bytes()
        assert content not in stored.read_bytes()

        path = f"/v1/staff/kyc/players/{player.id}/documents/{document['id']}"
        read = await kyc_live.http.get(path, headers=await kyc_staff_headers(kyc_live.runtime, "vera"))
        assert (read.status_code, read.content, read.headers["content-type"]) == (
            200,
            content,
            "application/pdf",
        )
        async with kyc_live.runtime.database.unit_of_work() as session:
            [entry] = await audit.events(session, action=str(AuditAction.KYC_DOCUMENT_READ))
        assert (entry.actor_id, entry.details["document_id"]) == ("vera", document["id"])


class TestRefusedUploads:
    async def test_only_jpeg_png_and_pdf_by_content_within_the_size_limit_and_nothing_is_kept(
        self, kyc_live: Live
    ) -> None:
        player = await kyc_live.player()
        windows_program = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200)
        scripted_pdf = b"%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n"
        refused = [
            ("passport.pdf", "application/pdf", windows_program, 415, "document_executable"),
            ("passport.pdf", "application/pdf", scripted_pdf, 415, "document_executable"),
            ("passport.jpg", "image/jpeg", b"GIF89a" + bytes(100), 415, "unsupported_document"),
            ("passport.jpg", "image/jpeg", b"", 422, "document_empty"),
            ("passport.jpg", "image/jpeg", b"\xff\xd8\xff" + bytes(70 * 1024), 413, "document_too_large"),
            ("passport.jpg", "image/jpeg", b"\xff\xd8\xff" + bytes(200 * 1024), 413, "payload_too_large"),
        ]
        for name, declared, content, status, code in refused:
            response = await upload(
                kyc_live, player, kind="identity_document", content=content, name=name, declared=declared
            )
            assert (response.status_code, response.json()["code"]) == (status, code), (name, code)
        unknown_kind = await upload(kyc_live, player, kind="utility_bill", content=sandbox_document())
        assert (unknown_kind.status_code, unknown_kind.json()["code"]) == (422, "validation_error")
        assert (await kyc(kyc_live, player))["documents"] == []
        assert not kyc_live.settings.kyc_documents_dir.exists()


class TestWebhook:
    async def test_each_event_is_acted_on_once_even_repeated_or_out_of_order(
        self, kyc_live: Live, kyc_sandbox: KycSandbox
    ) -> None:
        player = await kyc_live.player()
        check = await documents_and_check(kyc_live, player, Outcome.APPROVE)
        found = await eventually(
            lambda: kyc_sandbox.events(check["id"]),
            lambda events: [e["delivered"] for e in events] == [True, True],
        )
        pending, completed = found
        assert (pending["type"], completed["type"]) == ("check.pending", "check.completed")

        # The completed event again, then the pending one after it: neither changes anything.
        await kyc_sandbox.redeliver(completed["id"])
        await kyc_sandbox.redeliver(pending["id"])
        assert (await kyc(kyc_live, player))["level"] == "full"
        assert len(await events_of(kyc_live.runtime, player.id, "kyc_changed")) == 1
        async with kyc_live.runtime.database.unit_of_work() as session:
            results = await audit.events(session, action=str(AuditAction.KYC_CHECK_RESULT))
        assert len(results) == 1

    async def test_a_bad_signature_is_refused_audited_and_changes_nothing(self, kyc_live: Live) -> None:
        player = await kyc_live.player()
        check = await documents_and_check(kyc_live, player, Outcome.PENDING)
        forged = _event("check.completed", check["id"], status="completed", result="approved")
        answer = await _post_signed(kyc_live, forged, "not-the-secret")
        assert (answer.status_code, answer.json()["code"]) == (401, "webhook_signature_invalid")
        unsigned = await kyc_live.http.post("/v1/webhooks/kyc", content=json.dumps(forged))
        assert unsigned.status_code == 401
        assert (await kyc(kyc_live, player))["level"] == "none"
        async with kyc_live.runtime.database.unit_of_work() as session:
            assert len(await audit.events(session, action=str(AuditAction.KYC_WEBHOOK_REJECT))) == 2


def _event(kind: str, reference: str, **check: Any) -> dict[str, Any]:
    return {
        "id": f"evt_test_{uuid.uuid4().hex[:12]}",
        "type": kind,
        "created": int(time.time()),
        "data": {"id": "chk_test", "reference": reference, "level": "full", "labels": [], **check},
    }


async def _post_signed(live: Live, event: dict[str, Any], secret: str) -> httpx.Response:
    body = json.dumps(event).encode()
    headers = {"KYC-Signature": sign(secret.encode(), body), "Content-Type": "application/json"}
    return await live.http.post("/v1/webhooks/kyc", content=body, headers=headers)
