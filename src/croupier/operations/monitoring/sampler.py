"""Figures kept in the database, sampled periodically into gauges for /metrics.

A scrape never queries: every API process samples on its own clock
(``CROUPIER_METRICS_SAMPLE_SECONDS``) in one short transaction, and the gauges keep
the last sample (with several workers the largest sample of the live ones is served).
Each domain's figure is read through that domain's functions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events import repository as events
from croupier.events.consumer import publish_lag
from croupier.kit import pools, replication
from croupier.kit.background import Sweeper
from croupier.kit.clock import utcnow
from croupier.kit.jobs import failed_by_task
from croupier.kit.metrics import (
    CHECK_LAST_RUN,
    CHECK_LAST_SUCCESS,
    CHECK_OK,
    JOBS_FAILED,
    MAIL_OUTBOX_GIVEN_UP,
    MAIL_OUTBOX_LAG,
    PAYMENT_WEBHOOK_LAG,
    REPLICATION_LAG,
    SAMPLED_AT,
)
from croupier.kit.runtime import Runtime
from croupier.mail import relay as mail
from croupier.operations.monitoring import checks
from croupier.payments import repository as payments


def _age(since: datetime | None, now: datetime) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


class Sampler(Sweeper):
    name = "monitoring-sampler"
    wake_key = "monitoring.wake"

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.database, sweep_seconds=runtime.settings.metrics_sample_seconds)
        # A process that runs the event consumers has their lag gauges set by them already.
        self._event_lag = runtime.settings.event_consumer == "off"
        self._failed_tasks: set[str] = set()
        self._replication_role: str | None = None

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> Sampler | None:
        """A sampler when this process's metrics are served at all (a port or a token)."""
        settings = runtime.settings
        if settings.metrics_port is None and settings.metrics_token is None:
            return None
        return cls(runtime)

    async def drain(self) -> None:
        await self.sample()

    async def sample(self) -> None:
        """Set every sampled gauge once (the tests call this to sample at a known time)."""
        pools.sample(self.database.engine.pool)
        pools.sample(self.database.autonomous_engine.pool)
        async with self.database.unit_of_work() as session:
            now = utcnow()
            await self._mail(session, now)
            PAYMENT_WEBHOOK_LAG.set(_age(await payments.oldest_awaiting_provider(session), now))
            await self._jobs(session)
            if self._event_lag:
                await self._events(session)
            await self._checks(session)
            await self._replication(session)
        SAMPLED_AT.set(now.timestamp())

    async def _mail(self, session: AsyncSession, now: datetime) -> None:
        lag, given_up = await mail.backlog(session, now=now)
        MAIL_OUTBOX_LAG.set(lag)
        MAIL_OUTBOX_GIVEN_UP.set(given_up)

    async def _events(self, session: AsyncSession) -> None:
        """Every consumer's lag, when the consumers run in other processes (``croupier risk worker``)."""
        for name in await events.consumer_names(session):
            await publish_lag(session, name, horizon=await events.horizon_of(session, name))

    async def _jobs(self, session: AsyncSession) -> None:
        failed = await failed_by_task(session)
        # A task whose failed jobs an operator cleared goes back to 0 rather than keeping its count.
        for task in self._failed_tasks | failed.keys():
            JOBS_FAILED.labels(task).set(failed.get(task, 0))
        self._failed_tasks |= failed.keys()

    async def _checks(self, session: AsyncSession) -> None:
        for check in await checks.last_runs(session):
            CHECK_OK.labels(check.name).set(1 if check.ok else 0)
            CHECK_LAST_RUN.labels(check.name).set(check.last_run_at.timestamp())
            success = check.last_success_at.timestamp() if check.last_success_at else 0
            CHECK_LAST_SUCCESS.labels(check.name).set(success)

    async def _replication(self, session: AsyncSession) -> None:
        lag = await replication.lag(session)
        role = lag.role if lag is not None else None
        if self._replication_role is not None and self._replication_role != role:
            # The standby went away (or this database changed role): no stale figure is left behind.
            # With several workers the shared files cannot drop a series; NaN makes no alert fire.
            REPLICATION_LAG.labels(self._replication_role).set(float("nan"))
            REPLICATION_LAG.remove(self._replication_role)
        if lag is not None:
            REPLICATION_LAG.labels(lag.role).set(lag.seconds)
        self._replication_role = role
