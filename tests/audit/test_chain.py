"""The audit log: append-only in the database, hash-chained so that tampering shows.

The trigger stops UPDATE, DELETE and TRUNCATE from anyone, superuser included.
Someone able to disable it (DDL rights) can rewrite rows; the HMAC chain, keyed
outside the database, then names the first entry that no longer fits.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from croupier.audit.cli import app as audit_app
from croupier.audit.service import GENESIS, canonical, verify
from croupier.kit.keyring import Keyring
from croupier.kit.runtime import Runtime
from tests.crypto.cli_support import ainvoke
from tests.factories import register, sign_in, signed_in_player

Conn = psycopg.AsyncConnection[dict[str, Any]]
COLUMNS = (
    "seq, occurred_at, action, outcome, actor_type, actor_id, target_type, target_id, ip, user_agent, "
    "details, prev_hash, hash"
)


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[Conn]:
    """A superuser connection to the test's database: the attacker's seat."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


class Audit:
    """`croupier audit …` against this test's database and keys."""

    def __init__(self, database_url: str, keyring_json: str, data_dir: Path) -> None:
        self.database_url, self.keyring_json, self.data_dir = database_url, keyring_json, data_dir

    async def __call__(self, *args: str) -> tuple[int, str]:
        result = await ainvoke(
            audit_app, args, database_url=self.database_url, data_dir=self.data_dir, keyring=self.keyring_json
        )
        return result.exit_code, result.output


@pytest.fixture
def audit_cli(database_url: str, keyring_json: str, tmp_path: Path) -> Audit:
    return Audit(database_url, keyring_json, tmp_path)


async def _rows(conn: Conn) -> list[dict[str, Any]]:
    cursor = await conn.execute(f"SELECT {COLUMNS} FROM audit_events ORDER BY seq")  # noqa: S608 - constant
    return await cursor.fetchall()


async def _head(conn: Conn) -> tuple[int, bytes]:
    row = await (await conn.execute("SELECT seq, hash FROM audit_head")).fetchone()
    assert row is not None
    return row["seq"], row["hash"]


async def _some_history(client: httpx.AsyncClient) -> None:
    """Eight entries: registrations, sign-ins (one failed), a sign-out and a revocation.

    Addresses left unconfirmed: confirming would add an entry per player.
    """
    ada = await signed_in_player(client, verified=False)  # 1 register, 2 sign in
    assert (await sign_in(client, ada.email, "not the password")).status_code == 401  # 3
    grace = await signed_in_player(client, verified=False)  # 4, 5
    second = await sign_in(client, grace.email)  # 6
    session_id = second.json()["session_id"]
    assert (await client.delete(f"/v1/sessions/{session_id}", headers=grace.headers)).status_code == 204  # 7
    assert (await client.delete("/v1/sessions/current", headers=ada.headers)).status_code == 204  # 8


async def _verdict(runtime: Runtime, checkpoint: tuple[int, bytes] | None = None) -> Any:
    async with runtime.database.unit_of_work() as session:
        return await verify(session, checkpoint=checkpoint)


