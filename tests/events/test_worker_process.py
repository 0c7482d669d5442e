"""`croupier risk worker`: the event consumer as a process of its own."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from croupier.events.signal import EventSignal
from croupier.kit.processes import free_port
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from tests.cli_support import CROUPIER, env_for
from tests.events.recording import emit, handled, prepare
from tests.sql import sql
from tests.waiting import wait_until

pytestmark = pytest.mark.slow
REPOSITORY = Path(__file__).resolve().parents[2]


async def _started(worker: subprocess.Popen[str]) -> str:
    assert worker.stdout is not None
    line = await asyncio.to_thread(worker.stdout.readline)
    assert line, worker.stderr.read() if worker.stderr else "no output"
    return line


async def test_the_worker_delivers_events_committed_elsewhere_and_stops_on_sigterm(
    runtime: Runtime, settings: Settings
) -> None:
    await prepare(runtime)
    port = free_port()
    env = env_for(
        settings,
        CROUPIER_EVENT_HANDLERS=json.dumps(["probe=tests.events.recording:record"]),
        CROUPIER_EVENT_POLL_SECONDS="120",  # only a wake-up can explain a prompt delivery
        PYTHONPATH=str(REPOSITORY),
    )
    worker = subprocess.Popen(  # noqa: S603, ASYNC220 - our own console script, left running
        [str(CROUPIER), "risk", "worker", "--metrics-port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "handlers: probe" in await _started(worker)
        await wait_until(lambda: _listening(runtime), within=30)
        # This process commits like an API process does: its signal tells the worker.
        signal_ = EventSignal(runtime.database, listen=False, notify=True)
        signal_.start()
        try:
            before = await emit(runtime, uuid.uuid4(), 2)
            await wait_until(lambda: _count(runtime, 2), within=30)
            # The worker reports its lag: nothing left once both are handled.
            await wait_until(lambda: _caught_up(port), within=30)
        finally:
            await signal_.stop()
        worker.send_signal(signal.SIGTERM)
        out, err = await asyncio.to_thread(worker.communicate, timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, err
    assert "event worker stopped" in out
    assert "Traceback" not in err
    assert [e for e, _ in await handled(runtime, "probe")] == before


async def _count(runtime: Runtime, n: int) -> bool:
    return len(await handled(runtime, "probe")) >= n


async def _listening(runtime: Runtime) -> bool:
    rows = await sql(
        runtime,
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = 'croupier-events' AND datname = current_database()",
    )
    return bool(rows[0][0])


async def _caught_up(port: int) -> bool:
    return await _lag(port) == "0.0"


async def _lag(port: int) -> str | None:
    async with httpx.AsyncClient(timeout=5) as http:
        body = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    for line in body.splitlines():
        if line.startswith('croupier_event_consumer_lag_events{consumer="probe"}'):
            return line.split()[-1]
    return None
