"""Sanctions screening: importing lists, screening players, raising and clearing hits.

Screening reads a per-process ``ScreeningIndex`` of every listed person, rebuilt
when a newer import exists (the newest import's id is the list version). An
import screens every player again, but only against the entries it added or
changed; entries it removed close nothing (an analyst decides) and are counted.

A hit is one player, one entry and one version of that entry (its content
hash). It opens a risk alert of typology ``sanctions``; at or above the block
threshold it also refuses the player's deposits and withdrawals until an
analyst clears it. A cleared hit stays cleared for that version: the same
entry, unchanged, raises nothing again; a changed entry is a new version.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor, Target
from croupier.audit.tags import AuditAction
from croupier.identity import players
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.errors import Conflict, NotFound
from croupier.kit.jsonb import plain
from croupier.kit.settings import Settings
from croupier.risk.alerts import raise_alert
from croupier.risk.sanctions import repository
from croupier.risk.sanctions.formats import ListFormat
from croupier.risk.sanctions.formats.read import ListFile
from croupier.risk.sanctions.matching import Listed, Match, ScreeningIndex, Subject
from croupier.risk.sanctions.models import (
    HitStatus,
    SanctionsEntry,
    SanctionsHit,
    SanctionsImport,
    ScreeningTrigger,
)
from croupier.risk.typologies import Typology

SOURCE = "sanctions:screening@1"
# Candidates below this are not worth keeping in a screening record.
RECORD_FLOOR = 0.5
BEST_KEPT = 3


class HitNotFound(NotFound):
    code = "sanctions_hit_not_found"
    title = "No such sanctions hit"


class HitAlreadyCleared(Conflict):
    code = "sanctions_hit_already_cleared"
    title = "The sanctions hit is cleared already"


@dataclass(frozen=True)
class ImportReport:
    import_id: int
    source: str
    format: str
    file_name: str
    sha256: str
    total: int
    added: int
    changed: int
    removed: int
    unchanged: int
    players_screened: int
    hits: int
    open_hits_on_removed: int


@dataclass(frozen=True)
class ScreeningOutcome:
    screening_id: int
    top_score: float
    hits: list[uuid.UUID]  # new hits only
    blocking: bool


# ---------------------------------------------------------------- the index, per process


_INDEXES: dict[str, ScreeningIndex] = {}


def _listed(entry: SanctionsEntry) -> Listed:
    return Listed(
        entry_id=entry.id,
        content_hash=entry.content_hash,
        names=(entry.name, *entry.aliases),
        birth_dates=tuple(entry.birth_dates),
        countries=tuple(entry.countries),
    )


async def current_index(session: AsyncSession) -> ScreeningIndex:
    """The index of every listed person at the newest list version, built once per version."""
    version = await repository.list_version(session)
    # One cache per database: a process may talk to several (the tests do).
    bind = session.get_bind()
    key = (bind.engine if isinstance(bind, Connection) else bind).url.render_as_string(hide_password=True)
    cached = _INDEXES.get(key)
    if cached is not None and cached.version == version:
        return cached
    entries = await repository.screenable_entries(session)
    index = ScreeningIndex((_listed(e) for e in entries), version=version)
    _INDEXES[key] = index
    return index


# ---------------------------------------------------------------- screening


async def search(session: AsyncSession, subject: Subject, *, limit: int = 5) -> list[Match]:
    """The best candidates for ``subject`` on the current lists; nothing is stored."""
    index = await current_index(session)
    return index.search(subject, floor=RECORD_FLOOR, limit=limit)


async def screen(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    subject: Subject,
    trigger: ScreeningTrigger,
    settings: Settings,
    index: ScreeningIndex | None = None,
    matches: Sequence[Match] | None = None,
) -> ScreeningOutcome:
    """Screen one player, store the result, and open a hit (and alert) per entry above the threshold.

    ``index`` defaults to the current lists; an import passes the entries it changed.
    ``matches`` are used as they are when the caller searched already.
    """
    index = index or await current_index(session)
    if matches is None:
        matches = index.search(subject, floor=RECORD_FLOOR, limit=BEST_KEPT + 2)
    top = matches[0].score if matches else 0.0
    screening_id = await repository.add_screening(
        session,
        {
            "player_id": player_id,
            "trigger": str(trigger),
            "list_version": index.version,
            "top_score": top,
            "best": plain([_described(m) for m in matches[:BEST_KEPT]]),
        },
    )
    new_hits: list[uuid.UUID] = []
    blocking = False
    for match in matches:
        if match.score < settings.sanctions_alert_threshold:
            break
        hit_blocks = match.score >= settings.sanctions_block_threshold
        hit_id = await repository.claim_hit(
            session,
            {
                "id": uuid.uuid4(),
                "player_id": player_id,
                "entry_id": match.entry.entry_id,
                "entry_hash": match.entry.content_hash,
                "screening_id": screening_id,
                "score": match.score,
                "reasons": plain(list(match.reasons)),
                "blocking": hit_blocks,
                "status": HitStatus.OPEN,
            },
        )
        if hit_id is None:
            continue  # raised before for this version of the entry: open, or cleared by an analyst
        alert_id = await raise_alert(
            session,
            player_id=player_id,
            typology=Typology.SANCTIONS,
            source=SOURCE,
            score=match.score,
            reasons=[
                f"entry:{match.entry.entry_id}",
                *match.reasons,
                *(["payments_blocked"] if hit_blocks else []),
            ],
            event_ids=[],
            dedupe_key=f"sanctions:hit:{hit_id}",
        )
        await repository.set_alert(session, hit_id, alert_id)
        audit.record(
            session,
            AuditAction.SANCTIONS_HIT,
            actor=Actor.system(),
            target=Target.player(player_id),
            details={
                "hit_id": str(hit_id),
                "entry_id": str(match.entry.entry_id),
                "score": f"{match.score:.4f}",
                "blocking": hit_blocks,
                "trigger": str(trigger),
            },
        )
        new_hits.append(hit_id)
        blocking |= hit_blocks
    return ScreeningOutcome(screening_id=screening_id, top_score=top, hits=new_hits, blocking=blocking)


def _described(match: Match) -> dict[str, object]:
    return {
        "entry_id": str(match.entry.entry_id),
        "score": f"{match.score:.4f}",
        "name_score": f"{match.name_score:.4f}",
        "matched_name": match.matched_name,  # the list's spelling, public; never the player's
        "reasons": list(match.reasons),
    }


async def screen_player(
    session: AsyncSession,
    *,
    player_id: uuid.UUID,
    full_name: str,
    date_of_birth: date | None,
    country: str | None,
    trigger: ScreeningTrigger,
    settings: Settings,
) -> ScreeningOutcome:
    """Screen a player by the name given (at registration, after a change of name)."""
    subject = Subject(name=full_name, date_of_birth=date_of_birth, country=country)
    return await screen(session, player_id=player_id, subject=subject, trigger=trigger, settings=settings)


# ---------------------------------------------------------------- imports


async def import_list(
    session: AsyncSession, *, listing: ListFile, settings: Settings, actor: Actor, client: ClientInfo
) -> ImportReport:
    """Store a parsed file as its source's current list; screen every player against what changed."""
    source = ListFormat(listing.format).source
    now = utcnow()
    stored = await repository.entries_of(session, str(source))
    record = await repository.add_import(
        session,
        {
            "source": str(source),
            "format": str(listing.format),
            "file_name": listing.file_name[:255],
            "file_sha256": listing.sha256,
            "imported_at": now,
            "imported_by": (actor.id or str(actor.type))[:64],
            "total": len(listing.entries),
            "added": 0,
            "changed": 0,
            "removed": 0,
            "unchanged": 0,
        },
    )
    new_rows: list[dict[str, object]] = []
    touched: list[uuid.UUID] = []
    changed = unchanged = 0
    for entry in listing.entries:
        digest = entry.content_hash()
        values: dict[str, object] = {
            "kind": str(entry.kind),
            "name": entry.name,
            "aliases": list(entry.aliases),
            "birth_dates": list(entry.birth_dates),
            "countries": list(entry.countries),
            "programs": list(entry.programs),
            "reference": entry.reference[:128] if entry.reference else None,
            "content_hash": digest,
        }
        known = stored.pop(entry.source_id, None)
        if known is None:
            entry_id = uuid.uuid4()
            new_rows.append(
                {
                    "id": entry_id,
                    "source": str(source),
                    "source_id": entry.source_id[:64],
                    "first_import_id": record.id,
                    "changed_import_id": record.id,
                    **values,
                }
            )
            touched.append(entry_id)
        elif known.content_hash != digest or known.removed:
            await repository.update_entry(session, known.id, {**values, "changed_import_id": record.id})
            touched.append(known.id)
            changed += 1
        else:
            unchanged += 1
    await repository.insert_entries(session, new_rows)
    gone = [e.id for e in stored.values() if not e.removed]
    await repository.mark_removed(session, gone, now)
    screened, hits = await _rescreen(session, settings=settings, entry_ids=touched, version=record.id)
    record.added, record.changed, record.removed, record.unchanged = (
        len(new_rows),
        changed,
        len(gone),
        unchanged,
    )
    record.players_screened, record.hits = screened, hits
    await session.flush()
    report = ImportReport(
        import_id=record.id,
        source=str(source),
        format=str(listing.format),
        file_name=record.file_name,
        sha256=listing.sha256,
        total=record.total,
        added=record.added,
        changed=changed,
        removed=len(gone),
        unchanged=unchanged,
        players_screened=screened,
        hits=hits,
        open_hits_on_removed=await repository.open_hits_on_removed_entries(session, gone),
    )
    audit.record(
        session,
        AuditAction.SANCTIONS_IMPORT,
        actor=actor,
        client=client,
        details={
            "import_id": report.import_id,
            "source": report.source,
            "sha256": report.sha256,
            "added": report.added,
            "changed": report.changed,
            "removed": report.removed,
            "unchanged": report.unchanged,
            "hits": report.hits,
        },
    )
    return report