class TestAnHonestChain:
    async def test_verifies_after_a_series_of_api_calls(
        self, client: httpx.AsyncClient, runtime: Runtime, admin: Conn, audit_cli: Audit
    ) -> None:
        await _some_history(client)
        rows = await _rows(admin)
        assert [r["seq"] for r in rows] == list(range(1, 9))
        assert rows[0]["prev_hash"] == GENESIS
        assert all(later["prev_hash"] == earlier["hash"] for earlier, later in itertools.pairwise(rows))
        verdict = await _verdict(runtime)
        assert (verdict.ok, verdict.checked, verdict.head_seq) == (True, 8, 8)
        code, out = await audit_cli("verify")
        assert code == 0, out
        assert out.strip() == "8 entries verified, head 8"

    async def test_an_empty_chain_verifies(self, runtime: Runtime, audit_cli: Audit) -> None:
        assert (await _verdict(runtime)).ok
        assert (await audit_cli("verify"))[1].strip() == "0 entries verified, head 0"
        code, out = await audit_cli("head")
        assert (code, out.strip()) == (0, "0:" + "00" * 32)
        assert (await audit_cli("verify", "--checkpoint", out.strip()))[0] == 0

    async def test_head_prints_the_newest_link_which_verifies_as_a_checkpoint(
        self, client: httpx.AsyncClient, admin: Conn, audit_cli: Audit
    ) -> None:
        await _some_history(client)
        seq, digest = await _head(admin)
        code, out = await audit_cli("head")
        assert code == 0
        assert out.strip() == f"{seq}:{digest.hex()}"
        assert (await audit_cli("verify", "--checkpoint", out.strip()))[0] == 0
        # A checkpoint taken earlier still holds as the chain grows.
        await signed_in_player(client, verified=False)
        code, out = await audit_cli("verify", "--checkpoint", f"{seq}:{digest.hex()}")
        assert code == 0, out
        assert "10 entries verified, head 10" in out

    async def test_another_keyring_cannot_vouch_for_the_chain(
        self, client: httpx.AsyncClient, database_url: str, tmp_path: Path
    ) -> None:
        await _some_history(client)
        result = await ainvoke(
            audit_app,
            ["verify"],
            database_url=database_url,
            data_dir=tmp_path,
            keyring=Keyring.generate().to_json(),
        )
        assert result.exit_code == 1
        assert "broken at entry 1" in result.stderr
        assert "audit key" in result.stderr

    async def test_missing_keys_are_a_clear_error(self, database_url: str, tmp_path: Path) -> None:
        result = await ainvoke(audit_app, ["verify"], database_url=database_url, data_dir=tmp_path)
        assert result.exit_code == 1
        assert result.stderr.startswith("croupier: ")
        assert "CROUPIER_KEYRING" in result.stderr

    @pytest.mark.parametrize("checkpoint", ["12", "x:00", "3:abcd", "-1:" + "00" * 32])
    async def test_a_malformed_checkpoint_is_a_usage_error(self, audit_cli: Audit, checkpoint: str) -> None:
        code, out = await audit_cli("verify", "--checkpoint", checkpoint)
        assert code == 2
        assert "SEQ:HEXHASH" in out

    async def test_list_filters_by_target_and_action(
        self, client: httpx.AsyncClient, audit_cli: Audit
    ) -> None:
        ada_id, ada = await register(client)
        grace_id, _ = await register(client)
        assert (await sign_in(client, ada["email"])).status_code == 201
        code, out = await audit_cli("list", "--target-id", ada_id)
        assert code == 0, out
        assert "identity:player:register" in out
        assert "identity:session:sign_in" in out
        assert ada_id in out
        assert grace_id not in out
        code, out = await audit_cli("list", "--action", "identity:player:register", "--limit", "1")
        assert code == 0
        assert grace_id in out  # newest first
        assert ada_id not in out
        assert "1 entry" in out
        code, out = await audit_cli("list", "--action", "identity:nothing")
        assert code == 2
        assert "unknown action" in out


class TestTheDatabaseRefusesChanges:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_events SET outcome = 'success'",
            "DELETE FROM audit_events WHERE seq = 1",
            "TRUNCATE audit_events",
        ],
    )
    async def test_even_for_a_superuser(self, client: httpx.AsyncClient, admin: Conn, statement: str) -> None:
        await _some_history(client)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            await admin.execute(statement)
        assert len(await _rows(admin)) == 8


# --- Tampering by someone who can disable the trigger -----------------------------------------
# Each returns the seq of the first entry verify must name.
Tamper = Callable[[Conn, list[dict[str, Any]]], Awaitable[int]]


async def _change_an_entry(conn: Conn, rows: list[dict[str, Any]]) -> int:
    await conn.execute(
        "UPDATE audit_events SET outcome = 'success', details = %s WHERE seq = 3", (Jsonb({"reason": "ok"}),)
    )
    return 3


async def _delete_an_entry(conn: Conn, rows: list[dict[str, Any]]) -> int:
    await conn.execute("DELETE FROM audit_events WHERE seq = 3")
    return 3


async def _delete_an_entry_and_renumber(conn: Conn, rows: list[dict[str, Any]]) -> int:
    await conn.execute("DELETE FROM audit_events WHERE seq = 3")
    await _shift(conn, from_seq=4, by=-1)
    await conn.execute("UPDATE audit_head SET seq = seq - 1")
    return 3


