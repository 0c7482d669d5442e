"""``kit.jsonb.plain``: what is hashed before it is stored in JSONB is what is read back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction
from croupier.kit.jsonb import plain
from croupier.kit.runtime import Runtime
from croupier.wallet import service as wallet
from croupier.wallet.service import HouseBook, Leg
from tests.sql import sql
from tests.wallet.support import cash, house, key, make_player

AWKWARD: dict[str, Any] = {
    "big": 1e20,  # JSONB reads this back as the integer 100000000000000000000
    "negative_zero": -0.0,
    "ratio": 0.1,
    "nul\x00key": "nul\x00value",  # PostgreSQL text holds no NUL, in keys neither
    "nested": [{"id": 7, "ok": True, "none": None}, ("a", 2)],
    "text": "€ non-ASCII",
}


def test_floats_become_text_and_nul_characters_go() -> None:
    assert plain(AWKWARD) == {
        "big": "1e+20",
        "negative_zero": "-0.0",
        "ratio": "0.1",
        "nulkey": "nulvalue",
        "nested": [{"id": 7, "ok": True, "none": None}, ["a", 2]],
        "text": "€ non-ASCII",
    }


async def test_jsonb_gives_back_exactly_what_went_in(runtime: Runtime) -> None:
    stored = plain(AWKWARD)

    [(read,)] = await sql(runtime, "SELECT CAST(:doc AS jsonb)", doc=json.dumps(stored))

    assert read == stored


async def test_an_audit_entry_with_awkward_details_is_stored_and_still_verifies(runtime: Runtime) -> None:
    async with runtime.database.unit_of_work() as session:
        audit.record(session, AuditAction.WALLET_ADJUST, actor=Actor.system(), details=AWKWARD)

    async with runtime.database.unit_of_work() as session:
        assert (await audit.verify(session)).ok
        [entry] = await audit.events(session)
    assert entry.details["big"] == "1e+20"
    assert "nulkey" in entry.details


@pytest.mark.parametrize("metadata", [{"big": 1e20}, {"nul\x00key": 1}], ids=["float", "nul-in-key"])
async def test_ledger_metadata_is_stored_as_it_was_hashed(runtime: Runtime, metadata: dict[str, Any]) -> None:
    player = await make_player(runtime)

    async with runtime.database.unit_of_work() as session:
        moved = await wallet.transfer(
            session,
            source="test",
            key=key(),
            kind="deposit",
            legs=[Leg(cash(player), 1), Leg(house(HouseBook.PSP_CLEARING), -1)],
            metadata=metadata,
        )
    [(read,)] = await sql(runtime, "SELECT metadata FROM ledger_transfers WHERE id = :t", t=moved.id)

    assert read == plain(metadata)
