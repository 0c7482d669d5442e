"""KEK rotation: add a version, re-wrap every data key under it, retire the old one.

Three operator steps, each safe to repeat and each audited:

1. ``rotate`` adds a KEK version to the keyring file; new data keys wrap under it.
2. ``rewrap`` moves existing data keys onto the newest version, batch by batch,
   one transaction per batch, so it can stop and resume anywhere.
3. ``retire`` removes a version once no data key depends on it.

Staff TOTP secrets are sealed under the KEK directly (``staff.second_factor``): ``rewrap``
reseals them too, and ``retire`` refuses while any still depends on the version.

Only the wrapping changes: a data key keeps its bytes, so the personal fields it
sealed are never re-encrypted and never pass through plaintext outside memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction, Outcome
from croupier.crypto.service import keys_by_kek_version, rewrap_batch
from croupier.kit.client import ClientInfo
from croupier.kit.db import Database
from croupier.kit.errors import CroupierError
from croupier.kit.keyring import Keyring, KeyringError, KeyringSource, keyring_of
from croupier.staff import second_factor as staff_secrets

if sys.platform != "win32":
    import fcntl

# Running services re-read the keyring file at most once a second (keyring.py);
# waiting a little longer after a rotation means that, by the time the operator
# runs `rewrap`, every service can unwrap keys under the new version.
PROPAGATION_SECONDS = 1.5
DEFAULT_BATCH = 500


class KeyringReadOnly(KeyringError):
    code = "keyring_read_only"
    status = 409
    title = "The keyring cannot be changed here"


class RetireRefused(CroupierError):
    code = "kek_retire_refused"
    status = 409
    title = "KEK version cannot be retired"


@dataclass(frozen=True)
class VersionStatus:
    version: int
    data_keys: int
    in_keyring: bool
    newest: bool


@dataclass(frozen=True)
class KeyStatus:
    source: str
    writable: bool
    versions: list[VersionStatus]

    @property
    def unreadable(self) -> int:
        """Data keys wrapped under a version the keyring no longer holds."""
        return sum(v.data_keys for v in self.versions if not v.in_keyring)


def _describe(source: KeyringSource) -> str:
    return f"file {source.path}" if source.path is not None else "inline CROUPIER_KEYRING"


async def status(session: AsyncSession, *, source: KeyringSource) -> KeyStatus:
    ring = keyring_of(session)
    counts = await keys_by_kek_version(session)
    versions = [
        VersionStatus(
            version=v,
            data_keys=counts.get(v, 0),
            in_keyring=v in ring.keks,
            newest=v == ring.current_version,
        )
        for v in sorted(set(ring.keks) | set(counts))
    ]
    return KeyStatus(source=_describe(source), writable=source.writable, versions=versions)


def _writable_path(source: KeyringSource) -> Path:
    if source.path is None:
        raise KeyringReadOnly(
            "the keyring is given inline (CROUPIER_KEYRING), so Croupier cannot change it: "
            "change the secret in its store and restart, or use CROUPIER_KEYRING_FILE"
        )
    return source.path


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[Keyring]:
    """Hold the keyring file for a read-modify-write; yield a fresh copy of it.

    Two operators rotating at once would otherwise both add "version N+1" with
    different bytes, and the data keys one of them wrapped would be lost.
    """
    lock_path = path.with_name(f".{path.name}.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform != "win32":
            fcntl.flock(fd, fcntl.LOCK_EX)
        # Read the file itself, not the copy cached by the source.
        yield Keyring.from_json(path.read_text())
    finally:
        os.close(fd)  # closing releases the lock


async def rotate(session: AsyncSession, *, source: KeyringSource, actor: Actor, client: ClientInfo) -> int:
    """Add a KEK version to the keyring file; return it. New data keys wrap under it at once."""
    try:
        path = _writable_path(source)
    except KeyringReadOnly as refused:
        await _audit_refusal(
            session, AuditAction.KEYRING_ROTATE, actor=actor, client=client, error=refused, details={}
        )
        raise
    with _exclusive(path) as ring:
        rotated = ring.with_new_version()
        version = rotated.current_version
        # Buffered: written with the commit. If writing the file fails the entry is dropped.
        audit.record(
            session,
            AuditAction.KEYRING_ROTATE,
            actor=actor,
            target=Target("kek", str(version)),
            client=client,
            details={"new_version": version, "versions": sorted(rotated.keks)},
        )
        source.replace(rotated)
    return version


async def wait_for_propagation() -> None:
    await asyncio.sleep(PROPAGATION_SECONDS)


async def retire(
    session: AsyncSession, *, source: KeyringSource, version: int, actor: Actor, client: ClientInfo
) -> None:
    """Remove a KEK version, refusing while any data key is still wrapped under it."""
    details = {"version": version}
    try:
        path = _writable_path(source)
    except KeyringReadOnly as refused:
        await _audit_refusal(
            session, AuditAction.KEYRING_RETIRE, actor=actor, client=client, error=refused, details=details
        )
        raise
    with _exclusive(path) as ring:
        in_use = (await keys_by_kek_version(session)).get(version, 0)
        staff_in_use = (await staff_secrets.sealed_by_kek_version(session)).get(version, 0)
        refusal: CroupierError | None = None
        if version not in ring.keks:
            refusal = RetireRefused(f"KEK version {version} is not in the keyring")
        elif version == ring.current_version:
            refusal = RetireRefused(
                f"KEK version {version} is the newest and wraps new data keys: rotate first"
            )
        elif in_use:
            refusal = RetireRefused(
                f"{in_use} data key(s) are still wrapped under KEK version {version}: "
                "run `croupier keys rewrap` first"
            )
        elif staff_in_use:
            refusal = RetireRefused(
                f"{staff_in_use} staff TOTP secret(s) are still sealed under KEK version {version}: "
                "run `croupier keys rewrap` first"
            )
        if refusal is not None:
            await _audit_refusal(
                session,
                AuditAction.KEYRING_RETIRE,
                actor=actor,
                client=client,
                error=refusal,
                details={**details, "in_use": in_use},
            )
            raise refusal
        retired = ring.without_version(version)
        audit.record(
            session,
            AuditAction.KEYRING_RETIRE,
            actor=actor,
            target=Target("kek", str(version)),
            client=client,
            details={**details, "versions": sorted(retired.keks)},
        )
        source.replace(retired)


@dataclass(frozen=True)
class RewrapReport:
    kek_version: int
    rewrapped: int
    batches: int
    # Keys still under older versions when the run ended: held by a concurrent
    # rewrap, or written by a service that had not yet seen the newest version.
    remaining: int


async def _stale(session: AsyncSession) -> tuple[int, int]:
    current = keyring_of(session).current_version
    counts = await keys_by_kek_version(session)
    return current, sum(n for v, n in counts.items() if v != current)


async def rewrap_all(
    database: Database,
    *,
    actor: Actor,
    client: ClientInfo,
    batch: int = DEFAULT_BATCH,
    on_progress: Callable[[int, int], None] | None = None,
) -> RewrapReport:
    """Re-wrap every data key under the newest KEK, one transaction per batch.

    Idempotent and restartable: each batch commits on its own, rows another run
    holds are skipped, and keys already under the newest version are left alone.
    ``on_progress(done, total)`` is called at the start and after every batch.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    async with database.unit_of_work() as session:
        await staff_secrets.reseal_all(session)
        current, total = await _stale(session)
    done = batches = 0
    if on_progress is not None:
        on_progress(done, total)
    try:
        while True:
            async with database.unit_of_work() as session:
                count = await rewrap_batch(session, limit=batch)
            if count == 0:
                break
            done, batches = done + count, batches + 1
            if on_progress is not None:
                on_progress(done, max(total, done))
    except Exception:
        async with database.unit_of_work() as session:
            audit.record(
                session,
                AuditAction.KEYRING_REWRAP,
                actor=actor,
                outcome=Outcome.FAILURE,
                target=Target("kek", str(current)),
                client=client,
                details={"version": current, "rewrapped": done, "batches": batches},
            )
        raise
    async with database.unit_of_work() as session:
        current, remaining = await _stale(session)
        audit.record(
            session,
            AuditAction.KEYRING_REWRAP,
            actor=actor,
            target=Target("kek", str(current)),
            client=client,
            details={"version": current, "rewrapped": done, "batches": batches, "remaining": remaining},
        )
    return RewrapReport(kek_version=current, rewrapped=done, batches=batches, remaining=remaining)


async def _audit_refusal(
    session: AsyncSession,
    action: AuditAction,
    *,
    actor: Actor,
    client: ClientInfo,
    error: CroupierError,
    details: Mapping[str, object],
) -> None:
    """Refusals are kept although the command's own transaction rolls back."""
    await audit.record_now(
        session,
        action,
        actor=actor,
        outcome=Outcome.DENIED,
        client=client,
        details={**details, "reason": error.code},
    )