async def _shift(conn: Conn, *, from_seq: int, by: int) -> None:
    # In two steps: the primary key is checked row by row.
    await conn.execute("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= %s", (from_seq,))
    await conn.execute("UPDATE audit_events SET seq = seq - 1000 + %s WHERE seq >= 1000", (by,))


def _sha256_link(prev: bytes, row: dict[str, Any]) -> bytes:
    """What an attacker without the audit key can compute."""
    return hashlib.sha256(prev + canonical(row)).digest()


async def _insert(conn: Conn, row: dict[str, Any]) -> None:
    await conn.execute(
        f"INSERT INTO audit_events ({COLUMNS}) VALUES "  # noqa: S608 - constant column list
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (*(row[c] if c != "details" else Jsonb(row[c]) for c in COLUMNS.split(", ")),),
    )


async def _insert_an_entry(conn: Conn, rows: list[dict[str, Any]]) -> int:
    await _shift(conn, from_seq=3, by=1)
    forged = {**rows[2], "seq": 3, "action": "identity:player:enable", "outcome": "success", "details": {}}
    forged["prev_hash"] = rows[1]["hash"]
    forged["hash"] = _sha256_link(forged["prev_hash"], forged)
    await _insert(conn, forged)
    await conn.execute("UPDATE audit_head SET seq = seq + 1")
    return 3


async def _append_an_entry(conn: Conn, rows: list[dict[str, Any]]) -> int:
    seq: int = rows[-1]["seq"] + 1
    digest: bytes = rows[-1]["hash"]
    forged = {**rows[-1], "seq": seq, "prev_hash": digest, "details": {"note": "forged"}}
    forged["hash"] = _sha256_link(digest, forged)
    await _insert(conn, forged)
    await conn.execute("UPDATE audit_head SET seq = %s, hash = %s", (seq, forged["hash"]))
    return seq


async def _rewrite_the_chain_with_sha256(conn: Conn, rows: list[dict[str, Any]]) -> int:
    """Change entry 4, then re-link it and everything after it, head included."""
    prev = rows[2]["hash"]
    for row in rows[3:]:
        if row["seq"] == 4:
            row["details"] = {"reason": "rewritten"}
        row["prev_hash"], row["hash"] = prev, _sha256_link(prev, row)
        await conn.execute(
            "UPDATE audit_events SET details = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            (Jsonb(row["details"]), row["prev_hash"], row["hash"], row["seq"]),
        )
        prev = row["hash"]
    await conn.execute("UPDATE audit_head SET hash = %s", (prev,))
    return 4


async def _delete_the_tail(conn: Conn, rows: list[dict[str, Any]]) -> int:
    await conn.execute("DELETE FROM audit_events WHERE seq >= 7")
    return 7


async def _rewind_the_head(conn: Conn, rows: list[dict[str, Any]]) -> int:
    await conn.execute("UPDATE audit_head SET seq = 5, hash = %s", (rows[5]["hash"],))
    return 5


@pytest.fixture
async def tampered_history(client: httpx.AsyncClient, admin: Conn) -> Callable[[Tamper], Awaitable[int]]:
    async def apply(tamper: Tamper) -> int:
        await _some_history(client)
        rows = await _rows(admin)
        await admin.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        try:
            return await tamper(admin, rows)
        finally:
            await admin.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")

    return apply


