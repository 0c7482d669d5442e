"""The HTTP half of the wallet benchmark: ``croupier serve`` on the benchmark's database, and a closed-loop
load generator of keep-alive clients. ``bench/wallet.py`` drives it; nothing here runs on its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from lean_http import LeanClient, ProtocolError
from serving import spawn_until_ready, tail

from croupier.kit.processes import free_port
from croupier.kit.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST

PASSWORD = "correct horse battery staple"  # noqa: S105 - throwaway benchmark players
READY_TIMEOUT = 60.0
DICE_BET = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}


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


class Failed(Exception):
    """An operation the server refused or answered wrongly; counted, shown, and the run goes on."""


# An operation: one client's next request(s); returns the latency of each request it made.
Operation = Callable[[], Awaitable[list[float]]]


async def closed_loop(
    label: str, operations: Sequence[Operation], seconds: float, warmup: float
) -> tuple[Measurement, list[float]]:
    """Each entry of ``operations`` is one client repeating its operation back to back; the measurement
    (latency per operation) and the latency of every request made in the measured window."""
    latencies: list[float] = []
    requests: list[float] = []
    errors: list[str] = []
    measuring = False

    async def client(operation: Operation, stop_at: float) -> None:
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                made = await operation()
            except (Failed, httpx.HTTPError, ProtocolError, OSError, asyncio.IncompleteReadError) as exc:
                errors.append(repr(exc)[:300])
                continue
            if measuring:
                latencies.append(time.perf_counter() - t0)
                requests.extend(made)

    # The warm-up runs to its end (every client finishes its operation) before the window opens,
    # so the window holds whole operations only.
    warm_until = time.perf_counter() + warmup
    await asyncio.gather(*(client(op, warm_until) for op in operations))
    measuring = True
    started = time.perf_counter()
    await asyncio.gather(*(client(op, started + seconds) for op in operations))
    elapsed = time.perf_counter() - started
    measured = Measurement(
        label, len(latencies), elapsed, latencies, errors=len(errors), notes=sorted(set(errors))[:3]
    )
    return measured, requests


@dataclass
class Serve:
    """``croupier serve --workers N`` on an existing, migrated database (the benchmark's)."""

    database_url: str
    keyring: str
    workers: int
    clients: int
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
        # Each worker's pool takes its share of the clients with some slack (the kernel does not
        # spread 32 connections evenly over the workers), within PostgreSQL's 100 connections.
        pool = self.clients if self.workers == 1 else math.ceil(self.clients * 1.5 / self.workers)
        env.update(
            {
                "CROUPIER_ENVIRONMENT": "development",
                "CROUPIER_DATABASE_URL": self.database_url,
                "CROUPIER_KEYRING": self.keyring,  # the one the benchmark sealed its players' data with
                "CROUPIER_DATA_DIR": str(self.data_dir),
                "CROUPIER_DATABASE_POOL_SIZE": str(pool),
                "CROUPIER_DATABASE_MAX_OVERFLOW": "4",
                # The players were hashed at the floor; matching it keeps sign-in from rehashing.
                # Sign-in is set-up, not measured.
                "CROUPIER_ARGON2_MEMORY_KIB": str(ARGON2_MIN_MEMORY_KIB),
                "CROUPIER_ARGON2_TIME_COST": str(ARGON2_MIN_TIME_COST),
                "CROUPIER_ARGON2_PARALLELISM": "1",
                # 64 sign-ins from one address in a few seconds would meet the per-address throttle.
                "CROUPIER_IP_SIGN_IN_RATE": "1000000/minute",
            }
        )
        return env

    def start(self) -> float:
        """Spawn the server; the seconds until ``/readyz`` answered 200."""
        self.port = free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process, seconds = spawn_until_ready(
            ["serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env(),
            cwd=self.data_dir,
            log=self.log,
            url=self.url,
            timeout=READY_TIMEOUT,
            own_group=True,
        )
        return seconds

    def stop(self) -> None:
        """SIGINT (uvicorn's graceful stop, workers included); the process group killed if it lingers."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # any worker left behind; the group is ours alone
        if process.poll() is None:
            process.wait(timeout=10)

    def tail(self) -> str:
        return tail(self.log)


def sign_in(url: str, emails: Sequence[str]) -> list[str]:
    """A session token per entry (the same email may come back: several sessions of one player)."""
    tokens = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for email in emails:
            response = http.post("/v1/sessions", json={"email": email, "password": PASSWORD})
            if response.status_code != 201:
                raise SystemExit(f"sign-in failed: {response.status_code} {response.text}")
            tokens.append(response.json()["token"])
    return tokens


async def measure_dice_rounds(
    url: str, label: str, tokens: Sequence[str], seconds: float, warmup: float
) -> Measurement:
    """Each client posts dice rounds (stake and settle, one request, one transaction) on its own session.

    One keep-alive connection per client (``lean_http``: the load generator shares the cores)."""
    clients = [LeanClient(url) for _ in tokens]
    body = json.dumps(DICE_BET).encode()

    def operation(http: LeanClient, token: str) -> Operation:
        auth = f"Bearer {token}"

        async def play() -> list[float]:
            t0 = time.perf_counter()
            response = await http.post(
                "/v1/games/dice/rounds",
                body,
                {
                    "Content-Type": "application/json",
                    "Authorization": auth,
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            )
            elapsed = time.perf_counter() - t0
            if response.status != 201:
                raise Failed(f"{response.status} {response.body[:200]!r}")
            return [elapsed]

        return play

    try:
        measured, _ = await closed_loop(
            label, [operation(h, t) for h, t in zip(clients, tokens, strict=True)], seconds, warmup
        )
        return measured
    finally:
        for http in clients:
            await http.aclose()
