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

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import repository
from croupier.audit.models import AuditEvent
from croupier.audit.tags import ActorType, AuditAction, Outcome
from croupier.crypto.service import keyring_of
from croupier.kit.client import ClientInfo
from croupier.kit.db import autonomous_unit_of_work, before_commit
from croupier.kit.metrics import AUDIT_EVENTS
from croupier.kit.scrub import scrub

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
    def system(cls) -> Actor:
        return cls(ActorType.SYSTEM)


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


def _plain(value: Any) -> Any:
    """JSONB round-trips only these exactly; anything else is stored as text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


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
        "user_agent": client.user_agent if client else None,
        "details": _plain(scrub(dict(details or {}))),
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
    for entry in pending.entries:
        seq += 1
        entry["seq"] = seq
        digest = link(key, prev, entry)
        repository.add(session, AuditEvent(**entry, prev_hash=prev, hash=digest))
        AUDIT_EVENTS.labels(entry["action"]).inc()
        _log.info("audit", seq=seq, action=entry["action"], outcome=entry["outcome"], link=digest.hex())
        prev = digest
    head.seq, head.hash = seq, prev
    await session.flush()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    head_seq: int
    first_bad_seq: int | None = None
    reason: str | None = None


async def verify(session: AsyncSession, *, checkpoint: tuple[int, bytes] | None = None) -> Verdict:
    """Walk the chain from the start; name the first entry that does not fit."""
    key = keyring_of(session).audit_key
    expected_seq, prev, checked = 1, GENESIS, 0
    anchor_seen = checkpoint is None
    async for event in repository.stream(session):
        if event.seq != expected_seq:
            return Verdict(
                False, checked, expected_seq - 1, expected_seq, f"entry {expected_seq} is missing (deleted)"
            )
        entry = {
            c: getattr(event, c)
            for c in (
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
        }
        if event.prev_hash != prev:
            return Verdict(
                False,
                checked,
                event.seq,
                event.seq,
                f"entry {event.seq} does not link to entry {event.seq - 1}",
            )
        if not hmac.compare_digest(link(key, prev, entry), event.hash):
            return Verdict(False, checked, event.seq, event.seq, f"entry {event.seq} was altered or inserted")
        if checkpoint is not None and event.seq == checkpoint[0]:
            if not hmac.compare_digest(event.hash, checkpoint[1]):
                return Verdict(
                    False, checked, event.seq, event.seq, f"entry {event.seq} differs from the checkpoint"
                )
            anchor_seen = True
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = await repository.get_head(session)
    last = expected_seq - 1
    if head.seq != last or head.hash != prev:
        return Verdict(
            False,
            checked,
            last,
            last + 1,
            f"entries after {last} are missing: the head names entry {head.seq}",
        )
    if not anchor_seen and checkpoint is not None:
        return Verdict(
            False, checked, last, last + 1, f"checkpoint entry {checkpoint[0]} is missing (tail deleted)"
        )
    return Verdict(True, checked, last)
