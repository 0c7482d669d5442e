"""Identity benchmark: start-up, sign-in and authenticated-read throughput of ``croupier serve``.

Run from the repository with the project's virtualenv::

    .venv/bin/python bench/identity.py [--seconds 10] [--clients 32]

It creates a fresh embedded data folder in a temporary directory, starts the real
server (``croupier serve`` with nothing configured but that folder) on a free loopback
port, measures, stops it and deletes the folder. It prints a Markdown table and
writes nothing else. Every loop is bounded in time; all traffic goes to 127.0.0.1.

What is measured, and against what reference from the same run:

* start-up: spawning ``croupier serve`` until ``GET /readyz`` answers 200, on a new
  data folder (cold: initdb, migrations, key generation) and on the existing one
  (warm; the embedded PostgreSQL stopped in between, as after a reboot);
* sign-in latency (``POST /v1/sessions``, one client, sequential) at the production
  argon2id parameters (the Settings defaults), against a bare argon2-cffi ``verify``
  with the same parameters in this process;
* ``GET /v1/me`` requests/s and latency with N concurrent keep-alive clients
  (one httpx.AsyncClient each), each on its own session, against ``GET /healthz`` measured
  the same way.

The load generator shares the machine's cores with the server, so absolute figures
are a floor; the ratios are the part that travels between machines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from argon2 import PasswordHasher, Type
from serving import percentile, spawn_until_ready, tail

from croupier.kit.processes import free_port
from croupier.kit.settings import Settings

PASSWORD = "correct horse battery staple"  # noqa: S105 - a throwaway benchmark player
READY_TIMEOUT = 120.0


def postmaster_running(data_dir: Path) -> int | None:
    try:
        pid = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 0)
    except (FileNotFoundError, IndexError, ValueError, ProcessLookupError):
        return None
    return pid


@dataclass
class Server:
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Spawn ``croupier serve``; return the seconds until /readyz answered 200."""
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
        env["CROUPIER_DATA_DIR"] = str(self.data_dir)
        # The per-address sign-in throttle (30/minute) would turn the sign-in loop into 429s;
        # nothing else departs from the defaults (argon2id parameters included).
        env["CROUPIER_IP_SIGN_IN_RATE"] = "1000000/minute"
        self.process, seconds = spawn_until_ready(
            ["serve", "--port", str(self.port)],
            env=env,
            cwd=self.data_dir.parent,
            log=self.log,
            url=self.url,
            timeout=READY_TIMEOUT,
            own_group=False,
        )
        return seconds

    def stop(self) -> None:
        # SIGINT: uvicorn shuts down gracefully and the process then exits normally, so the
        # embedded PostgreSQL is stopped as well (after SIGTERM it is left running).
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        # Normally already stopped by pgserver at exit; otherwise a fast shutdown of our server.
        deadline = time.monotonic() + 5
        while postmaster_running(self.data_dir) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        if (pid := postmaster_running(self.data_dir)) is not None:
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + 15
            while postmaster_running(self.data_dir) is not None and time.monotonic() < deadline:
                time.sleep(0.1)

    def tail(self) -> str:
        return tail(self.log)


def time_calls(call: Callable[[], None], seconds: float, at_most: int) -> list[float]:
    samples: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and len(samples) < at_most:
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return samples


def measure_sign_in(server: Server, email: str, seconds: float) -> list[float]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        body = {"email": email, "password": PASSWORD}

        def sign_in() -> None:
            response = http.post("/v1/sessions", json=body)
            if response.status_code != 201:
                raise SystemExit(f"sign-in failed: {response.status_code} {response.text}")

        sign_in()  # warm-up: first connection, first hash
        return time_calls(sign_in, seconds, at_most=2000)


def measure_bare_argon2(settings: Settings, seconds: float) -> list[float]:
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_kib,
        parallelism=settings.argon2_parallelism,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )
    stored = hasher.hash(PASSWORD)
    hasher.verify(stored, PASSWORD)
    return time_calls(lambda: hasher.verify(stored, PASSWORD) and None, seconds, at_most=2000)


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


