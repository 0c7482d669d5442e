"""Every domain's background jobs in one procrastinate app (see ``kit/jobs.py``).

A domain with jobs declares them in its ``tasks.py``, on a fresh blueprint per app
(``blueprint()``), and is listed here under its namespace; task names are
``<namespace>:<task>``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import procrastinate

from croupier.kit.jobs import Jobs, build_app
from croupier.kit.runtime import Runtime


def blueprints() -> dict[str, procrastinate.Blueprint]:
    from croupier.backoffice.approvals import tasks as approvals
    from croupier.compliance.gdpr import tasks as gdpr
    from croupier.operations.monitoring import tasks as monitoring

    return {
        "gdpr": gdpr.blueprint(),
        "approvals": approvals.blueprint(),
        "monitoring": monitoring.blueprint(),
    }


def jobs_for(runtime: Runtime) -> Jobs:
    return Jobs(runtime, build_app(runtime.database.url, blueprints()))


@asynccontextmanager
async def serving_jobs(runtime: Runtime) -> AsyncIterator[Jobs]:
    """The jobs app of an API process: open for deferring, and working unless workers do."""
    jobs = jobs_for(runtime)
    await jobs.open()
    try:
        if runtime.settings.jobs_worker == "on":
            jobs.start_worker(name="serve", concurrency=runtime.settings.jobs_concurrency)
        yield jobs
    finally:
        await jobs.close()
