"""Record audit events into the hash chain, and verify the chain.

Entries are buffered on the session and appended just before it commits, so
the chain's single head row is locked only for the length of the append, and
an entry exists exactly when the change it describes does. ``record_now``
writes in a transaction of its own, for failures the request will roll back.

Each link is HMAC-SHA256(audit key, previous link || canonical entry). The key
lives in the keyring, not the database, so someone who can write to the
database cannot forge a consistent chain after changing an entry.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import repository
from croupier.audit.models import AuditEvent
from croupier.audit.tags import ActorType, AuditAction, Outcome
from croupier.kit.client import ClientInfo
from croupier.kit.db import after_commit, autonomous_unit_of_work, before_commit
from croupier.kit.jsonb import plain
from croupier.kit.keyring import keyring_of
from croupier.kit.metrics import AUDIT_EVENTS
from croupier.kit.scrub import scrub, scrub_text

GENESIS = bytes(32)
_PENDING = "croupier.audit.pending"
_log = structlog.get_logger("croupier.audit")


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: str | None = None

    @classmethod
    def player(cls, player_id: object) -> Actor:
        return cls(ActorType.PLAYER, str(player_id))

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(ActorType.ANONYMOUS)

    @classmethod
    def operator(cls, name: str) -> Actor:
        return cls(ActorType.OPERATOR, name[:64])

    @classmethod
    def staff(cls, name: str) -> Actor:
        return cls(ActorType.STAFF, name[:64])

    @classmethod
    def provider(cls, name: str) -> Actor:
        return cls(ActorType.PROVIDER, name[:64])

    @classmethod
    def client(cls, client_id: str) -> Actor:
        return cls(ActorType.CLIENT, client_id[:64])

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorType.SYSTEM)


def operator() -> Actor:
    """The person at the command line, as the operating system names them."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        name = f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return Actor.operator(name)


@dataclass(frozen=True)
class Target:
    type: str
    id: str

    @classmethod
    def player(cls, player_id: object) -> Target:
        return cls("player", str(player_id))


@dataclass
class _Pending:
    entries: list[dict[str, Any]] = field(default_factory=list)


