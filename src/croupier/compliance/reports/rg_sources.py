"""Where the responsible-gambling report finds its rows: sources the owning domains provide.

Limits, time-outs, self-exclusions and register blocks each live in the domain that
enforces them; the report reads none of their tables. A domain writes one source per
kind of intervention, reading through its own repository::

    async def limit_changes(session, *, start, end) -> Sequence[RgRow]:
        return [RgEntry(c.at, c.player_id, _kind(c), _detail(c))
                for c in await repository.changes_between(session, start, end)]

and adds a line to ``rg_installed.install`` (as privacy's ``gdpr/sections.py`` does for
its hooks), so that every process, the API and ``croupier reports rg`` alike, has the
same sources. A source returns what happened in ``[start, end)`` (UTC instants);
``detail`` says what changed in a few words, never personal data.
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
_installed = False


def register(name: str, source: RgSource) -> None:
    if name in _SOURCES and _SOURCES[name] is not source:
        raise ValueError(f"rg report source {name!r} is registered twice")
    _SOURCES[name] = source


def registered() -> dict[str, RgSource]:
    """The sources by name, in name order."""
    global _installed  # noqa: PLW0603 - the built-in sources are registered once per process
    if not _installed:
        _installed = True
        from croupier.compliance.reports import rg_installed

        rg_installed.install()
    return dict(sorted(_SOURCES.items()))
