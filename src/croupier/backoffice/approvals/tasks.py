"""The approvals job: every few minutes, pending requests past their expiry are marked expired.

Requests are also expired when touched (shown, listed, asked again, decided); the job makes
the mark, and its audit entry, come on time for requests nobody looks at.
"""

from __future__ import annotations

import procrastinate
import structlog

from croupier.backoffice.approvals import service as approvals
from croupier.kit.jobs import runtime_of

_log = structlog.get_logger("croupier.approvals")

EXPIRE_TASK = "approvals:expire_overdue"


def blueprint() -> procrastinate.Blueprint:
    tasks = procrastinate.Blueprint()

    @tasks.periodic(cron="*/5 * * * *")
    @tasks.task(name="expire_overdue", pass_context=True, queueing_lock="approvals:expire_overdue")
    async def expire_overdue(context: procrastinate.JobContext, timestamp: int) -> int:  # noqa: ARG001 - the tick
        runtime = runtime_of(context)
        async with runtime.database.unit_of_work() as session:
            expired = await approvals.expire_overdue(session)
        if expired:
            _log.info("approvals_expired", count=expired)
        return expired

    return tasks
