"""Wallet benchmark: stake-and-settle throughput of the ledger against pgbench on the same server.

Run from the repository with the project's virtualenv::

    .venv/bin/python bench/wallet.py [--seconds 12] [--clients 32] [--workers 1,2]

One embedded PostgreSQL (pgserver) in a temporary folder serves every measurement
of the run, so the figures compare like with like:

* reference: ``pgbench -i -s 10`` then pgbench's built-in TPC-B-like script
  (three UPDATEs, a SELECT and an INSERT per transaction) at N clients, with a
  per-transaction log for the latency percentiles;
* the database's share of a dice round and of a Hub88 bet: pgbench replaying the very
  statements the service sends for one (``bench/round_replay.py``), a player per client,
  from its C client: the ceilings of the HTTP dice and Hub88 figures on this machine;
* the wallet through its service layer (``croupier.wallet.service.transfer``):
  stake-and-settle pairs, a bet transfer then a win transfer, each in its own
  unit of work (so one pair is two operations, two transactions), at N concurrent
  asyncio workers on a pool of N connections; once with a player per worker and
  once with every worker on one hot player;
* the same players through the HTTP API of ``croupier serve`` (a subprocess on the
  same database, ``--workers 1`` then ``2``), N keep-alive clients: dice rounds
  (``POST /v1/games/dice/rounds``: stake and payout in one transfer, one request,
  one transaction) with a player per client and with every client on one hot
  player; and a Hub88 studio's signed bet + win pairs (``bench/hub88_load.py``),
  a player per client;
* latency against concurrency: dice rounds and Hub88 requests on one worker at 8, 32
  and 128 clients (``--latency-clients``).

Operations/s are counted over the measured window after a short warm-up; the
latency of an operation is that of its unit of work (transfer and commit), or
of its requests as the client saw them. The load generator is one Python process
on the same machine as the server, so the ratio to pgbench (a C client) is the
figure that travels between machines. About five minutes in all.
Everything is deleted at the end; all traffic stays on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric import rsa
from hub88_load import GAME, PROVIDER, Hub88Result, issue_tokens, measure_bet_win, new_key, register_studio
from pgbench import pg_tool, run_pgbench, threads_for
from round_replay import measure_hub88_replay, measure_round_replay
from serving import percentile
from wallet_http import Measurement, Serve, measure_dice_rounds, sign_in

from croupier.identity.account import registration
from croupier.identity.passwords import Passwords
from croupier.kit import migrate
from croupier.kit.client import ClientInfo
from croupier.kit.db import Database
from croupier.kit.embedded import DATABASE_NAME, embedded_url, start_embedded_server
from croupier.kit.keyring import Keyring
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
# The latency phase's server pool: 128 clients would need more than PostgreSQL's 100 connections.
LATENCY_POOL = 48
PASSWORD = "correct horse battery staple"  # noqa: S105 - throwaway benchmark players


# -- reference: pgbench ---------------------------------------------------------------------------


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
    return run_pgbench(
        f"pgbench TPC-B-like, scale 10, {clients} clients, {threads_for(clients)} threads",
        uri,
        scripts=["--builtin=tpcb-like"],
        clients=clients,
        seconds=seconds,
        logs=workdir / "pgbench-logs",
    )


# -- the wallet through its service layer ---------------------------------------------------------


async def register(runtime: Runtime, emails: list[str]) -> list[uuid.UUID]:
    passwords = Passwords(runtime.settings)
    ids = []
    async with runtime.database.unit_of_work() as session:
        for email in emails:
            player_id = await registration.register(
                session,
                settings=runtime.settings,
                passwords=passwords,
                email=email,
                password=PASSWORD,
                first_name="Ada",
                last_name="Lovelace",
                date_of_birth=date(1990, 12, 10),
                country="MT",
                client=ClientInfo(ip=None, user_agent="croupier-bench"),
            )
            if player_id is None:
                raise SystemExit(f"{email} was registered already")
            ids.append(player_id)
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


@dataclass(frozen=True)
class HttpRun:
    """What every HTTP measurement shares: the database, its players, the studio's key."""

    runtime: Runtime
    server: Any
    workdir: Path
    database_url: str
    keyring: str
    emails: list[str]
    ids: list[uuid.UUID]
    seconds: float
    key: rsa.RSAPrivateKey

    @property
    def warmup(self) -> float:
        return min(3.0, self.seconds / 4)

    def serve(self, name: str, *, workers: int, clients: int) -> Serve:
        return Serve(
            database_url=self.database_url,
            keyring=self.keyring,
            workers=workers,
            clients=clients,
            data_dir=self.workdir / f"serve-{name}",
            log=self.workdir / f"serve-{name}.log",
        )

    async def hub88(self, url: str, clients: int, label: str, *, dice: Measurement) -> Hub88Result:
        """Hub88 bet + win pairs, a player per client, with game tokens issued just before (a bet
        must come within minutes of issue) and enough signed pairs for the clients to run half
        again as fast as the dice rounds did; past that they sign as they go, and the notes say so."""
        checkpoint(self.server)
        return await measure_bet_win(
            url,
            self.key,
            self.ids[:clients],
            await issue_tokens(self.runtime, self.ids[:clients]),
            pairs_per_client=round(1.5 * dice.rate * (self.seconds + self.warmup) / clients) + 10,
            seconds=self.seconds,
            warmup=self.warmup,
            label=label,
        )

    async def dice(self, url: str, label: str, sessions: list[str]) -> Measurement:
        checkpoint(self.server)
        return await measure_dice_rounds(url, label, sessions, self.seconds, self.warmup)


