"""The audit log as staff read it: the latest entries, filtered, and the chain's verification.

Entries hold IP addresses, user agents and staff emails, so every read is itself audited
(``audit:log:read``, with the filter used), in the reading request's transaction; so is
every verification run from the console, with its verdict (``audit:chain:verify``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.models import AuditEvent
from croupier.audit.service import Actor, Verdict
from croupier.audit.tags import AuditAction
from croupier.kit.client import ClientInfo
from croupier.kit.errors import CroupierError

SHOWN = 100


class InvalidCheckpoint(CroupierError):
    code = "invalid_checkpoint"
    status = 422
    title = "A checkpoint is SEQ:HEXHASH, as the head is shown (a 64-digit hash)"


@dataclass(frozen=True)
class Filter:
    """What a reader narrowed the log to; blank means any."""

    action_prefix: str = ""
    actor_id: str = ""
    target_id: str = ""

    def as_details(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value}


@dataclass(frozen=True)
class Head:
    seq: int
    hash_hex: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash_hex}"


async def read(
    session: AsyncSession, *, reader: Actor, client: ClientInfo, chosen: Filter, limit: int = SHOWN
) -> Sequence[AuditEvent]:
    """The newest entries matching ``chosen``; the read is audited with the filter and the count."""
    entries = await audit.events(
        session,
        action_prefix=chosen.action_prefix or None,
        actor_id=chosen.actor_id or None,
        target_id=chosen.target_id or None,
        limit=limit,
    )
    audit.record(
        session,
        AuditAction.AUDIT_LOG_READ,
        actor=reader,
        client=client,
        details={"filter": chosen.as_details(), "entries": len(entries)},
    )
    return entries


async def head(session: AsyncSession) -> Head:
    """The newest link, to copy off-site as a checkpoint for a later verification."""
    seq, digest = await audit.head(session)
    return Head(seq, digest.hex())


async def verify(
    session: AsyncSession, *, reader: Actor, client: ClientInfo, checkpoint: str = ""
) -> Verdict:
    """Walk the whole chain (against ``checkpoint`` if given); the run and its verdict are audited."""
    anchor = None
    if checkpoint.strip():
        try:
            anchor = audit.parse_checkpoint(checkpoint)
        except ValueError:
            raise InvalidCheckpoint() from None
    verdict = await audit.verify(session, checkpoint=anchor)
    audit.record(
        session,
        AuditAction.AUDIT_CHAIN_VERIFY,
        actor=reader,
        client=client,
        details={
            "ok": verdict.ok,
            "checked": verdict.checked,
            "first_bad_seq": verdict.first_bad_seq,
            "checkpoint_seq": anchor[0] if anchor else None,
        },
    )
    return verdict
