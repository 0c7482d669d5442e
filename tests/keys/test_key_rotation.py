"""`croupier keys`: rotate, re-wrap and retire KEKs under a running service.

The commands run in-process against the test's database and the same keyring
file the app reads, as an operator would run them beside `croupier serve`.
"""

from __future__ import annotations

import asyncio
import base64
import getpass
import stat
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from croupier.audit.models import AuditEvent
from croupier.audit.service import operator, verify
from croupier.audit.tags import AuditAction
from croupier.crypto import envelope
from croupier.crypto.models import PlayerDataKey
from croupier.crypto.service import _wrap_aad
from croupier.identity.models import Player
from croupier.keys import rotation
from croupier.keys.cli import app as keys_app
from croupier.kit.client import ClientInfo
from croupier.kit.keyring import Keyring
from croupier.kit.runtime import Runtime
from tests.crypto.cli_support import ainvoke
from tests.factories import SignedIn, signed_in_player


class Keys:
    """`croupier keys …` against this test's database and keyring file."""

    def __init__(self, database_url: str, keyring_path: Path, data_dir: Path) -> None:
        self.database_url, self.keyring_path, self.data_dir = database_url, keyring_path, data_dir

    async def __call__(self, *args: str) -> tuple[int, str]:
        result = await ainvoke(
            keys_app,
            args,
            database_url=self.database_url,
            data_dir=self.data_dir,
            keyring_file=self.keyring_path,
        )
        return result.exit_code, result.output

    def ring(self) -> Keyring:
        return Keyring.from_json(self.keyring_path.read_text())


@pytest.fixture
def keys(database_url: str, keyring_path: Path, tmp_path: Path) -> Keys:
    return Keys(database_url, keyring_path, tmp_path)


async def _data_keys(runtime: Runtime) -> dict[uuid.UUID, PlayerDataKey]:
    async with runtime.database.unit_of_work() as session:
        return {k.player_id: k for k in (await session.scalars(select(PlayerDataKey))).all()}


async def _audit(runtime: Runtime, action: AuditAction) -> list[AuditEvent]:
    async with runtime.database.unit_of_work() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == str(action)).order_by(AuditEvent.seq)
        return list((await session.scalars(stmt)).all())


async def _fields(runtime: Runtime) -> dict[uuid.UUID, tuple[bytes, ...]]:
    async with runtime.database.unit_of_work() as session:
        players = (await session.scalars(select(Player))).all()
        return {p.id: (p.email_enc, p.first_name_enc, p.last_name_enc, p.date_of_birth_enc) for p in players}


async def _profile(client: httpx.AsyncClient, player: SignedIn) -> dict[str, str]:
    response = await client.get("/v1/me", headers=player.headers)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


