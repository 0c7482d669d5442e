"""Wallet benchmark: stake-and-settle throughput of the ledger against pgbench on the same server.

Run from the repository with the project's virtualenv::

    .venv/bin/python bench/wallet.py [--seconds 15] [--clients 32]

One embedded PostgreSQL (pgserver) in a temporary folder serves every measurement
of the run, so the figures compare like with like:

* reference: ``pgbench -i -s 10`` then pgbench's built-in TPC-B-like script
  (three UPDATEs, a SELECT and an INSERT per transaction) at N clients, with a
  per-transaction log for the latency percentiles;
* the wallet through its service layer (``croupier.wallet.service.transfer``):
  stake-and-settle pairs, a bet transfer then a win transfer, each in its own
  unit of work (so one pair is two operations, two transactions), at N concurrent
  asyncio workers on a pool of N connections; once with a player per worker and
  once with every worker on one hot player;
* the same through the HTTP API, once the games issue adds an endpoint that
  stakes and settles (``measure_http_stake_and_settle``); until then the table says
  it was not measured.

Operations/s are counted over the measured window after a short warm-up; the
latency of an operation is that of its unit of work (transfer and commit). The
load generator is one Python process on the same machine as the server, so the
ratio to pgbench (a C client) is the figure that travels between machines.
Everything is deleted at the end; all traffic stays on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from croupier.crypto.keyring import Keyring
from croupier.identity import players
from croupier.identity.passwords import Passwords
from croupier.kit import migrate
from croupier.kit.client import ClientInfo
from croupier.kit.db import Database
from croupier.kit.embedded import embedded_url, start_embedded_server
from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, Settings
from croupier.wallet import service as ledger
from croupier.wallet.books import check_books
from croupier.wallet.service import HouseAccount, HouseBook, Leg, PlayerAccount

CURRENCY = "EUR"
STAKE = 100  # minor units
FUNDING = 10**12  # far more than any run can stake
SOURCE = "bench"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


@dataclass
class Measurement:
    label: str
    operations: int
    seconds: float
    latencies: list[float]
    errors: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.operations / self.seconds


# -- reference: pgbench ---------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


def checkpoint(server: Any) -> None:
    """Flush what the previous measurement dirtied, so that its checkpoint does not land in the next one."""
    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def measure_pgbench(server: Any, workdir: Path, seconds: float, clients: int) -> Measurement:
    embedded_url(server, "pgbench")  # creates the database
    uri = server.get_uri("pgbench")
    subprocess.run(
        [pg_tool("pgbench"), "-i", "-s", "10", "-q", uri], check=True, capture_output=True, timeout=300
    )
    checkpoint(server)
    logs = workdir / "pgbench-logs"
    logs.mkdir()
    threads = max(1, min(clients, os.cpu_count() or 1))
    run = subprocess.run(
        [
            pg_tool("pgbench"),
            "--builtin=tpcb-like",
            f"--client={clients}",
            f"--jobs={threads}",
            f"--time={round(seconds)}",
            "--log",
            "--log-prefix=tx",
            uri,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        cwd=logs,
    )
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
    if found is None:
        raise SystemExit(f"pgbench printed no tps:\n{run.stdout}\n{run.stderr}")
    tps = float(found.group(1))
    # Per-transaction log lines: client_id transaction_no time_us script_no time_epoch time_us_part
    latencies = [
        int(line.split()[2]) / 1e6
        for path in logs.iterdir()
        for line in path.read_text().splitlines()
        if line
    ]
    failed = re.search(r"number of failed transactions: (\d+)", run.stdout)
    return Measurement(
        f"pgbench TPC-B-like, scale 10, {clients} clients, {threads} threads",
        operations=round(tps * seconds),
        seconds=seconds,
        latencies=latencies,
        errors=int(failed.group(1)) if failed else 0,
    )


# -- the wallet through its service layer ---------------------------------------------------------


async def register(runtime: Runtime, count: int) -> list[uuid.UUID]:
    passwords = Passwords(runtime.settings)
    ids = []
    async with runtime.database.unit_of_work() as session:
        for _ in range(count):
            ids.append(
                await players.register(
                    session,
                    passwords=passwords,
                    email=f"bench-{uuid.uuid4().hex[:12]}@example.com",
                    password="correct horse battery staple",  # noqa: S106 - a throwaway benchmark player
                    first_name="Ada",
                    last_name="Lovelace",
                    date_of_birth=date(1990, 12, 10),
                    country="MT",
                    minimum_age=runtime.settings.minimum_age,
                    client=ClientInfo(ip=None, user_agent="croupier-bench"),
                )
            )
    return ids


def legs(payer: PlayerAccount | HouseAccount, payee: PlayerAccount | HouseAccount, amount: int) -> list[Leg]:
    return [Leg(payer, -amount), Leg(payee, amount)]


async def fund(database: Database, player_id: uuid.UUID) -> None:
    async with database.unit_of_work() as session:
        await ledger.transfer(
            session,
            source=SOURCE,
            key=f"fund:{player_id}",
            kind="deposit",
            legs=legs(
                HouseAccount(HouseBook.PSP_CLEARING, CURRENCY), PlayerAccount(player_id, CURRENCY), FUNDING
            ),
            player_id=player_id,
        )


async def one_transfer(database: Database, player_id: uuid.UUID, kind: str, transfer_legs: list[Leg]) -> None:
    async with database.unit_of_work() as session:
        await ledger.transfer(
            session,
            source=SOURCE,
            key=uuid.uuid4().hex,
            kind=kind,
            legs=transfer_legs,
            player_id=player_id,
            metadata={"game": "bench"},
        )


async def measure_stake_and_settle(
    database: Database, label: str, player_of_worker: list[uuid.UUID], seconds: float, warmup: float
) -> Measurement:
    latencies: list[float] = []
    errors: list[str] = []
    measuring = False
    revenue = HouseAccount(HouseBook.REVENUE, CURRENCY)

    async def worker(player_id: uuid.UUID, rng: random.Random, stop_at: float) -> None:
        account = PlayerAccount(player_id, CURRENCY)
        while time.perf_counter() < stop_at:
            for kind, transfer_legs in (
                ("bet", legs(account, revenue, STAKE)),
                ("win", legs(revenue, account, rng.randint(1, 2 * STAKE))),
            ):
                t0 = time.perf_counter()
                try:
                    await one_transfer(database, player_id, kind, transfer_legs)
                except Exception as exc:  # noqa: BLE001 - counted and shown, the run goes on
                    errors.append(repr(exc))
                    continue
                if measuring:
                    latencies.append(time.perf_counter() - t0)

    rngs = [random.Random(n) for n in range(len(player_of_worker))]
    stop = time.perf_counter() + warmup
    await asyncio.gather(*(worker(p, r, stop) for p, r in zip(player_of_worker, rngs, strict=True)))
    measuring = True
    started = time.perf_counter()
    await asyncio.gather(
        *(worker(p, r, started + seconds) for p, r in zip(player_of_worker, rngs, strict=True))
    )
    elapsed = time.perf_counter() - started
    notes = sorted(set(errors))[:3]
    return Measurement(label, len(latencies), elapsed, latencies, errors=len(errors), notes=notes)


async def measure_http_stake_and_settle(runtime: Runtime, seconds: float, clients: int) -> Measurement | None:
    """Stake-and-settle through the HTTP API: the games issue fills this in.

    The intended shape: start ``croupier serve`` (or the app in process behind a real
    socket) on this runtime's database, sign in one player per client, and have each
    client post a round to the game endpoint that stakes and settles (one request per
    round, i.e. one bet and one win transfer), counting operations and per-request
    latency over the same window as the service-layer figures. Until that endpoint
    exists there is nothing to measure, and the table says so.
    """
    del runtime, seconds, clients
    return None


async def measure_wallet(server: Any, workdir: Path, seconds: float, clients: int) -> list[Measurement | str]:
    settings = Settings(
        environment="development",
        database_url=embedded_url(server),
        keyring=Keyring.generate().to_json(),
        data_dir=workdir / "data",
        database_pool_size=clients,
        database_max_overflow=4,
        argon2_memory_kib=ARGON2_MIN_MEMORY_KIB,  # only registration hashes; it is not measured
        argon2_time_cost=ARGON2_MIN_TIME_COST,
        argon2_parallelism=1,
    )
    runtime = await Runtime.start(settings)
    try:
        await migrate.upgrade(runtime.database.engine)
        ids = await register(runtime, clients + 1)
        for player_id in ids:
            await fund(runtime.database, player_id)
        warmup = min(2.0, seconds / 5)
        checkpoint(server)
        spread = await measure_stake_and_settle(
            runtime.database,
            f"wallet stake-and-settle, {clients} workers, a player each",
            ids[:clients],
            seconds,
            warmup,
        )
        checkpoint(server)
        hot = await measure_stake_and_settle(
            runtime.database,
            f"wallet stake-and-settle, {clients} workers, one hot player",
            [ids[clients]] * clients,
            seconds,
            warmup,
        )
        http = await measure_http_stake_and_settle(runtime, seconds, clients)
        async with runtime.database.unit_of_work() as session:
            problems = await check_books(session)
        if problems:
            raise SystemExit("books check failed after the run:\n" + "\n".join(problems))
    finally:
        await runtime.close()
    return [spread, hot, http or "HTTP stake-and-settle: not measured (no game endpoint yet)"]


# -- the table ------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="duration of each measurement")
    parser.add_argument("--clients", type=int, default=32, help="pgbench clients and wallet workers")
    args = parser.parse_args()
    configure_logging("warning")  # registration's audit lines are not part of the output

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="croupier-bench-wallet-") as tmp:
        workdir = Path(tmp)
        server = start_embedded_server(workdir / "pg-data", delete_on_exit=True)
        reference = measure_pgbench(server, workdir, args.seconds, args.clients)
        wallet = asyncio.run(measure_wallet(server, workdir, args.seconds, args.clients))

    header = ("measurement", "operations/s", "vs pgbench tps", "p50", "p99", "errors")
    rows: list[tuple[str, ...]] = []
    for m in [reference, *wallet]:
        if isinstance(m, str):
            rows.append((m, "-", "-", "-", "-", "-"))
            continue
        rows.append(
            (
                m.label,
                f"{m.rate:,.0f}",
                f"{m.rate / reference.rate:.2f}",
                ms(percentile(m.latencies, 50)) if m.latencies else "-",
                ms(percentile(m.latencies, 99)) if m.latencies else "-",
                str(m.errors),
            )
        )
    print(
        f"Croupier wallet benchmark: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, one embedded PostgreSQL, "
        f"{args.seconds:.0f} s per measurement, {time.perf_counter() - started:.0f} s in all, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print("pgbench: an operation is a transaction; wallet: an operation is a transfer in its own transaction")
    print()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
    for m in wallet:
        if not isinstance(m, str) and m.notes:
            print(f"\n{m.label}: first errors: {'; '.join(m.notes)}")


if __name__ == "__main__":
    main()
