"""Risk benchmark: the latency of the inline decision, against a bare query in the same run.

Run from the repository with the project's virtualenv::

    .venv/bin/python bench/risk_decide.py [--seconds 10] [--callers 32] [--actions deposit,bet]

It starts an embedded PostgreSQL in a temporary folder, applies the migrations,
registers a player per caller, then runs, for each measurement, ``--callers``
concurrent callers in a loop for ``--seconds``; each call is one unit of work (a
transaction from the pool, committed) doing:

* the reference: ``SELECT 1``, a bare round trip;
* per action: the engine's inline decision for that action (``croupier.risk.service.decide``),
  for the caller's player, with a client address, user agent and device id.

It prints p50 and p99 of each and their ratio to the reference. A decision that
refuses (``RiskDenied`` and the like) is a measured call like any other, counted
apart. The decision is reached through ``TARGETS``, a registry of adapters: one
function per way of calling it, so the script follows the engine's interface in
one place. Where the engine is not installed, the script measures the reference,
says so and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from serving import percentile
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.identity.account import registration
from croupier.identity.passwords import Passwords
from croupier.kit.client import ClientInfo
from croupier.kit.errors import CroupierError
from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, Settings

PASSWORD = "correct horse battery staple"  # noqa: S105 - throwaway benchmark players

# One call: given a session and the caller's player, do the work being measured.
Call = Callable[[AsyncSession, uuid.UUID], Awaitable[object]]
# An adapter builds the call for an action, or answers None when the engine is not installed.
Adapter = Callable[[Settings, str], Call | None]


def _client(player_id: uuid.UUID) -> ClientInfo:
    return ClientInfo(ip="10.0.0.1", user_agent="croupier-bench", device_id=f"bench-{player_id.hex[:12]}")


def decide_adapter(settings: Settings, action: str) -> Call | None:
    """``croupier.risk.service.decide(session, *, action, player_id, client, amount, currency, settings)``."""
    try:
        service = importlib.import_module("croupier.risk.service")
    except ModuleNotFoundError:
        return None
    decide = getattr(service, "decide", None)
    if decide is None:
        return None

    async def call(session: AsyncSession, player_id: uuid.UUID) -> object:
        result: object = await decide(
            session,
            action=action,
            player_id=player_id,
            client=_client(player_id),
            amount=1_000,
            currency="EUR",
            settings=settings,
        )
        return result

    return call


TARGETS: dict[str, Adapter] = {"decide": decide_adapter}


async def bare_query(session: AsyncSession, _: uuid.UUID) -> object:
    return (await session.execute(text("SELECT 1"))).scalar_one()


@dataclass
class Measurement:
    label: str
    latencies: list[float]
    refused: int
    errors: int

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 99)


async def measure(
    runtime: Runtime, label: str, call: Call, players: list[uuid.UUID], seconds: float
) -> Measurement:
    latencies: list[float] = []
    refused = errors = 0
    deadline = time.perf_counter() + seconds

    async def caller(player_id: uuid.UUID) -> None:
        nonlocal refused, errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                async with runtime.database.unit_of_work() as session:
                    await call(session, player_id)
            except CroupierError:
                refused += 1
            except Exception:  # noqa: BLE001 - counted and reported; the benchmark goes on
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(caller(p) for p in players))
    return Measurement(label, latencies, refused, errors)


async def register(runtime: Runtime, count: int) -> list[uuid.UUID]:
    passwords = Passwords(runtime.settings)
    ids = []
    async with runtime.database.unit_of_work() as session:
        for _ in range(count):
            player_id = await registration.register(
                session,
                settings=runtime.settings,
                passwords=passwords,
                email=f"bench-{uuid.uuid4().hex[:12]}@example.com",
                password=PASSWORD,
                first_name="Ada",
                last_name="Lovelace",
                date_of_birth=date(1990, 12, 10),
                country="MT",
                client=ClientInfo(ip=None, user_agent="croupier-bench"),
            )
            if player_id is None:
                raise SystemExit("a fresh address was registered already")
            ids.append(player_id)
    return ids


async def run(args: argparse.Namespace, data_dir: Path) -> tuple[list[Measurement], list[str]]:
    settings = Settings(
        environment="development",
        data_dir=data_dir,
        database_pool_size=args.callers,
        database_max_overflow=4,
        argon2_memory_kib=ARGON2_MIN_MEMORY_KIB,  # registration hashes once per player; not measured
        argon2_time_cost=ARGON2_MIN_TIME_COST,
        argon2_parallelism=1,
    )
    runtime = await Runtime.start(settings)
    missing: list[str] = []
    try:
        players = await register(runtime, args.callers)
        adapter = TARGETS[args.target]
        calls = [(action, adapter(settings, action)) for action in args.actions.split(",")]
        # Warm both paths (pool connections, caches, prepared plans) before measuring.
        await measure(runtime, "warm-up", bare_query, players, min(2.0, args.seconds / 5))
        for _, call in calls:
            if call is not None:
                await measure(runtime, "warm-up", call, players, min(2.0, args.seconds / 5))
        results = [await measure(runtime, "bare SELECT 1 (reference)", bare_query, players, args.seconds)]
        for action, call in calls:
            if call is None:
                missing.append(action)
                continue
            results.append(await measure(runtime, f"{args.target}({action})", call, players, args.seconds))
        return results, missing
    finally:
        await runtime.close()


def ms(value: float) -> str:
    return f"{value * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measurement")
    parser.add_argument("--callers", type=int, default=32, help="concurrent callers")
    parser.add_argument(
        "--target", choices=sorted(TARGETS), default="decide", help="how the decision is called"
    )
    parser.add_argument(
        "--actions", default="deposit,withdrawal,sign_in,bet", help="actions to decide, comma-separated"
    )
    args = parser.parse_args()
    configure_logging("warning")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="croupier-bench-risk-") as tmp:
        results, missing = asyncio.run(run(args, Path(tmp)))
    reference = results[0]
    print(f"{args.callers} concurrent callers, {args.seconds:g} s per measurement")
    print()
    print("| measurement | calls/s | p50 | p99 | p50 vs reference | p99 vs reference | refused | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for m in results:
        rate = len(m.latencies) / args.seconds
        print(
            f"| {m.label} | {rate:,.0f} | {ms(m.p50)} | {ms(m.p99)} | {m.p50 / reference.p50:.2f}x "
            f"| {m.p99 / reference.p99:.2f}x | {m.refused} | {m.errors} |"
        )
    if len(results) > 1:
        extra = [statistics.median(m.latencies) - reference.p50 for m in results[1:]]
        print()
        print(f"median added over the bare round trip: {', '.join(ms(x) for x in extra)}")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    if missing:
        print(
            f"\n{args.target}() is not installed in this checkout (croupier.risk.service.decide not found): "
            f"only the reference was measured; not measured: {', '.join(missing)}",
            file=sys.stderr,
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()
