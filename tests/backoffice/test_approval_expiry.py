"""Overdue approval requests are marked expired by a periodic job, not only when someone touches them.

The job is the procrastinate task ``approvals:expire_overdue``, run every five minutes by
the workers; here its function is called directly, as a worker would, on a live server's
database. That server leaves its jobs to workers: its own worker would otherwise run the
task at a five-minute tick, between the test's set-up and its call, and expire the request
first.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import procrastinate
import pytest
from procrastinate.jobs import Job

from croupier.jobs import jobs_for
from croupier.kit.jobs import RUNTIME_KEY
from croupier.kit.runtime import Runtime
from tests.backoffice.support import Desk, desk_on
from tests.conftest import make_settings
from tests.sql import sql

TASK = "approvals:expire_overdue"


@pytest.fixture
async def desk(database_url: str, keyring_json: str, tmp_path: Path) -> AsyncIterator[Desk]:
    async for served in desk_on(make_settings(database_url, keyring_json, tmp_path, jobs_worker="off")):
        yield served


def _app(runtime: Runtime) -> procrastinate.App:
    return jobs_for(runtime).app


async def _run_task(runtime: Runtime) -> Any:
    """The task's function, called as a worker calls it: with a job context carrying the runtime."""
    app = _app(runtime)
    task = app.tasks[TASK]
    context = procrastinate.JobContext(
        app=app,
        job=Job(queue="default", lock=None, queueing_lock=TASK, task_name=TASK),
        start_timestamp=time.time(),
        additional_context={RUNTIME_KEY: runtime},
        abort_reason=lambda: None,
    )
    return await task.func(context, timestamp=int(time.time()))


async def _ask_for_client(desk: Desk, headers: dict[str, str], name: str) -> str:
    asked = await desk.http.post(
        "/v1/staff/oauth/clients", json={"name": name, "scopes": ["reports:ggr"]}, headers=headers
    )
    assert asked.status_code == 202, asked.text
    return str(asked.json()["id"])


async def _statuses(runtime: Runtime) -> dict[str, tuple[str, bool]]:
    rows = await sql(runtime, "SELECT id, status, decided_at FROM approval_requests")
    return {str(r.id): (r.status, r.decided_at is not None) for r in rows}


def test_the_expiry_job_is_a_periodic_task_of_the_jobs_app(runtime: Runtime) -> None:
    periodic = {task.task.name: task.cron for task in _app(runtime).periodic_registry.periodic_tasks.values()}

    assert periodic[TASK] == "*/5 * * * *"


async def test_the_job_marks_overdue_requests_expired_and_audits_each(desk: Desk) -> None:
    admin = await desk.key("admin")
    overdue = await _ask_for_client(desk, admin, "late-feed")
    current = await _ask_for_client(desk, admin, "fresh-feed")
    await sql(
        desk.runtime,
        "UPDATE approval_requests SET expires_at = now() - interval '1 minute' WHERE id = :id",
        id=overdue,
    )

    expired = await _run_task(desk.runtime)

    assert expired == 1
    assert await _statuses(desk.runtime) == {overdue: ("expired", True), current: ("pending", False)}
    entries = await sql(
        desk.runtime,
        "SELECT actor_type, target_id FROM audit_events WHERE action = 'backoffice:approval:expire'",
    )
    assert [(e.actor_type, e.target_id) for e in entries] == [("system", overdue)]
    assert await _run_task(desk.runtime) == 0  # marked once, audited once
    assert (
        len(await sql(desk.runtime, "SELECT 1 FROM audit_events WHERE action LIKE '%approval:expire'")) == 1
    )
