"""Time-outs, self-exclusions and register blocks as interventions for the regulator's ``rg``
report (installed as the source ``exclusions`` by ``compliance/reports/rg_installed.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.compliance.reports.rg_sources import RgEntry, RgRow
from croupier.compliance.responsible.exclusions import repository
from croupier.compliance.responsible.exclusions.models import Exclusion, ExclusionKind

_STARTED = {
    ExclusionKind.TIME_OUT: "time_out_started",
    ExclusionKind.SELF_EXCLUSION: "self_exclusion_started",
    ExclusionKind.REGISTER: "register_block",
}


def _chosen(exclusion: Exclusion) -> str:
    if exclusion.kind == ExclusionKind.REGISTER:
        return "national self-exclusion register"
    if exclusion.ends_at is None:
        return "indefinite"
    return f"{exclusion.period} until {exclusion.ends_at.isoformat()}"


async def exclusion_changes(session: AsyncSession, *, start: datetime, end: datetime) -> Sequence[RgRow]:
    """``time_out_started``, ``self_exclusion_started`` and ``register_block`` when one begins, with the
    period chosen and its end; ``return_requested`` when a player asks to come back after the end of a
    self-exclusion, with when gambling reopens (after the cooling-off)."""
    rows: list[RgRow] = []
    for exclusion in await repository.changed_between(session, start, end):
        if start <= exclusion.started_at < end:
            rows.append(
                RgEntry(
                    exclusion.started_at,
                    exclusion.player_id,
                    _STARTED[ExclusionKind(exclusion.kind)],
                    _chosen(exclusion),
                )
            )
        asked = exclusion.return_requested_at
        if asked is not None and start <= asked < end:
            detail = f"{exclusion.kind} reopens {exclusion.blocks_until.isoformat()}"
            rows.append(RgEntry(asked, exclusion.player_id, "return_requested", detail))
    return rows
