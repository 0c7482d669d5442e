"""The books and the audit chain are checked periodically; each result is recorded and served as gauges.

The check is the procrastinate task ``monitoring:run_checks`` (every half hour); here its
function is called as a worker calls it, and the gauges are read from /metrics after the
process sampled the record.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import procrastinate
from procrastinate.jobs import Job

from croupier.jobs import jobs_for
from croupier.kit.jobs import RUNTIME_KEY
from croupier.kit.runtime import Runtime
from croupier.operations.monitoring.sampler import Sampler
from croupier.operations.monitoring.tasks import CRON, RUN_CHECKS_TASK
from tests.factories import signed_in_player
from tests.kit.test_ops import Scrape, value
from tests.kit.test_ops import metrics_http as metrics_http  # noqa: PLC0414 - the fixture, re-exported
from tests.kit.test_ops import scrape as scrape  # noqa: PLC0414
from tests.sql import sql
from tests.wallet.support import deposit


async def run_checks(runtime: Runtime) -> Any:
    """The task's function, called as a worker calls it: with a job context carrying the runtime."""
    app = jobs_for(runtime).app
    context = procrastinate.JobContext(
        app=app,
        job=Job(
            queue="default", lock=RUN_CHECKS_TASK, queueing_lock=RUN_CHECKS_TASK, task_name=RUN_CHECKS_TASK
        ),
        start_timestamp=time.time(),
        additional_context={RUNTIME_KEY: runtime},
        abort_reason=lambda: None,
    )
    return await app.tasks[RUN_CHECKS_TASK].func(context, timestamp=int(time.time()))


async def gauges(runtime: Runtime, scrape: Scrape, check: str) -> tuple[float, float, float]:
    """``(ok, last success, last run)`` of ``check`` as /metrics serves them after a sample."""
    await Sampler(runtime).sample()
    text = await scrape()
    return (
        value(text, "croupier_check_ok", check=check),
        value(text, "croupier_check_last_success_timestamp_seconds", check=check),
        value(text, "croupier_check_last_run_timestamp_seconds", check=check),
    )


async def tamper_with_an_audit_entry(runtime: Runtime) -> None:
    """Change an entry's details as someone able to disable the append-only trigger could."""
    await sql(runtime, "ALTER TABLE audit_events DISABLE TRIGGER USER")
    try:
        await sql(runtime, """UPDATE audit_events SET details = '{"note": "rewritten"}' WHERE seq = 2""")
    finally:
        await sql(runtime, "ALTER TABLE audit_events ENABLE TRIGGER USER")


def test_the_checks_are_a_periodic_task_of_the_jobs_app(runtime: Runtime) -> None:
    app = jobs_for(runtime).app
    periodic = {task.task.name: task.cron for task in app.periodic_registry.periodic_tasks.values()}

    assert periodic[RUN_CHECKS_TASK] == CRON == "*/30 * * * *"


async def test_passing_checks_are_recorded_and_served_as_ok(
    client: httpx.AsyncClient, runtime: Runtime, scrape: Scrape
) -> None:
    await signed_in_player(client)  # some audit entries and a ledger to check
    started = time.time()

    assert await run_checks(runtime) == {"books": True, "audit_chain": True}

    for check in ("books", "audit_chain"):
        ok, last_success, last_run = await gauges(runtime, scrape, check)
        assert ok == 1, check
        assert started - 1 <= last_success == last_run <= time.time() + 1, check


async def test_a_tampered_audit_entry_is_recorded_as_a_failure_and_the_last_success_stays(
    client: httpx.AsyncClient, runtime: Runtime, scrape: Scrape
) -> None:
    await signed_in_player(client)
    await run_checks(runtime)
    _, passed_at, _ = await gauges(runtime, scrape, "audit_chain")
    await tamper_with_an_audit_entry(runtime)

    assert await run_checks(runtime) == {"books": True, "audit_chain": False}

    ok, last_success, last_run = await gauges(runtime, scrape, "audit_chain")
    assert (ok, last_success) == (0, passed_at)
    assert last_run > passed_at
    assert (await gauges(runtime, scrape, "books"))[0] == 1
    [row] = await sql(runtime, "SELECT ok, detail FROM operational_checks WHERE name = 'audit_chain'")
    assert not row.ok
    assert row.detail.startswith("audit chain broken at entry 2: entry 2 was altered")


async def test_books_that_do_not_add_up_are_recorded_as_a_failure(
    client: httpx.AsyncClient, runtime: Runtime, scrape: Scrape
) -> None:
    player = await signed_in_player(client)
    await run_checks(runtime)
    await deposit(runtime, uuid.UUID(player.id), 1_000)
    await sql(
        runtime, "UPDATE ledger_accounts SET balance = balance + 1 WHERE code = 'house:psp_clearing:EUR'"
    )

    assert await run_checks(runtime) == {"books": False, "audit_chain": True}

    assert (await gauges(runtime, scrape, "books"))[0] == 0
    [row] = await sql(runtime, "SELECT detail FROM operational_checks WHERE name = 'books'")
    assert row.detail.startswith("2 problem(s); first: currency EUR: balances sum to 1, not 0")
