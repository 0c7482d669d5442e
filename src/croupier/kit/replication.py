"""How far replication is behind, read from PostgreSQL's own views.

On a primary, ``pg_stat_replication`` holds a row per connected standby; its ``replay_lag``
is the slowest one's delay (NULL once a standby has caught up and nothing new was
written, which is no lag). On a standby, the age of the last replayed transaction, 0 when
everything received has been replayed (an idle primary sends nothing to replay). Reading
``replay_lag`` needs the ``pg_monitor`` role; without it the row shows no lag at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PRIMARY, REPLICA = "primary", "replica"

_LAG = text(
    """
    SELECT pg_is_in_recovery() AS in_recovery,
           CASE WHEN NOT pg_is_in_recovery() THEN NULL
                WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())
           END AS replay_age,
           (SELECT count(*) FROM pg_stat_replication) AS standbys,
           (SELECT coalesce(max(extract(epoch FROM replay_lag)), 0) FROM pg_stat_replication) AS standby_lag
    """
)


@dataclass(frozen=True)
class Lag:
    role: str
    seconds: float


async def lag(session: AsyncSession) -> Lag | None:
    """The lag seen from this database; None on a primary without standbys."""
    row = (await session.execute(_LAG)).one()
    if row.in_recovery:
        return Lag(REPLICA, float(row.replay_age or 0.0))
    if row.standbys:
        return Lag(PRIMARY, float(row.standby_lag))
    return None
