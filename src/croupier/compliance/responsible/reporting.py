"""Limit changes as responsible-gambling interventions for the regulator's ``rg`` report
(installed as the source ``limits`` by ``compliance/reports/rg_installed.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.reports.rg_sources import RgEntry, RgRow
from croupier.compliance.responsible import repository
from croupier.compliance.responsible.models import Change, LimitKind, RgLimitChange


def _kind(change: RgLimitChange) -> str:
    """``limit_set``, ``limit_decrease``, ``limit_increase_requested``, ``limit_removal_requested``,
    ``limit_increase_confirmed``, ``limit_removal_confirmed``."""
    if change.change == Change.SET:
        return "limit_set" if change.previous is None else "limit_decrease"
    what = "removal" if change.amount is None else "increase"
    return f"limit_{what}_{change.change}"


def _detail(change: RgLimitChange) -> str:
    unit = "minutes" if change.kind == LimitKind.SESSION else change.currency
    amount = "none" if change.amount is None else str(change.amount)
    previous = "none" if change.previous is None else str(change.previous)
    return f"{change.kind} {change.period} {unit}: {previous} -> {amount}"


async def limit_changes(session: AsyncSession, *, start: datetime, end: datetime) -> Sequence[RgRow]:
    return [
        RgEntry(change.at, change.player_id, _kind(change), _detail(change))
        for change in await repository.changes_between(session, start, end)
    ]