class TestTamperingIsDetected:
    @pytest.mark.parametrize(
        ("tamper", "reason"),
        [
            (_change_an_entry, "altered"),
            (_delete_an_entry, "missing"),
            (_delete_an_entry_and_renumber, "does not link"),
            (_insert_an_entry, "inserted"),
            (_append_an_entry, "inserted"),
            (_rewrite_the_chain_with_sha256, "altered"),
            (_delete_the_tail, "missing"),
            (_rewind_the_head, "head does not match"),
        ],
        ids=lambda v: v.__name__.strip("_") if callable(v) else None,
    )
    async def test_verify_names_the_first_bad_entry(
        self,
        runtime: Runtime,
        audit_cli: Audit,
        tampered_history: Callable[[Tamper], Awaitable[int]],
        tamper: Tamper,
        reason: str,
    ) -> None:
        first_bad = await tampered_history(tamper)
        verdict = await _verdict(runtime)
        assert not verdict.ok
        assert verdict.first_bad_seq == first_bad, verdict.reason
        assert reason in (verdict.reason or "")
        code, out = await audit_cli("verify")
        assert code == 1
        assert f"audit chain broken at entry {first_bad}:" in out

    async def test_a_cut_tail_with_the_head_rewound_is_caught_by_a_checkpoint(
        self, client: httpx.AsyncClient, runtime: Runtime, admin: Conn, audit_cli: Audit
    ) -> None:
        await _some_history(client)
        code, checkpoint = await audit_cli("head")  # recorded off-site by the operator
        assert (code, checkpoint.split(":")[0]) == (0, "8")
        rows = await _rows(admin)
        await admin.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        await admin.execute("DELETE FROM audit_events WHERE seq > 5")
        await admin.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")
        await admin.execute("UPDATE audit_head SET seq = 5, hash = %s", (rows[4]["hash"],))

        # Without an outside anchor the shortened chain is self-consistent …
        assert (await _verdict(runtime)).ok
        # … with one, the cut is found.
        verdict = await _verdict(runtime, (8, rows[7]["hash"]))
        assert (verdict.ok, verdict.first_bad_seq) == (False, 6)
        assert "tail deleted" in (verdict.reason or "")
        code, out = await audit_cli("verify", "--checkpoint", checkpoint.strip())
        assert code == 1
        assert "audit chain broken at entry 6: checkpoint entry 8 is missing" in out

    async def test_a_checkpoint_that_disagrees_with_its_entry_is_caught(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        await _some_history(client)
        verdict = await _verdict(runtime, (4, bytes(range(32))))
        assert (verdict.ok, verdict.first_bad_seq) == (False, 4)
        assert "checkpoint" in (verdict.reason or "")

    async def test_verify_reads_the_database_not_what_its_session_remembers(
        self, client: httpx.AsyncClient, runtime: Runtime, admin: Conn
    ) -> None:
        await _some_history(client)
        async with runtime.database.unit_of_work() as session:
            assert (await verify(session)).ok  # loads every entry once
            await admin.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
            await admin.execute("UPDATE audit_events SET ip = '203.0.113.9' WHERE seq = 2")
            await admin.execute("ALTER TABLE audit_events ENABLE TRIGGER USER")
            await session.commit()  # a new snapshot, same session
            verdict = await verify(session)
        assert (verdict.ok, verdict.first_bad_seq) == (False, 2)


class TestConcurrentAppends:
    async def test_many_simultaneous_sign_ins_leave_one_contiguous_valid_chain(
        self, client: httpx.AsyncClient, runtime: Runtime, admin: Conn
    ) -> None:
        players = [await register(client, verified=False) for _ in range(4)]
        attempts = [sign_in(client, data["email"]) for _, data in players for _ in range(6)]
        attempts += [sign_in(client, data["email"], "wrong password here") for _, data in players[:2]]
        responses = await asyncio.gather(*attempts)
        assert sorted(r.status_code for r in responses) == [201] * 24 + [401] * 2
        rows = await _rows(admin)
        assert [r["seq"] for r in rows] == list(range(1, 4 + 26 + 1))
        assert sum(r["action"] == "identity:session:sign_in" for r in rows) == 26
        verdict = await _verdict(runtime)
        assert (verdict.ok, verdict.checked) == (True, 30), verdict.reason
        assert await _head(admin) == (30, rows[-1]["hash"])

    async def test_verify_while_entries_are_appended_does_not_raise_a_false_alarm(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        _, data = await register(client)

        async def keep_signing_in() -> None:
            for _ in range(10):
                assert (await sign_in(client, data["email"])).status_code == 201

        async def keep_verifying() -> list[bool]:
            results = []
            for _ in range(20):
                results.append((await _verdict(runtime)).ok)
                await asyncio.sleep(0)
            return results

        _, verdicts = await asyncio.gather(keep_signing_in(), keep_verifying())
        assert all(verdicts)
