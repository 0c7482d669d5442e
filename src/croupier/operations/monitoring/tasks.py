"""The periodic integrity checks: the books and the audit chain, every half hour, each result recorded.

The records feed the ``croupier_check_*`` gauges (``operations.monitoring.sampler``), which the alerts
watch for a failure and for staleness (a check that stopped running).
"""

from __future__ import annotations

import procrastinate

from croupier.kit.jobs import runtime_of
from croupier.operations.monitoring import checks

RUN_CHECKS_TASK = "monitoring:run_checks"
CRON = "*/30 * * * *"


def blueprint() -> procrastinate.Blueprint:
    tasks = procrastinate.Blueprint()

    @tasks.periodic(cron=CRON)
    @tasks.task(name="run_checks", pass_context=True, queueing_lock=RUN_CHECKS_TASK, lock=RUN_CHECKS_TASK)
    async def run_checks(context: procrastinate.JobContext, timestamp: int) -> dict[str, bool]:  # noqa: ARG001 - the tick
        results = await checks.run_all(runtime_of(context).database)
        return {name: result.ok for name, result in results.items()}

    return tasks
