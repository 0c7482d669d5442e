"""decide() latency: p50/p99 at concurrent callers, against a bare query in the same run.

Run from the repository with the project's virtualenv::

    .venv/bin/python bench/risk_decide.py [--callers 32] [--seconds 10] [--players 500]

One embedded PostgreSQL (pgserver) in a temporary folder, migrated, with the default
rule set. Every player first gets a history through the engine's own event handler
(a registration, a sign-in, a deposit, bets), so the feature read finds real rows.
Then ``--callers`` asyncio tasks, each in its own transaction as a request would be,
time one call of:

* *bare query*: ``SELECT 1`` — the floor a database round trip costs here;
* *decide(deposit)*: the default set has deposit rules, so the features are read
  (one statement in a rolled-back savepoint with its statement timeout) and evaluated;
* *decide(bet)*: no ``decide:bet`` rule in the default set: the cached set answers.

Figures are for this machine; callers and PostgreSQL share its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.kinds import EventKind
from croupier.events.outbox import record_event
from croupier.identity.models import Player
from croupier.kit import migrate
from croupier.kit.client import ClientInfo
from croupier.kit.embedded import embedded_url, start_embedded_server
from croupier.kit.keyring import Keyring
from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.risk import service as risk
from croupier.risk.consumer import handle_event

Call = Callable[[AsyncSession, uuid.UUID], Awaitable[object]]


async def seed(runtime: Runtime, players: int) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(players)]
    async with runtime.database.unit_of_work() as session:
        for player_id in ids:
            session.add(
                Player(
                    id=player_id,
                    email_index=secrets.token_bytes(32),
                    email_enc=b"-",
                    first_name_enc=b"-",
                    last_name_enc=b"-",
                    date_of_birth_enc=b"-",
                    country="MT",
                    password_hash="-",  # noqa: S106 - a bench player that never signs in
                )
            )
    for n, player_id in enumerate(ids):
        client = ClientInfo(ip=f"10.0.{n // 250}.{n % 250}", user_agent="bench", device_id=f"device-{n}")
        history = [
            (EventKind.REGISTERED, {}),
            (EventKind.SIGN_IN_SUCCEEDED, {}),
            (
                EventKind.DEPOSIT_INITIATED,
                {"amount": 10_000, "currency": "EUR", "card_fingerprint": f"fp-{n}"},
            ),
            (
                EventKind.DEPOSIT_CONFIRMED,
                {"amount": 10_000, "currency": "EUR", "card_fingerprint": f"fp-{n}"},
            ),
            *[(EventKind.BET, {"amount": 100, "currency": "EUR"}) for _ in range(5)],
        ]
        async with runtime.database.unit_of_work() as session:
            for kind, data in history:
                await record_event(session, kind, player_id=player_id, data=data, client=client)
    async with runtime.database.unit_of_work() as session:
        events = list(await session.execute(text("SELECT id FROM domain_events ORDER BY id")))
    from croupier.events.models import DomainEvent

    for (event_id,) in events:
        async with runtime.database.unit_of_work() as session:
            event = await session.get(DomainEvent, event_id)
            if event is not None:
                await handle_event(session, event)
    return ids


async def measure(
    runtime: Runtime, ids: list[uuid.UUID], call: Call, callers: int, seconds: float
) -> list[float]:
    timings: list[float] = []
    stop = time.monotonic() + seconds

    async def caller() -> None:
        while time.monotonic() < stop:
            player_id = random.choice(ids)
            async with runtime.database.unit_of_work() as session:
                await session.execute(text("SELECT 1"))  # the connection is taken before the clock starts
                started = time.perf_counter()
                await call(session, player_id)
                timings.append(time.perf_counter() - started)

    await asyncio.gather(*(caller() for _ in range(callers)))
    return timings


def line(name: str, timings: list[float], seconds: float) -> str:
    ordered = sorted(timings)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    return f"{name:<18} {len(ordered) / seconds:>9.0f}/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"


async def run(args: argparse.Namespace, workdir: Path, server: object) -> list[str]:
    settings = Settings(
        environment="development",
        database_url=embedded_url(server),
        keyring=Keyring.generate().to_json(),
        data_dir=workdir / "data",
        database_pool_size=args.callers + 4,
        database_max_overflow=8,
        risk_timeout_ms=args.budget_ms,
    )
    runtime = await Runtime.start(settings)
    try:
        await migrate.upgrade(runtime.database.engine)
        ids = await seed(runtime, args.players)
        client = ClientInfo(ip="10.9.9.9", user_agent="bench", device_id="bench-device")

        async def bare(session: AsyncSession, _: uuid.UUID) -> object:
            return (await session.execute(text("SELECT 1"))).scalar()

        async def deposit(session: AsyncSession, player_id: uuid.UUID) -> object:
            return await risk.decide(
                session,
                action="deposit",
                player_id=player_id,
                client=client,
                amount=5_000,
                currency="EUR",
                instrument="fp-bench",
                settings=settings,
            )

        async def bet(session: AsyncSession, player_id: uuid.UUID) -> object:
            return await risk.decide(
                session,
                action="bet",
                player_id=player_id,
                client=client,
                amount=100,
                currency="EUR",
                settings=settings,
                player_status="active",
            )

        lines = []
        for name, call in (("bare query", bare), ("decide(deposit)", deposit), ("decide(bet)", bet)):
            await measure(runtime, ids, call, args.callers, 1.0)  # warm-up: pool, caches, plans
            lines.append(
                line(name, await measure(runtime, ids, call, args.callers, args.seconds), args.seconds)
            )
        async with runtime.database.unit_of_work() as session:
            fallbacks = (
                await session.execute(text("SELECT count(*) FROM risk_decisions WHERE fallback IS NOT NULL"))
            ).scalar()
        lines.append(f"fallbacks taken (budget {args.budget_ms:g} ms): {fallbacks}")
        return lines
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callers", type=int, default=32, help="concurrent callers")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window per call")
    parser.add_argument("--players", type=int, default=500, help="players with a history")
    parser.add_argument("--budget-ms", type=float, default=50.0, help="CROUPIER_RISK_TIMEOUT_MS")
    args = parser.parse_args()
    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="croupier-bench-risk-") as tmp:
        workdir = Path(tmp)
        server = start_embedded_server(workdir / "pg-data", delete_on_exit=True)
        try:
            lines = asyncio.run(run(args, workdir, server))
        finally:
            server.cleanup()
    print(
        f"risk decide(): {os.cpu_count()} cores, {platform.system()} {platform.machine()}, one embedded"
        f" PostgreSQL; {args.callers} callers, {args.players} players, {args.seconds:.0f} s windows"
    )
    for text_line in lines:
        print(text_line)


if __name__ == "__main__":
    main()
