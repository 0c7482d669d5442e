"""What a rule set would have decided: stored events replayed through a fresh feature state.

The replay runs in one transaction over temporary tables that shadow the feature state
(``repository.shadow_state``), with a fresh anomaly model, and is rolled back: nothing
it computes is kept, and the live engine is not disturbed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.errors import NotFound
from croupier.kit.settings import Settings
from croupier.risk import engine, repository
from croupier.risk.anomaly import Scorer
from croupier.risk.consumer import Tally, process
from croupier.risk.schemas import BacktestReport

BATCH = 1000


async def backtest(
    session: AsyncSession, settings: Settings, *, name: str, version: int | None, since: datetime
) -> BacktestReport:
    """Replay events from ``since`` through rule set ``name`` (its latest version, or ``version``).

    Leaves temporary state in ``session``'s transaction: the caller rolls it back.
    """
    row = await repository.rule_set(session, name, version)
    if row is None:
        raise NotFound("No such rule set.")
    rule_set = await engine.compiled(session, row)
    await repository.shadow_state(session)
    tally, scorer, after = Tally(), Scorer(), 0
    while True:
        events = await repository.events_since(session, since=since, after_id=after, limit=BATCH)
        for event in events:
            await process(session, event, settings=settings, rule_set=rule_set, scorer=scorer, tally=tally)
        if len(events) < BATCH:
            break
        after = events[-1].id
        session.expunge_all()
    return BacktestReport(
        rule_set=f"{row.name}@{row.version}",
        since=since,
        events=tally.events,
        by_rule=tally.by_rule,
        by_typology=tally.by_typology,
        by_action=tally.by_action,
        shadow_by_rule=tally.shadow_by_rule,
    )
