"""Background jobs and periodic tasks on PostgreSQL, with procrastinate.

Each domain declares its tasks on a ``procrastinate.Blueprint`` (its
``tasks.py``); ``croupier.jobs`` gathers them into one app. Jobs run inside
``croupier serve`` (``CROUPIER_JOBS_WORKER=on``) or in ``croupier jobs worker``
processes; both take jobs with ``SKIP LOCKED``, and a periodic task is deferred
once per tick however many workers run.

A job is deferred only after the transaction that asked for it commits
(``defer_after_commit``): a rolled-back request leaves no job behind, and a
crash between commit and deferral is covered by the domain's own sweep, which
re-defers what is still waiting (a ``queueing_lock`` keeps one job per item).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

import procrastinate
import structlog
from procrastinate import exceptions as procrastinate_errors
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.db import after_commit, shared_context
from croupier.kit.embedded import libpq_conninfo
from croupier.kit.runtime import Runtime

APP_KEY = "jobs.app"
RUNTIME_KEY = "runtime"
# Seconds a stopping worker lets running jobs finish before aborting them (they are retried).
STOP_GRACE_SECONDS = 10.0
# How often a worker looks for jobs when no notification woke it (LISTEN/NOTIFY does at once).
POLL_SECONDS = 5.0

_log = structlog.get_logger("croupier.jobs")


def conninfo(database_url: str) -> str:
    """libpq's form of the SQLAlchemy URL (procrastinate speaks psycopg directly)."""
    return libpq_conninfo(database_url)


def build_app(database_url: str, blueprints: Mapping[str, procrastinate.Blueprint]) -> procrastinate.App:
    """An app (not yet open) with every blueprint's tasks, each under its namespace."""
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(database_url),
        kwargs={"application_name": "croupier-jobs"},
        min_size=1,
        max_size=4,
    )
    app = procrastinate.App(connector=connector)
    for namespace, blueprint in blueprints.items():
        app.add_tasks_from(blueprint, namespace=namespace)
    return app


def runtime_of(context: procrastinate.JobContext) -> Runtime:
    """The process's runtime, handed to every job by the worker."""
    runtime = (context.additional_context or {}).get(RUNTIME_KEY)
    if not isinstance(runtime, Runtime):
        raise TypeError("jobs run only in a worker started by croupier")
    return runtime


async def defer(app: procrastinate.App, task: str, *, lock: str | None = None, **kwargs: Any) -> bool:
    """Defer ``task`` now; False when a job with the same ``lock`` is already waiting."""
    try:
        await app.configure_task(task, queueing_lock=lock).defer_async(**kwargs)
    except procrastinate_errors.AlreadyEnqueued:
        return False
    return True


def defer_after_commit(session: AsyncSession, task: str, *, lock: str, **kwargs: Any) -> None:
    """Defer ``task`` once ``session`` commits, if this process has a jobs app.

    Without one (a command run without jobs) or when the database refuses, the
    job is left to the owning domain's sweep, which finds the work still waiting.
    """
    shared = shared_context(session)

    async def _defer() -> None:
        app: procrastinate.App | None = shared.get(APP_KEY)
        if app is None:
            return
        try:
            await defer(app, task, lock=lock, **kwargs)
        except Exception:  # noqa: BLE001 - the sweep defers it later; the request already committed
            _log.warning("job_defer_failed", task=task)

    after_commit(session, f"jobs:{task}:{lock}", _defer)


_FAILED_BY_TASK = text(
    "SELECT task_name, count(*) AS failed FROM procrastinate_jobs WHERE status = 'failed' GROUP BY task_name"
)


async def failed_by_task(session: AsyncSession) -> dict[str, int]:
    """Failed jobs kept for an operator, by task (successful ones are deleted, so the table is small)."""
    return {row.task_name: int(row.failed) for row in await session.execute(_FAILED_BY_TASK)}


def _report_stopped(task: asyncio.Task[None]) -> None:
    """A worker that ends on its own (not cancelled) stops running jobs: say so loudly."""
    if not task.cancelled() and task.exception() is not None:
        _log.error("jobs_worker_stopped", error=type(task.exception()).__name__)


class Jobs:
    """The jobs app of one process: opened for deferring, and optionally running a worker."""

    def __init__(self, runtime: Runtime, app: procrastinate.App) -> None:
        self.runtime = runtime
        self.app = app
        self._worker: asyncio.Task[None] | None = None
        self._opened = False

    async def open(self) -> None:
        await self.app.open_async()
        self._opened = True
        self.runtime.database.shared[APP_KEY] = self.app

    def worker_options(self, *, name: str, concurrency: int) -> dict[str, Any]:
        return {
            "name": name,
            "concurrency": concurrency,
            "additional_context": {RUNTIME_KEY: self.runtime},
            "install_signal_handlers": False,
            "shutdown_graceful_timeout": STOP_GRACE_SECONDS,
            "fetch_job_polling_interval": POLL_SECONDS,
            # A finished job's row says nothing an operator needs; failed ones stay to be seen.
            "delete_jobs": "successful",
        }

    def start_worker(self, *, name: str, concurrency: int) -> None:
        options = self.worker_options(name=name, concurrency=concurrency)
        self._worker = asyncio.create_task(self.app.run_worker_async(**options), name="croupier-jobs")
        self._worker.add_done_callback(_report_stopped)

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        if self.runtime.database.shared.get(APP_KEY) is self.app:
            del self.runtime.database.shared[APP_KEY]
        if self._opened:
            self._opened = False
            await self.app.close_async()