class TestRotateRewrapRetire:
    async def test_players_keep_their_data_through_a_full_rotation(
        self, client: httpx.AsyncClient, runtime: Runtime, keys: Keys
    ) -> None:
        players = [await signed_in_player(client, first_name=f"Player{i}") for i in range(5)]
        fields_before = await _fields(runtime)

        code, out = await keys("status")
        assert code == 0, out
        assert "newest" in out
        assert " 5 " in out

        code, out = await keys("rotate")
        assert code == 0, out
        assert "KEK version 2 added" in out
        assert sorted(keys.ring().keks) == [1, 2]
        assert stat.S_IMODE(keys.keyring_path.stat().st_mode) == 0o600
        # The running service already wraps under version 2 …
        late = await signed_in_player(client, first_name="Late")
        assert (await _data_keys(runtime))[uuid.UUID(late.id)].kek_version == 2
        # … and still unwraps the keys under version 1.
        assert (await _profile(client, players[0]))["first_name"] == "Player0"

        code, out = await keys("retire", "1")
        assert code == 1
        assert "5 data key(s) are still wrapped under KEK version 1" in out
        code, out = await keys("retire", "2")
        assert code == 1
        assert "newest" in out
        assert sorted(keys.ring().keks) == [1, 2]

        code, out = await keys("rewrap", "--batch", "2")
        assert code == 0, out
        assert "5 data key(s) re-wrapped under KEK version 2 in 3 batch(es); 0 remain" in out
        assert {k.kek_version for k in (await _data_keys(runtime)).values()} == {2}

        code, out = await keys("rewrap")  # idempotent
        assert code == 0, out
        assert "0 data key(s) re-wrapped" in out

        code, out = await keys("retire", "1")
        assert code == 0, out
        assert sorted(keys.ring().keks) == [2]
        assert stat.S_IMODE(keys.keyring_path.stat().st_mode) == 0o600

        # Only the wrapping changed: the sealed fields are the same bytes, and they open.
        fields_after = await _fields(runtime)
        assert all(fields_after[pid] == sealed for pid, sealed in fields_before.items())
        for i, player in enumerate(players):
            assert (await _profile(client, player))["first_name"] == f"Player{i}"
        assert (await _profile(client, late))["first_name"] == "Late"

        code, out = await keys("status")
        assert code == 0
        assert "6" in out
        async with runtime.database.unit_of_work() as session:
            assert (await verify(session)).ok

    async def test_each_step_is_audited_with_the_operator(
        self, client: httpx.AsyncClient, runtime: Runtime, keys: Keys
    ) -> None:
        await signed_in_player(client)
        await signed_in_player(client)
        assert (await keys("rotate"))[0] == 0
        assert (await keys("retire", "1"))[0] == 1
        assert (await keys("rewrap", "--batch", "1"))[0] == 0
        assert (await keys("retire", "1"))[0] == 0

        rotated = await _audit(runtime, AuditAction.KEYRING_ROTATE)
        assert [(e.actor_type, e.actor_id, e.outcome) for e in rotated] == [
            ("operator", getpass.getuser(), "success")
        ]
        assert rotated[0].details["new_version"] == 2
        assert (rotated[0].target_type, rotated[0].target_id) == ("kek", "2")

        rewrapped = await _audit(runtime, AuditAction.KEYRING_REWRAP)
        assert len(rewrapped) == 1
        assert rewrapped[0].details == {"version": 2, "rewrapped": 2, "batches": 2, "remaining": 0}

        retired = await _audit(runtime, AuditAction.KEYRING_RETIRE)
        assert [(e.outcome, e.details["version"]) for e in retired] == [("denied", 1), ("success", 1)]
        assert retired[0].details["in_use"] == 2
        assert retired[1].details["versions"] == [2]

    async def test_rewrap_never_writes_a_data_key_in_plaintext(
        self, client: httpx.AsyncClient, runtime: Runtime, keys: Keys
    ) -> None:
        for _ in range(3):
            await signed_in_player(client)
        ring = runtime.keyring.current()
        deks = [
            envelope.unseal(ring.kek(k.kek_version), k.wrapped, _wrap_aad(k.player_id, k.dek_version))
            for k in (await _data_keys(runtime)).values()
            if k.wrapped is not None
        ]
        assert len(deks) == 3
        outputs = [(await keys(*args))[1] for args in (["rotate"], ["rewrap"], ["status"])]
        wrapped = [k.wrapped for k in (await _data_keys(runtime)).values()]
        events = await _audit(runtime, AuditAction.KEYRING_REWRAP)
        texts = [*outputs, *(str(e.details) for e in events)]
        for dek in deks:
            assert not any(dek in w for w in wrapped if w is not None)
            for rendering in (dek.hex(), base64.b64encode(dek).decode()):
                assert not any(rendering in t for t in texts)

    async def test_two_rewraps_at_once_share_the_work(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        for _ in range(6):
            await signed_in_player(client)
        runtime.keyring.replace(runtime.keyring.current().with_new_version())
        actor, cli = operator(), ClientInfo.command_line()
        reports = await asyncio.gather(
            *(rotation.rewrap_all(runtime.database, actor=actor, client=cli, batch=1) for _ in range(2))
        )
        assert sum(r.rewrapped for r in reports) == 6
        assert {k.kek_version for k in (await _data_keys(runtime)).values()} == {2}

    async def test_an_interrupted_rewrap_resumes(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        for _ in range(4):
            await signed_in_player(client)
        runtime.keyring.replace(runtime.keyring.current().with_new_version())
        seen: list[tuple[int, int]] = []

        def stop_after_first_batch(done: int, total: int) -> None:
            seen.append((done, total))
            if done:
                raise KeyboardInterrupt

        actor, cli = operator(), ClientInfo.command_line()
        with pytest.raises(KeyboardInterrupt):
            await rotation.rewrap_all(
                runtime.database, actor=actor, client=cli, batch=3, on_progress=stop_after_first_batch
            )
        assert seen == [(0, 4), (3, 4)]
        versions = [k.kek_version for k in (await _data_keys(runtime)).values()]
        assert sorted(versions) == [1, 2, 2, 2]  # the first batch committed on its own
        report = await rotation.rewrap_all(runtime.database, actor=actor, client=cli, batch=3)
        assert (report.rewrapped, report.remaining) == (1, 0)


class TestRefusals:
    async def test_an_inline_keyring_cannot_be_rotated_or_retired(
        self, client: httpx.AsyncClient, runtime: Runtime, database_url: str, tmp_path: Path
    ) -> None:
        await signed_in_player(client)
        inline = runtime.keyring.current().with_new_version().to_json()
        for args in (["rotate"], ["retire", "1"]):
            result = await ainvoke(
                keys_app, args, database_url=database_url, data_dir=tmp_path, keyring=inline
            )
            assert result.exit_code == 1
            assert "CROUPIER_KEYRING" in result.stderr
        denied = await _audit(runtime, AuditAction.KEYRING_ROTATE)
        assert [(e.outcome, e.details["reason"]) for e in denied] == [("denied", "keyring_read_only")]

    async def test_a_rewrap_that_meets_a_damaged_key_stops_and_is_audited_as_failed(
        self, client: httpx.AsyncClient, runtime: Runtime, keys: Keys
    ) -> None:
        players = [await signed_in_player(client) for _ in range(3)]
        damaged = uuid.UUID(players[1].id)
        async with runtime.database.unit_of_work() as session:
            key = await session.get(PlayerDataKey, damaged)
            assert key is not None
            assert key.wrapped is not None
            key.wrapped = key.wrapped[:-1] + bytes([key.wrapped[-1] ^ 1])
        assert (await keys("rotate"))[0] == 0
        code, out = await keys("rewrap", "--batch", "1")
        assert code == 1
        assert "croupier: ciphertext failed authentication" in out
        failed = await _audit(runtime, AuditAction.KEYRING_REWRAP)
        assert [e.outcome for e in failed] == ["failure"]
        assert failed[0].details["version"] == 2
        assert (await _data_keys(runtime))[damaged].kek_version == 1  # its batch rolled back

    async def test_an_unknown_version_cannot_be_retired(self, keys: Keys) -> None:
        code, out = await keys("retire", "7")
        assert code == 1
        assert "KEK version 7 is not in the keyring" in out

    async def test_status_flags_data_keys_under_a_version_the_keyring_lost(
        self, client: httpx.AsyncClient, keys: Keys
    ) -> None:
        await signed_in_player(client)
        ring = keys.ring()
        # An operator restored an older keyring file by mistake: version 1 is gone.
        keys.keyring_path.write_text(
            Keyring(
                keks={2: ring.kek(1)}, blind_index_key=ring.blind_index_key, audit_key=ring.audit_key
            ).to_json()
        )
        code, out = await keys("status")
        assert code == 1
        assert "MISSING" in out

    async def test_status_never_prints_key_material(self, keys: Keys) -> None:
        ring = keys.ring()
        code, out = await keys("status")
        assert code == 0
        for key in (*ring.keks.values(), ring.blind_index_key, ring.audit_key):
            assert key.hex() not in out
            assert base64.b64encode(key).decode() not in out