async def measure_http(
    run: HttpRun, *, clients: int, workers: list[int]
) -> tuple[list[Measurement], list[str]]:
    """Dice rounds and Hub88 bet + win pairs through ``croupier serve``, once per worker count."""
    results: list[Measurement] = []
    notes: list[str] = []
    spread_sessions: list[str] = []
    hot_sessions: list[str] = []
    for count in workers:
        on = f"{clients} clients, {count} worker{'s' if count > 1 else ''}"
        serve = run.serve(str(count), workers=count, clients=clients)
        try:
            await asyncio.to_thread(serve.start)
            if not spread_sessions:  # sessions live in the database: one sign-in serves every server
                spread_sessions = await asyncio.to_thread(sign_in, serve.url, run.emails[:clients])
                # The hot player signed in once per client, as from several devices.
                hot_sessions = await asyncio.to_thread(sign_in, serve.url, [run.emails[clients]] * clients)
            dice = await run.dice(serve.url, f"HTTP dice rounds, {on}, a player each", spread_sessions)
            hot = await run.dice(serve.url, f"HTTP dice rounds, {on}, one hot player", hot_sessions)
            hub88 = await run.hub88(
                serve.url, clients, f"Hub88 bet + win pairs, {on}, a player each", dice=dice
            )
        finally:
            serve.stop()
        results += [dice, hot, hub88.pairs, hub88.requests]
        notes.append(
            f"Hub88, {on}: {hub88.presigned:,} bodies signed before the clock, "
            f"{hub88.inline:,} during it; the client's RSA-2048 signing costs {hub88.signing_ms:.2f} ms "
            "a request"
        )
    return results, notes


async def measure_latency(run: HttpRun, *, counts: list[int]) -> list[Measurement]:
    """How latency moves with the number of concurrent clients: dice rounds and Hub88 requests,
    a player per client, on one ``croupier serve`` worker (its pool capped within PostgreSQL's
    100 connections: past that, requests queue for a connection inside the server)."""
    serve = run.serve("latency", workers=1, clients=min(max(counts), LATENCY_POOL))
    results: list[Measurement] = []
    try:
        await asyncio.to_thread(serve.start)
        sessions = await asyncio.to_thread(sign_in, serve.url, run.emails[: max(counts)])
        for count in counts:
            on = f"{count} clients, 1 worker, a player each"
            dice = await run.dice(serve.url, f"HTTP dice rounds, {on}", sessions[:count])
            hub88 = await run.hub88(serve.url, count, f"Hub88 bet + win pairs, {on}", dice=dice)
            results += [dice, hub88.requests]
    finally:
        serve.stop()
    return results


