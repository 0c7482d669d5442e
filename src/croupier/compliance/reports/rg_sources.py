"""Where the responsible-gambling report finds its rows: sources the owning domains register.

Limits, time-outs, self-exclusions and register blocks each live in the domain that
enforces them; the report reads none of their tables. Each domain registers one source
per kind of intervention, in a module its endpoints and commands import (so that both
the API and ``croupier reports rg`` see it)::

    from croupier.compliance.reports.rg_sources import RgEntry, register

    async def limit_changes(session, *, start, end):
        return [RgEntry(row.changed_at, row.player_id, "limit_decrease", "deposit daily EUR 5000")
                for row in await repository.limit_changes(session, start=start, end=end)]

    register("limits", limit_changes)

A source returns what happened in ``[start, end)`` (UTC instants). ``detail`` says what
changed in a few words, never personal data: the report goes to a regulator.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class RgRow(Protocol):
    """One intervention: a limit change, a time-out, a self-exclusion, a register block …"""

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def player_id(self) -> uuid.UUID: ...

    @property
    def kind(self) -> str:
        """What happened, as a stable snake_case word, e.g. ``self_exclusion_started``."""
        ...

    @property
    def detail(self) -> str:
        """What changed, briefly (period, limit and amount …); no personal data."""
        ...


@dataclass(frozen=True)
class RgEntry:
    """A ready-made ``RgRow``."""

    occurred_at: datetime
    player_id: uuid.UUID
    kind: str
    detail: str = ""


class RgSource(Protocol):
    async def __call__(self, session: AsyncSession, *, start: datetime, end: datetime) -> Sequence[RgRow]: ...


_SOURCES: dict[str, RgSource] = {}


def register(name: str, source: RgSource) -> None:
    """Add (or, on a re-import, replace) the source called ``name``."""
    _SOURCES[name] = source


def registered() -> dict[str, RgSource]:
    """The sources by name, in name order."""
    return dict(sorted(_SOURCES.items()))
