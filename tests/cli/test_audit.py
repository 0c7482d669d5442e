"""`croupier audit verify|head|list`."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from croupier.audit.service import Actor
from croupier.kit.runtime import Runtime
from croupier.staff import service as staff
from croupier.staff.service import StaffRole
from croupier.wallet import adjustments
from tests.cli_support import acroupier, refused, succeeded, usage_error
from tests.wallet.support import make_player

pytestmark = pytest.mark.slow  # each case runs the console script

Conn = psycopg.AsyncConnection[Any]


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[Conn]:
    """A superuser connection to the test's database: one that can switch the append-only guard off."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        yield conn


async def _history(runtime: Runtime) -> str:
    """Four entries: a staff key issued, then three adjustments of one player's cash."""
    player = await make_player(runtime)
    async with runtime.database.unit_of_work() as session:
        await staff.issue(session, name="ops", role=StaffRole.PAYMENTS, issued_by="alice")
    for amount in (500, -200, 100):
        async with runtime.database.unit_of_work() as session:
            await adjustments.adjust(
                session,
                player_id=player,
                amount=amount,
                currency="EUR",
                reason="goodwill",
                key=uuid.uuid4().hex,
                actor=Actor.operator("alice"),
            )
    return str(player)


async def _without_guard(admin: Conn, statement: str) -> None:
    await admin.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
    try:
        await admin.execute(statement)
    finally:
        await admin.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")


class TestVerify:
    async def test_an_honest_chain_verifies(self, env: dict[str, str], runtime: Runtime) -> None:
        await _history(runtime)

        assert succeeded(await acroupier("audit", "verify", env=env)).startswith("4 entries verified, head 4")

    async def test_a_changed_entry_fails(self, env: dict[str, str], runtime: Runtime, admin: Conn) -> None:
        await _history(runtime)
        await _without_guard(admin, "UPDATE audit_events SET outcome = 'failure' WHERE seq = 2")

        refused(await acroupier("audit", "verify", env=env), "audit chain broken at entry 2")

    async def test_a_deleted_tail_fails_against_a_checkpoint(
        self, env: dict[str, str], runtime: Runtime, admin: Conn
    ) -> None:
        await _history(runtime)
        checkpoint = succeeded(await acroupier("audit", "head", env=env)).strip()
        await _without_guard(admin, "DELETE FROM audit_events WHERE seq > 2")
        await admin.execute(
            "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)"
        )

        refused(await acroupier("audit", "verify", "--checkpoint", checkpoint, env=env), "entry 4 is missing")

    async def test_a_malformed_checkpoint_is_a_usage_error(self, env: dict[str, str]) -> None:
        usage_error(await acroupier("audit", "verify", "--checkpoint", "12", env=env), "SEQ:HEXHASH")


class TestList:
    async def test_action_tags_are_printed_as_written_not_as_emoji(
        self, env: dict[str, str], runtime: Runtime
    ) -> None:
        await _history(runtime)

        out = succeeded(await acroupier("audit", "list", env=env))

        assert "staff:key:issue" in out
        assert "\N{KEY}" not in out

    async def test_the_table_fits_80_columns_with_ids_and_tags_whole(
        self, env: dict[str, str], runtime: Runtime
    ) -> None:
        player = await _history(runtime)

        out = succeeded(await acroupier("audit", "list", env={**env, "COLUMNS": "80"}))

        assert max(len(line) for line in out.splitlines()) <= 80, out
        lines = out.splitlines()
        assert any(player in line for line in lines), out  # never folded across lines
        assert any("wallet:balance:adjust" in line for line in lines), out
        assert any("staff:key:issue" in line for line in lines), out

    async def test_json_prints_one_object_per_entry_newest_first(
        self, env: dict[str, str], runtime: Runtime
    ) -> None:
        player = await _history(runtime)

        out = succeeded(await acroupier("audit", "list", "--json", "--target-id", player, env=env))

        entries = [json.loads(line) for line in out.splitlines()]
        assert [e["seq"] for e in entries] == [4, 3, 2]
        assert {e["target_id"] for e in entries} == {player}
        assert entries[0]["details"]["amount"] == 100
        assert len(entries[0]["hash"]) == 64