async def measure_wallet(
    server: Any,
    workdir: Path,
    seconds: float,
    clients: int,
    workers: list[int],
    *,
    latency_clients: list[int],
) -> tuple[list[Measurement], list[str]]:
    database_url = embedded_url(server)
    keyring = Keyring.generate().to_json()  # handed to `croupier serve` too: it reads the players' data
    settings = Settings(
        environment="development",
        database_url=database_url,
        keyring=keyring,
        data_dir=workdir / "data",
        database_pool_size=clients,
        database_max_overflow=4,
        argon2_memory_kib=ARGON2_MIN_MEMORY_KIB,  # only registration and sign-in hash; neither is measured
        argon2_time_cost=ARGON2_MIN_TIME_COST,
        argon2_parallelism=1,
    )
    runtime = await Runtime.start(settings)
    try:
        await migrate.upgrade(runtime.database.engine)
        # A player per client, one hot player, and as many as the latency phase's largest count.
        players = max(clients + 1, *latency_clients) if latency_clients else clients + 1
        emails = [f"bench-{uuid.uuid4().hex[:12]}@example.com" for _ in range(players)]
        ids = await register(runtime, emails)
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
        # Give the idle connections back: the server's pools need them (PostgreSQL allows 100).
        await runtime.database.engine.dispose()
        run = HttpRun(runtime, server, workdir, database_url, keyring, emails, ids, seconds, new_key())
        await register_studio(runtime, run.key)
        http, notes = await measure_http(run, clients=clients, workers=workers)
        checkpoint(server)
        # After the HTTP runs: they left each player a live session and an active seed pair.
        replay = await asyncio.to_thread(
            measure_round_replay, server.get_uri(DATABASE_NAME), workdir, ids[:clients], seconds
        )
        checkpoint(server)
        # The Hub88 runs left each of these players a game token of the studio.
        hub88_replay = await asyncio.to_thread(
            functools.partial(measure_hub88_replay, provider=PROVIDER, game=GAME),
            server.get_uri(DATABASE_NAME),
            workdir,
            ids[:clients],
            seconds,
        )
        if latency_clients:
            http += await measure_latency(run, counts=latency_clients)
        async with runtime.database.unit_of_work() as session:
            problems = await check_books(session)
        if problems:
            raise SystemExit("books check failed after the run:\n" + "\n".join(problems))
    finally:
        await runtime.close()
    return [replay, hub88_replay, spread, hot, *http], notes


# -- the table ------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=12.0, help="duration of each measurement")
    parser.add_argument("--clients", type=int, default=32, help="pgbench clients and wallet workers")
    parser.add_argument(
        "--workers", default="1,2", help="`croupier serve --workers` counts to measure, comma-separated"
    )
    parser.add_argument(
        "--latency-clients",
        default="8,32,128",
        help="client counts for the latency phase (one worker), comma-separated; empty to skip",
    )
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",")]
    latency_clients = [int(n) for n in args.latency_clients.split(",") if n]
    configure_logging("warning")  # registration's audit lines are not part of the output
    # SIGTERM as an exception, like Ctrl-C: the `finally` blocks then stop `croupier serve`
    # (in its own process group, out of the terminal's reach) and the embedded PostgreSQL.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="croupier-bench-wallet-") as tmp:
        workdir = Path(tmp)
        server = start_embedded_server(workdir / "pg-data", delete_on_exit=True)
        try:
            reference = measure_pgbench(server, workdir, args.seconds, args.clients)
            wallet, notes = asyncio.run(
                measure_wallet(
                    server, workdir, args.seconds, args.clients, workers, latency_clients=latency_clients
                )
            )
        finally:
            # Now, while its folder exists: pgserver's own exit hook would find it deleted and
            # leave the postmaster running until it notices its lock file is gone.
            server.cleanup()

    # The ceiling each HTTP figure is held to: its own statements replayed by pgbench.
    dice_replay, hub88_replay = wallet[0], wallet[1]

    def vs_ceiling(m: Measurement) -> str:
        if m.label.startswith("HTTP dice rounds"):
            return f"{m.rate / dice_replay.rate:.2f}"
        if m.label.startswith("Hub88 bet or win requests"):
            return f"{m.rate / hub88_replay.rate:.2f}"
        return ""

    header = ("measurement", "operations/s", "vs pgbench tps", "vs its replay", "p50", "p99", "errors")
    rows = [
        (
            m.label,
            f"{m.rate:,.0f}",
            f"{m.rate / reference.rate:.2f}",
            vs_ceiling(m),
            ms(percentile(m.latencies, 50)) if m.latencies else "-",
            ms(percentile(m.latencies, 99)) if m.latencies else "-",
            str(m.errors),
        )
        for m in [reference, *wallet]
    ]
    print(
        f"Croupier wallet benchmark: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, one embedded PostgreSQL, "
        f"{args.seconds:.0f} s per measurement, {time.perf_counter() - started:.0f} s in all, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        "An operation: pgbench, a transaction; wallet (service layer), a transfer in its own transaction;\n"
        "HTTP dice, a round (one request and transaction: stake and payout in one transfer); Hub88, a pair\n"
        "(a bet request, then its win: two transactions) or one of its requests. HTTP latencies are as the\n"
        "client saw them, queueing in the load generator (one Python process on the same cores) included.\n"
        "The server runs with production settings except argon2id at the floor (19 MiB, t=2, p=1):\n"
        "sign-in is set-up here, not measured."
    )
    print()
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
    print()
    for note in notes:
        print(note)
    for m in wallet:
        if m.notes:
            print(f"\n{m.label}: first errors: {'; '.join(m.notes)}")


if __name__ == "__main__":
    main()
