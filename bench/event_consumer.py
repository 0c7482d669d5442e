"""Event consumer benchmark: how fast the outbox consumer delivers, against how fast events are made.

Run from the repository with the project's virtualenv::

    .venv/bin/python bench/event_consumer.py [--seconds 10] [--producers 16] [--workers 1,2] [--http]

One embedded PostgreSQL (pgserver) in a temporary folder. For each count of
consumer workers (``croupier risk worker`` processes sharing one handler name):

* *live*: ``--producers`` asyncio tasks write what a dice round writes to the
  outbox (a bet and a win, one statement, one transaction each) as fast as they
  can, a random player of ``--players`` each time, while the workers deliver to a
  handler that does what a risk handler at least does (an upsert of the player's
  counters in the same transaction). Printed: events/s produced, events/s
  delivered over the same window, the lag (events and seconds) at the end of
  the window, and how long the rest took to deliver once production stopped.
* *backlog*: a backlog of the same size is delivered with nothing produced
  meanwhile: the consumer's ceiling.

* *http* (``--http``): bench/wallet.py's HTTP dice load (``--clients`` keep-alive
  clients, a player each, on ``croupier serve --workers 1`` with
  ``CROUPIER_EVENT_CONSUMER=off``) while one worker delivers.

A consumer keeps up when delivered/s matches produced/s and the lag at the end of
the window stays flat (compare two window lengths). Figures are for this machine;
producer and consumers share its cores with PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from signal import SIGTERM
from typing import Any

from serving import percentile
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from wallet_http import Serve, measure_dice_rounds, sign_in

from croupier.events import repository
from croupier.events.consumer import OutboxConsumer, publish_lag
from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.events.outbox import NewEvent, record_events
from croupier.events.signal import EventSignal
from croupier.kit import migrate
from croupier.kit.embedded import embedded_url, start_embedded_server
from croupier.kit.keyring import Keyring
from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, Settings
from wallet import checkpoint, fund, register

CROUPIER = Path(sys.executable).with_name("croupier")
BENCH = Path(__file__).resolve().parent
FEATURES = (
    "CREATE TABLE IF NOT EXISTS bench_features (player_key uuid PRIMARY KEY, events bigint NOT NULL,"
    " staked bigint NOT NULL)"
)


async def handler(session: AsyncSession, event: DomainEvent) -> None:
    await session.execute(
        text(
            "INSERT INTO bench_features AS f (player_key, events, staked) VALUES (:p, 1, :a)"
            " ON CONFLICT (player_key) DO UPDATE SET events = f.events + 1, staked = f.staked + :a"
        ),
        {"p": event.player_id or repository.NO_PLAYER, "a": int(event.data.get("amount", 0))},
    )


async def produce(runtime: Runtime, players: list[uuid.UUID], until: float) -> int:
    made = 0
    while time.monotonic() < until:
        player = random.choice(players)
        data = {"source": "games", "game": "dice", "round_id": str(uuid.uuid4()), "currency": "EUR"}
        async with runtime.database.unit_of_work() as session:
            await record_events(
                session,
                [
                    NewEvent(EventKind.BET, player, {**data, "amount": 100}),
                    NewEvent(EventKind.WIN, player, {**data, "amount": 198}),
                ],
            )
        made += 2
    return made


async def delivered(runtime: Runtime, name: str) -> int:
    async with runtime.database.unit_of_work() as session:
        horizon = await repository.horizon_of(session, name)
        count = await session.scalar(text("SELECT count(*) FROM domain_events"))
        left, _ = await repository.lag(session, name, horizon=horizon)
    return int(count or 0) - left


async def lag_of(runtime: Runtime, name: str) -> tuple[int, float]:
    async with runtime.database.unit_of_work() as session:
        return await publish_lag(session, name, horizon=await repository.horizon_of(session, name))


async def measure(
    runtime: Runtime, args: argparse.Namespace, workers: int, round_no: int, env: dict[str, str]
) -> list[str]:
    players = [uuid.uuid4() for _ in range(args.players)]
    name = f"bench-{round_no}"
    await fast_forward(runtime, name)
    # The workers are `croupier risk worker` processes, as in production; this process commits
    # like an API process does, its signal telling them by NOTIFY.
    worker_env = {**env, "CROUPIER_EVENT_HANDLERS": json.dumps([f"{name}=event_consumer:handler"])}
    processes = [
        subprocess.Popen(  # noqa: ASYNC220 - our own console script, left running
            [str(CROUPIER), "risk", "worker"],
            env=worker_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(workers)
    ]
    signal = EventSignal(runtime.database, listen=False, notify=True)
    signal.start()
    try:
        for process in processes:
            if process.stdout is None:
                raise RuntimeError("no output from the worker")
            await asyncio.to_thread(process.stdout.readline)  # "event worker started"
        base = await delivered(runtime, name)
        began = time.monotonic()
        until = began + args.seconds
        made = sum(await asyncio.gather(*(produce(runtime, players, until) for _ in range(args.producers))))
        window = time.monotonic() - began
        got = await delivered(runtime, name) - base
        lag_events, lag_seconds = await lag_of(runtime, name)
        drain_began = time.monotonic()
        while (await lag_of(runtime, name))[0] > 0:  # noqa: ASYNC110 - the database is polled, not a task
            await asyncio.sleep(0.05)
        drain = time.monotonic() - drain_began
    finally:
        await signal.stop()
        for process in processes:
            process.send_signal(SIGTERM)
        for process in processes:
            await asyncio.to_thread(process.wait, 30)
    live = (
        f"live    {workers} worker process(es): produced {made / window:8,.0f} ev/s,"
        f" delivered {got / window:8,.0f} ev/s; lag at end {lag_events:,} events / {lag_seconds:.2f} s;"
        f" rest delivered in {drain:.2f} s"
    )

    # Backlog: the same number of events, made first, then delivered with nothing else running.
    backlog_name = f"bench-backlog-{round_no}"
    await fast_forward(runtime, backlog_name)
    await produce_count(runtime, players, made)
    # In this process: nothing else runs meanwhile.
    backlog = [
        OutboxConsumer(runtime.database, backlog_name, handler, sweep_seconds=0.05, batch_size=args.batch)
        for _ in range(workers)
    ]
    began = time.monotonic()
    await asyncio.gather(*(consumer.drain() for consumer in backlog))
    while (await lag_of(runtime, backlog_name))[0] > 0:
        await asyncio.gather(*(consumer.drain() for consumer in backlog))
    took = time.monotonic() - began
    return [
        live,
        f"backlog {workers} worker(s): {made:,} events delivered in {took:.2f} s = {made / took:8,.0f} ev/s",
    ]


async def fast_forward(runtime: Runtime, name: str) -> None:
    """Start ``name`` past everything already in the outbox (nothing is being written now)."""
    async with runtime.database.unit_of_work() as session:
        await repository.ensure_consumer(session, name)
        await session.execute(
            text(
                "UPDATE event_consumers SET horizon = (SELECT coalesce(max(id), 0) FROM domain_events)"
                " WHERE name = :n"
            ),
            {"n": name},
        )


async def produce_count(runtime: Runtime, players: list[uuid.UUID], count: int) -> None:
    batch = 500
    for start in range(0, count, batch):
        async with runtime.database.unit_of_work() as session:
            await record_events(
                session,
                [
                    NewEvent(EventKind.BET, random.choice(players), {"amount": 100})
                    for _ in range(min(batch, count - start))
                ],
            )


class QuietServe(Serve):
    """``croupier serve`` that leaves the events to the worker (CROUPIER_EVENT_CONSUMER=off)."""

    def env(self) -> dict[str, str]:
        return {**super().env(), "CROUPIER_EVENT_CONSUMER": "off"}


async def outbox_size(runtime: Runtime) -> int:
    async with runtime.database.unit_of_work() as session:
        return int(await session.scalar(text("SELECT count(*) FROM domain_events")) or 0)


async def measure_http(
    runtime: Runtime, args: argparse.Namespace, workdir: Path, env: dict[str, str], server: Any
) -> list[str]:
    """bench/wallet.py's HTTP dice load (``--clients`` keep-alive clients, a player each) on
    ``croupier serve --workers 1``, one ``croupier risk worker`` delivering meanwhile."""
    emails = [f"bench-{uuid.uuid4().hex[:12]}@example.com" for _ in range(args.clients)]
    ids = await register(runtime, emails)
    for player_id in ids:
        await fund(runtime.database, player_id)
    name = "bench-http"
    await fast_forward(runtime, name)
    serve = QuietServe(
        database_url=env["CROUPIER_DATABASE_URL"],
        keyring=env["CROUPIER_KEYRING"],
        workers=1,
        clients=args.clients,
        data_dir=workdir / "serve",
        log=workdir / "serve.log",
    )
    worker_env = {**env, "CROUPIER_EVENT_HANDLERS": json.dumps([f"{name}=event_consumer:handler"])}
    worker = subprocess.Popen(  # noqa: ASYNC220 - our own console script, left running
        [str(CROUPIER), "risk", "worker"],
        env=worker_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        await asyncio.to_thread(serve.start)
        sessions = await asyncio.to_thread(sign_in, serve.url, emails)
        if worker.stdout is not None:
            await asyncio.to_thread(worker.stdout.readline)  # "event worker started"
        checkpoint(server)
        before, base, began = await outbox_size(runtime), await delivered(runtime, name), time.monotonic()
        dice = await measure_dice_rounds(serve.url, "HTTP dice rounds", sessions, args.seconds, 0.0)
        window = time.monotonic() - began
        made = await outbox_size(runtime) - before
        got = await delivered(runtime, name) - base
        lag_events, lag_seconds = await lag_of(runtime, name)
        drain_began = time.monotonic()
        while (await lag_of(runtime, name))[0] > 0:  # noqa: ASYNC110 - the database is polled, not a task
            await asyncio.sleep(0.05)
        drain = time.monotonic() - drain_began
    finally:
        await asyncio.to_thread(serve.stop)
        worker.send_signal(SIGTERM)
        await asyncio.to_thread(worker.wait, 30)
    return [
        f"http    {args.clients} clients, serve --workers 1: {dice.rate:6,.0f} dice rounds/s"
        f" (p99 {percentile(dice.latencies, 99) * 1000:.0f} ms) = {made / window:6,.0f} events/s made;"
        f" 1 worker delivered {got / window:6,.0f} ev/s; lag at end {lag_events:,} events /"
        f" {lag_seconds:.2f} s; rest delivered in {drain:.2f} s"
    ]


async def run(args: argparse.Namespace, workdir: Path, server: Any) -> list[str]:
    database_url, keyring = embedded_url(server), Keyring.generate().to_json()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
    env.update(
        {
            "CROUPIER_ENVIRONMENT": "development",
            "CROUPIER_DATABASE_URL": database_url,
            "CROUPIER_KEYRING": keyring,
            "CROUPIER_DATA_DIR": str(workdir / "worker-data"),
            "CROUPIER_EVENT_BATCH_SIZE": str(args.batch),
            "PYTHONPATH": str(BENCH),
        }
    )
    settings = Settings(
        environment="development",
        database_url=database_url,
        keyring=keyring,
        data_dir=workdir / "data",
        database_pool_size=args.producers + 8,
        argon2_memory_kib=ARGON2_MIN_MEMORY_KIB,  # registration and sign-in are set-up, not measured
        argon2_time_cost=ARGON2_MIN_TIME_COST,
        argon2_parallelism=1,
        database_max_overflow=8,
    )
    runtime = await Runtime.start(settings)
    try:
        await migrate.upgrade(runtime.database.engine)
        async with runtime.database.unit_of_work() as session:
            await session.execute(text(FEATURES))
        lines = []
        for round_no, workers in enumerate(int(n) for n in args.workers.split(",") if n):
            lines += await measure(runtime, args, workers, round_no, env)
        if args.http:
            lines += await measure_http(runtime, args, workdir, env, server)
        return lines
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="production window of each measurement")
    parser.add_argument("--producers", type=int, default=16, help="concurrent producing tasks")
    parser.add_argument("--workers", default="1,2", help="consumer workers sharing the name, comma-separated")
    parser.add_argument("--players", type=int, default=200, help="players the events are spread over")
    parser.add_argument("--batch", type=int, default=200, help="events per consumer transaction")
    parser.add_argument("--http", action="store_true", help="also under bench/wallet.py's HTTP dice load")
    parser.add_argument("--clients", type=int, default=32, help="HTTP clients (with --http)")
    args = parser.parse_args()
    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="croupier-bench-events-") as tmp:
        workdir = Path(tmp)
        server = start_embedded_server(workdir / "pg-data", delete_on_exit=True)
        try:
            lines = asyncio.run(run(args, workdir, server))
        finally:
            server.cleanup()
    print(
        f"event consumer: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, one embedded"
        f" PostgreSQL; {args.producers} producers, {args.players} players, {args.seconds:.0f} s windows"
    )
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
