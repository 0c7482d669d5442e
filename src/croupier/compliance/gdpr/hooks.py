"""Where other domains plug into privacy requests.

Each domain that holds personal data contributes, through its own functions:

- an **export section** (article 15 and 20): ``async (session, player_id) -> JSON`` value,
  put in the archive under its name;
- an **eraser** (article 17): ``async (session, player_id) -> {what: count}``, which removes
  or blanks what the law does not require to keep, in the erasure's transaction;
- a **retention sweep**: ``async (session, cutoff) -> count`` removing what is older than
  ``cutoff``, which is now minus the period its activity has in the record of processing.

The built-in domains register in ``sections.py``; a new domain adds its lines there, and
its activity to the record of processing in ``processing.py`` (with ``OnErasure.HELD`` for
records the AML law keeps, such as KYC decisions: erasure responses list them as held).
The README's copy of that table is checked against ``croupier gdpr processing``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.gdpr.processing import activity_named

ExportSection = Callable[[AsyncSession, uuid.UUID], Awaitable[Any]]
Eraser = Callable[[AsyncSession, uuid.UUID], Awaitable[Mapping[str, int]]]
RetentionSweep = Callable[[AsyncSession, datetime], Awaitable[int]]


@dataclass(frozen=True)
class Retention:
    activity: str  # its name in the record of processing, which gives the period
    sweep: RetentionSweep


_sections: dict[str, ExportSection] = {}
_erasers: dict[str, Eraser] = {}
_retention: dict[str, Retention] = {}
_installed = False


def register_export_section(name: str, section: ExportSection) -> None:
    if name in _sections and _sections[name] is not section:
        raise ValueError(f"export section {name!r} is registered twice")
    _sections[name] = section


def register_eraser(name: str, eraser: Eraser) -> None:
    if name in _erasers and _erasers[name] is not eraser:
        raise ValueError(f"eraser {name!r} is registered twice")
    _erasers[name] = eraser


def register_retention(name: str, *, activity: str, sweep: RetentionSweep) -> None:
    if activity_named(activity).period is None:
        raise ValueError(f"activity {activity!r} has no retention period to sweep by")
    if name in _retention and _retention[name].sweep is not sweep:
        raise ValueError(f"retention sweep {name!r} is registered twice")
    _retention[name] = Retention(activity=activity, sweep=sweep)


def _install() -> None:
    global _installed  # noqa: PLW0603 - registration happens once per process
    if not _installed:
        _installed = True
        from croupier.compliance.gdpr import sections

        sections.install()


def export_sections() -> dict[str, ExportSection]:
    _install()
    return dict(sorted(_sections.items()))


def erasers() -> dict[str, Eraser]:
    _install()
    return dict(sorted(_erasers.items()))


def retention_sweeps() -> dict[str, Retention]:
    _install()
    return dict(sorted(_retention.items()))
