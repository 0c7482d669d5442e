"""Privacy jobs: building an export, the export sweep, and the daily retention run.

A fresh blueprint per app: procrastinate binds a blueprint's tasks to the app that takes
them, and a process may hold several apps (one per runtime, as the tests do).
"""

from __future__ import annotations

import uuid

import procrastinate
import structlog

from croupier.audit.service import Actor
from croupier.compliance.gdpr import exports, retention
from croupier.kit.jobs import defer, runtime_of

_log = structlog.get_logger("croupier.gdpr")


def blueprint() -> procrastinate.Blueprint:
    tasks = procrastinate.Blueprint()

    @tasks.task(
        name="build_export",
        pass_context=True,
        retry=procrastinate.RetryStrategy(max_attempts=5, exponential_wait=5),
    )
    async def build_export(context: procrastinate.JobContext, export_id: str) -> None:
        runtime = runtime_of(context)
        async with runtime.database.unit_of_work() as session:
            outcome = await exports.build(session, export_id=uuid.UUID(export_id))
        _log.info("export_built", export_id=export_id, outcome=outcome)

    @tasks.periodic(cron="* * * * *")
    @tasks.task(name="sweep_exports", pass_context=True, queueing_lock="gdpr:sweep_exports")
    async def sweep_exports(context: procrastinate.JobContext, timestamp: int) -> None:  # noqa: ARG001 - the tick
        """Defer again what a crash between commit and deferral left pending."""
        runtime = runtime_of(context)
        async with runtime.database.unit_of_work() as session:
            waiting = await exports.sweep(session)
        for export_id in waiting:
            await defer(context.app, exports.BUILD_TASK, lock=f"export:{export_id}", export_id=str(export_id))

    @tasks.periodic(cron="17 3 * * *")
    @tasks.task(name="retention", pass_context=True, queueing_lock="gdpr:retention")
    async def retention_job(context: procrastinate.JobContext, timestamp: int) -> None:  # noqa: ARG001 - the tick
        runtime = runtime_of(context)
        async with runtime.database.unit_of_work() as session:
            report = await retention.run(session, actor=Actor.system())
        _log.info("retention", **{line.name: line.removed for line in report})

    return tasks