async def measure_load(url: str, path: str, tokens: list[str | None], seconds: float, warmup: float) -> Load:
    """One keep-alive client (its own connection and session token) per entry of ``tokens``."""
    # Separate AsyncClients: one shared client's connection pool is itself the bottleneck at
    # 32 connections (about a third of the rate on this machine).
    clients = [httpx.AsyncClient(base_url=url, timeout=30) for _ in tokens]
    latencies: list[float] = []
    errors = 0
    measuring = False

    async def client(http: httpx.AsyncClient, token: str | None, stop_at: float) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            response = await http.get(path, headers=headers)
            elapsed = time.perf_counter() - t0
            if measuring:
                if response.status_code == 200:
                    latencies.append(elapsed)
                else:
                    errors += 1

    try:
        warm_until = time.perf_counter() + warmup
        await asyncio.gather(*(client(h, t, warm_until) for h, t in zip(clients, tokens, strict=True)))
        measuring = True
        started = time.perf_counter()
        await asyncio.gather(*(client(h, t, started + seconds) for h, t in zip(clients, tokens, strict=True)))
        return Load(len(latencies), errors, time.perf_counter() - started, latencies)
    finally:
        for http in clients:
            await http.aclose()


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measurement")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients for GET /v1/me")
    parser.add_argument("--warm-starts", type=int, default=3, help="warm starts to take the median of")
    args = parser.parse_args()
    settings = Settings()  # the defaults: what production runs unless told otherwise

    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="croupier-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        server = Server(data_dir=data_dir, log=Path(tmp) / "serve.log")
        try:
            cold = server.start()
            server.stop()
            warm_runs = []
            for _ in range(args.warm_starts):
                warm_runs.append(server.start())
                server.stop()
            warm = statistics.median(warm_runs)
            rows.append(("start-up to /readyz, cold (new data folder)", f"{cold:.2f} s", "", ""))
            rows.append((f"start-up to /readyz, warm (median of {len(warm_runs)})", f"{warm:.2f} s", "", ""))

            server.start()
            email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
            with httpx.Client(base_url=server.url, timeout=30) as http:
                player = {
                    "email": email,
                    "password": PASSWORD,
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "date_of_birth": "1990-12-10",
                    "country": "MT",
                }
                created = http.post("/v1/players", json=player)
                if created.status_code != 202:
                    raise SystemExit(f"registration failed: {created.status_code} {created.text}")
            sign_ins = measure_sign_in(server, email, args.seconds)
            bare = measure_bare_argon2(settings, args.seconds / 2)
            params = (
                f"argon2id {settings.argon2_memory_kib // 1024} MiB, t={settings.argon2_time_cost}, "
                f"p={settings.argon2_parallelism}"
            )
            rows.append(
                (
                    f"sign-in p50 / p99 ({params}; n={len(sign_ins)})",
                    f"{ms(percentile(sign_ins, 50))} / {ms(percentile(sign_ins, 99))}",
                    f"bare argon2 verify p50 {ms(percentile(bare, 50))} (n={len(bare)})",
                    f"{percentile(sign_ins, 50) / percentile(bare, 50):.2f}x",
                )
            )

            with httpx.Client(base_url=server.url, timeout=30) as http:
                tokens: list[str | None] = []
                for _ in range(args.clients):
                    response = http.post("/v1/sessions", json={"email": email, "password": PASSWORD})
                    tokens.append(response.json()["token"])
            warmup = min(2.0, args.seconds / 5)
            me = asyncio.run(measure_load(server.url, "/v1/me", tokens, args.seconds, warmup))
            health = asyncio.run(
                measure_load(server.url, "/healthz", [None] * args.clients, args.seconds, warmup)
            )
            if me.errors or health.errors:
                raise SystemExit(f"errors under load: /v1/me {me.errors}, /healthz {health.errors}")
            rows.append(
                (
                    f"GET /v1/me, {args.clients} clients (p50 / p99)",
                    f"{me.rate:.0f} req/s ({ms(percentile(me.latencies, 50))} / "
                    f"{ms(percentile(me.latencies, 99))})",
                    f"GET /healthz {health.rate:.0f} req/s ({ms(percentile(health.latencies, 50))} / "
                    f"{ms(percentile(health.latencies, 99))})",
                    f"{me.rate / health.rate:.2f}",
                )
            )
        finally:
            server.stop()

    cpus = os.cpu_count()
    print(
        f"Croupier identity benchmark: {platform.python_implementation()} {platform.python_version()}, "
        f"{cpus} cores, {platform.system()} {platform.machine()}, 1 worker, "
        f"{args.seconds:.0f} s per measurement, load average {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    header = ("measurement", "result", "reference (same run)", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")


if __name__ == "__main__":
    main()
