"""KYC in privacy requests: the export shows the player's verification; an erasure removes the
documents and the address but keeps the level and the provider's decisions (AML records)."""

from __future__ import annotations

import json

from croupier.sandbox.kyc.documents import sandbox_document
from croupier.staff.service import StaffRole
from tests.compliance.gdpr.support import ready_export
from tests.compliance.kyc.test_verification import ADDRESS, kyc, request_check, upload
from tests.payments.support import Live, eventually
from tests.risk.support import staff_key
from tests.sql import sql


async def test_exported_then_erased_documents_and_address_go_level_and_decisions_stay(kyc_live: Live) -> None:
    player = await kyc_live.player()
    uploaded = await upload(kyc_live, player, kind="identity_document", content=sandbox_document())
    assert uploaded.status_code == 201, uploaded.text
    assert (await request_check(kyc_live, player)).status_code == 201
    await eventually(lambda: kyc(kyc_live, player), lambda s: s["level"] == "basic")

    shown = await ready_export(kyc_live, player)
    archive = json.loads((await kyc_live.http.get(shown["download_path"], headers=player.headers)).content)
    section = archive["sections"]["kyc"]
    assert (section["level"], section["address"]) == ("basic", ADDRESS)
    assert [c["status"] for c in section["checks"]] == ["approved"]
    assert [d["kind"] for d in section["documents"]] == ["identity_document"]

    erased = await kyc_live.http.post(
        "/v1/staff/gdpr/erasures",
        json={"player_id": player.id, "reason": "the player asked"},
        headers=await staff_key(kyc_live.runtime, StaffRole.COMPLIANCE, "carla"),
    )
    assert erased.status_code == 200, erased.text
    assert [p for p in kyc_live.settings.kyc_documents_dir.rglob("*") if p.is_file()] == []
    rows = await sql(
        kyc_live.runtime, "SELECT level, address_enc FROM player_kyc WHERE player_id = :p", p=player.id
    )
    assert rows == [("basic", None)]
    [(deleted_at,)] = await sql(
        kyc_live.runtime, "SELECT deleted_at FROM kyc_documents WHERE player_id = :p", p=player.id
    )
    assert deleted_at is not None
    [(status,)] = await sql(
        kyc_live.runtime, "SELECT status FROM kyc_checks WHERE player_id = :p", p=player.id
    )
    assert status == "approved"