async def _rescreen(
    session: AsyncSession, *, settings: Settings, entry_ids: Sequence[uuid.UUID], version: int
) -> tuple[int, int]:
    """Screen every player against the entries ``entry_ids`` (listed persons only); (players, new hits)."""
    entries = await repository.screenable_entries(session, entry_ids) if entry_ids else []
    if not entries:
        return 0, 0
    index = ScreeningIndex((_listed(e) for e in entries), version=version)
    screened = hits = 0
    async for person in players.names_on_file(session):
        screened += 1
        subject = Subject(person.full_name, person.date_of_birth, person.country)
        matches = index.search(subject, floor=RECORD_FLOOR, limit=BEST_KEPT + 2)
        if not matches:
            continue  # nothing resembles this player among the changes: no record needed
        outcome = await screen(
            session,
            player_id=person.player_id,
            subject=subject,
            trigger=ScreeningTrigger.LIST_IMPORT,
            settings=settings,
            index=index,
            matches=matches,
        )
        hits += len(outcome.hits)
    return screened, hits


async def imports(session: AsyncSession, *, limit: int = 20) -> Sequence[SanctionsImport]:
    return await repository.imports(session, limit=limit)


# ---------------------------------------------------------------- hits


async def hits(
    session: AsyncSession,
    *,
    player_id: uuid.UUID | None = None,
    status: HitStatus | None = None,
    limit: int = 100,
) -> Sequence[tuple[SanctionsHit, SanctionsEntry]]:
    return await repository.hits(session, player_id=player_id, status=status, limit=limit)


async def clear(
    session: AsyncSession, *, hit_id: uuid.UUID, reason: str, actor: Actor, client: ClientInfo
) -> SanctionsHit:
    """An analyst's decision that the player is not the listed person: payments resume."""
    hit = await repository.hit_for_update(session, hit_id)
    if hit is None:
        raise HitNotFound(f"No sanctions hit {hit_id}.")
    if hit.status == HitStatus.CLEARED:
        raise HitAlreadyCleared(f"The hit {hit_id} was cleared already.")
    hit.status = HitStatus.CLEARED
    hit.cleared_at = utcnow()
    hit.cleared_by = (actor.id or str(actor.type))[:64]
    hit.cleared_reason = reason
    await session.flush()
    audit.record(
        session,
        AuditAction.SANCTIONS_CLEAR,
        actor=actor,
        target=Target.player(hit.player_id),
        client=client,
        details={"hit_id": str(hit.id), "entry_id": str(hit.entry_id), "reason": reason},
    )
    return hit