def record(
    session: AsyncSession,
    action: AuditAction,
    *,
    actor: Actor,
    outcome: Outcome = Outcome.SUCCESS,
    target: Target | None = None,
    client: ClientInfo | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Add an entry that is written if, and only if, the session commits."""
    entry = {
        "occurred_at": datetime.now(UTC),
        "action": str(action),
        "outcome": str(outcome),
        "actor_type": str(actor.type),
        "actor_id": actor.id,
        "target_type": target.type if target else None,
        "target_id": target.id if target else None,
        "ip": client.ip if client else None,
        # Chosen by the client, so it may carry anything, a card number included.
        "user_agent": scrub_text(client.user_agent) if client and client.user_agent else None,
        "details": plain(scrub(dict(details or {}))),
    }
    pending: _Pending = session.info.setdefault(_PENDING, _Pending())
    pending.entries.append(entry)
    before_commit(session, "audit", _append_pending)


async def record_now(
    session: AsyncSession,
    action: AuditAction,
    *,
    actor: Actor,
    outcome: Outcome = Outcome.SUCCESS,
    target: Target | None = None,
    client: ClientInfo | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Write an entry in its own transaction, kept even if ``session`` rolls back."""
    async with autonomous_unit_of_work(session) as other:
        record(other, action, actor=actor, outcome=outcome, target=target, client=client, details=details)


def canonical(entry: Mapping[str, Any]) -> bytes:
    occurred_at: datetime = entry["occurred_at"]
    doc = {
        "seq": entry["seq"],
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": entry["action"],
        "outcome": entry["outcome"],
        "actor_type": entry["actor_type"],
        "actor_id": entry["actor_id"],
        "target_type": entry["target_type"],
        "target_id": entry["target_id"],
        "ip": entry["ip"],
        "user_agent": entry["user_agent"],
        "details": entry["details"],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(key: bytes, prev_hash: bytes, entry: Mapping[str, Any]) -> bytes:
    return hmac.new(key, prev_hash + canonical(entry), hashlib.sha256).digest()


async def _append_pending(session: AsyncSession) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None or not pending.entries:
        return
    key = keyring_of(session).audit_key
    head = await repository.lock_head(session)
    seq, prev = head.seq, head.hash
    links: list[tuple[int, str, str, str]] = []
    for entry in pending.entries:
        seq += 1
        entry["seq"] = seq
        digest = link(key, prev, entry)
        repository.add(session, AuditEvent(**entry, prev_hash=prev, hash=digest))
        links.append((seq, entry["action"], entry["outcome"], digest.hex()))
        prev = digest
    head.seq, head.hash = seq, prev
    await session.flush()

    async def _report() -> None:
        # Only once committed: each logged link is an off-database witness of the chain.
        for seq_, action, outcome, digest_hex in links:
            AUDIT_EVENTS.labels(action).inc()
            _log.info("audit", seq=seq_, action=action, outcome=outcome, link=digest_hex)

    after_commit(session, "audit", _report)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    # Entries that verified, and the seq of the last of them (0 for none).
    checked: int
    head_seq: int
    first_bad_seq: int | None = None
    reason: str | None = None


_LINKED_COLUMNS = (
    "seq",
    "occurred_at",
    "action",
    "outcome",
    "actor_type",
    "actor_id",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "details",
)


def _misfit(
    key: bytes, event: AuditEvent, expected_seq: int, prev: bytes, *, checkpoint: tuple[int, bytes] | None
) -> str | None:
    """Why ``event`` cannot be entry ``expected_seq`` following link ``prev``; None if it can."""
    if event.seq != expected_seq:
        return f"entry {expected_seq} is missing (deleted)"
    if not hmac.compare_digest(event.prev_hash, prev):
        return f"entry {event.seq} does not link to entry {event.seq - 1}: an entry was removed or replaced"
    entry = {c: getattr(event, c) for c in _LINKED_COLUMNS}
    if not hmac.compare_digest(link(key, prev, entry), event.hash):
        reason = f"entry {event.seq} was altered or inserted: its link does not match its content"
        if event.seq == 1:
            reason += " (or this keyring's audit key is not the one that wrote the log)"
        return reason
    if checkpoint and event.seq == checkpoint[0] and not hmac.compare_digest(event.hash, checkpoint[1]):
        return f"entry {event.seq} differs from the checkpoint"
    return None


async def verify(session: AsyncSession, *, checkpoint: tuple[int, bytes] | None = None) -> Verdict:
    """Walk the chain from the start; name the first entry that does not fit.

    ``checkpoint`` is a ``(seq, hash)`` recorded earlier (``croupier audit head``)
    and kept where the database's writers cannot reach: a chain cut back to
    before it, with the head row rewound to match, is otherwise self-consistent.
    """
    key = keyring_of(session).audit_key
    # The head is read first: every entry it names committed with it, so the walk
    # below must reach it. Entries appended meanwhile are simply walked as well.
    head = await repository.get_head(session)
    anchors = {head.seq} | ({checkpoint[0]} if checkpoint else set())
    seen = {0: GENESIS}  # the links at the anchors, as the walk finds them
    expected_seq, prev, checked = 1, GENESIS, 0
    async for event in repository.stream(session):
        reason = _misfit(key, event, expected_seq, prev, checkpoint=checkpoint)
        if reason is not None:
            return Verdict(False, checked, expected_seq - 1, expected_seq, reason)
        if event.seq in anchors:
            seen[event.seq] = event.hash
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    last = expected_seq - 1
    if head.seq > last:
        reason = (
            f"entries {last + 1} to {head.seq} are missing: the chain ends at {last} "
            f"but the head names entry {head.seq}"
        )
        return Verdict(False, checked, last, last + 1, reason)
    if not hmac.compare_digest(seen[head.seq], head.hash):
        return Verdict(False, checked, last, head.seq, f"the head does not match entry {head.seq}")
    if checkpoint is not None:
        cp_seq, cp_hash = checkpoint
        if cp_seq > last:
            reason = f"checkpoint entry {cp_seq} is missing: the chain ends at {last} (tail deleted)"
            return Verdict(False, checked, last, last + 1, reason)
        if not hmac.compare_digest(seen[cp_seq], cp_hash):
            return Verdict(False, checked, last, cp_seq, f"entry {cp_seq} differs from the checkpoint")
    return Verdict(True, checked, last)


def parse_checkpoint(text: str) -> tuple[int, bytes]:
    """``SEQ:HEXHASH`` as printed by ``croupier audit head``."""
    seq_text, sep, hash_text = text.strip().partition(":")
    try:
        seq, digest = int(seq_text), bytes.fromhex(hash_text)
    except ValueError:
        raise ValueError("a checkpoint is SEQ:HEXHASH, as printed by `croupier audit head`") from None
    if not sep or seq < 0 or len(digest) != len(GENESIS):
        raise ValueError(
            "a checkpoint is SEQ:HEXHASH with a 64-digit hash, as printed by `croupier audit head`"
        )
    return seq, digest


async def head(session: AsyncSession) -> tuple[int, bytes]:
    """The newest link, to be recorded off-site as a checkpoint."""
    row = await repository.get_head(session)
    return row.seq, row.hash


async def events(
    session: AsyncSession,
    *,
    target_type: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    action_prefix: str | None = None,
    actor_id: str | None = None,
    limit: int = 50,
) -> Sequence[AuditEvent]:
    """The newest entries first, optionally for one target, one actor, one action or a family of them."""
    return await repository.list_events(
        session,
        target_type=target_type,
        target_id=target_id,
        action=action,
        action_prefix=action_prefix,
        actor_id=actor_id,
        limit=limit,
    )


async def trail_of_player(
    session: AsyncSession, player_id: object, *, since: datetime, limit: int = 200
) -> Sequence[AuditEvent]:
    """What was done by or to a player since ``since``, newest first (for staff; the caller audits)."""
    return await repository.recent_about(
        session, subject_type=str(ActorType.PLAYER), subject_id=str(player_id), since=since, limit=limit
    )
