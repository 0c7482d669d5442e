"""Server CPU per request: ``croupier serve`` (one worker) saturated by wrk, against the least a
request can cost on the same server stack, all in one run.

Run from the repository with the project's virtualenv (wrk from Debian's ``wrk`` package;
``--profile`` needs py-spy from PyPI)::

    .venv/bin/python bench/server_cpu.py [--seconds 10] [--connections 32] [--profile]

Each row: wrk (2 threads, N keep-alive connections) drives one server process for the given
seconds; the server's CPU time (user + system, from ``/proc``) divided by the requests answered
is its CPU per request. The rows:

* a bare ASGI callable under uvicorn (``bench/bare_apps.py``): uvicorn's own cost;
* a FastAPI app with one route: the framework's cost on top;
* ``GET /healthz`` of ``croupier serve``: Croupier's middleware on top of that;
* ``POST /v1/games/dice/rounds``: a dice round (a player per connection, a new
  ``Idempotency-Key`` per request), the bet path;
* ``POST /providers/hub88/<studio>/transaction/bet``: a Hub88 bet, signed by the studio's RSA
  key before the clock starts, each a round of its own and sent once (``--hub88-rate`` says
  how many to sign); an answer other than ``RS_OK`` counts as an error.

uvicorn runs with the options ``croupier serve`` gives it (uvloop and httptools when
installed, no access log). ``--profile`` also samples the dice round's server with py-spy
and prints the functions where it spent the most time (their own time, and with callees).
Everything runs on one embedded PostgreSQL in a temporary folder, deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hub88_load
import psycopg
from cryptography.hazmat.primitives.asymmetric import rsa
from serving import tail
from wallet_http import DICE_BET, Serve, sign_in

from croupier.kit import migrate
from croupier.kit.embedded import embedded_url, libpq_conninfo, start_embedded_server
from croupier.kit.keyring import Keyring
from croupier.kit.logging import configure_logging
from croupier.kit.processes import free_port
from croupier.kit.runtime import Runtime
from croupier.kit.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, Settings
from wallet import fund, register

BENCH = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Writes wrk's Lua script for one run and gives its path.
Script = Callable[[], Path]


@dataclass
class Row:
    label: str
    requests: int
    seconds: float
    cpu_seconds: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu_seconds / max(1, self.requests)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def wrk(url: str, *, seconds: float, connections: int, script: Script | None) -> tuple[int, float, int]:
    """Requests answered, the seconds wrk measured, and the answers that were not 2xx or 3xx."""
    wrk_bin = shutil.which("wrk")
    if wrk_bin is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    command = [wrk_bin, "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s", "--latency"]
    if script is not None:
        command += ["-s", str(script())]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", done.stdout)
    if found is None:
        raise SystemExit(f"wrk said: {done.stdout}{done.stderr}")
    measured = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", done.stdout
    )
    failed = int(errors.group(1)) if errors else 0
    refused = re.search(r"Hub88 refused: (\d+)", done.stdout)
    if refused:
        failed += int(refused.group(1))
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return int(found.group(1)), measured, failed


def measure(
    label: str, pid: int, url: str, *, seconds: float, connections: int, script: Script | None
) -> Row:
    # A short warm-up first: connection pools, caches and the first requests' imports.
    wrk(url, seconds=2, connections=connections, script=script)
    before = cpu_seconds(pid)
    requests, measured, errors = wrk(url, seconds=seconds, connections=connections, script=script)
    return Row(label, requests, measured, cpu_seconds(pid) - before, errors)


def dice_script(folder: Path, tokens: list[str]) -> Path:
    """wrk's Lua: each request a dice round of one of the players, under a key never used before
    (a new file for every run of wrk: its counters start again at 0)."""
    body = json.dumps(DICE_BET)
    lua = f"""
local tokens = {{{", ".join(f'"{t}"' for t in tokens)}}}
local body = '{body}'
local run = "{uuid.uuid4().hex[:12]}"
{_THREADS}
function init(args)
  counter = 0
end
function request()
  counter = counter + 1
  local token = tokens[(counter * 2 + tid) % #tokens + 1]
  return wrk.format("POST", "/v1/games/dice/rounds", {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter,
  }}, body)
end
"""
    return _written(folder, "dice", lua)


def hub88_script(folder: Path, bets: list[tuple[bytes, str]]) -> Path:
    """wrk's Lua: each request a signed Hub88 bet never sent before (a bet of a round of its own);
    answers whose status is not RS_OK are counted and printed by ``done``."""
    bodies = ",\n".join(f"{{[==[{raw.decode()}]==], '{signature}'}}" for raw, signature in bets)
    lua = f"""
local bets = {{
{bodies}
}}
{_THREADS}
function init(args)
  counter = 0
  refused = 0
end
function request()
  counter = counter + 1
  local bet = bets[(counter * 2 + tid) % #bets + 1]
  return wrk.format("POST", "/providers/hub88/{hub88_load.PROVIDER}/transaction/bet", {{
    ["Content-Type"] = "application/json",
    ["X-Hub88-Signature"] = bet[2],
  }}, bet[1])
end
function response(status, headers, body)
  if not string.find(body, '"RS_OK"', 1, true) then
    refused = refused + 1
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("refused")
  end
  io.write("Hub88 refused: " .. total .. "\\n")
end
"""
    return _written(folder, "hub88", lua)


# Each of wrk's threads numbered (``tid``: its requests take every other item), and kept for ``done``.
_THREADS = """local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end"""


def _written(folder: Path, name: str, lua: str) -> Path:
    """The script in a file of its own: wrk's counters start again at 0 with every run."""
    path = folder / f"{name}-{uuid.uuid4().hex[:8]}.lua"
    path.write_text(lua)
    return path


def serve_bare(app: str, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn serving ``bare_apps:APP`` with croupier serve's options; its process and URL."""
    port = free_port()
    code = (
        f"import uvicorn, sys; sys.path.insert(0, {str(BENCH)!r}); "
        f"uvicorn.run('bare_apps:{app}', host='127.0.0.1', port={port}, log_config=None, "
        "access_log=False, server_header=False, date_header=True)"
    )
    with log.open("ab") as out:
        process = subprocess.Popen([sys.executable, "-c", code], stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            import httpx

            if httpx.get(url, timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"bare app {app} did not start: {tail(log)}")


def profile(
    pid: int, seconds: float, out: Path, url: str, *, connections: int, script: Script, keep: Path | None
) -> list[str]:
    """py-spy samples the server while wrk drives it; the top functions by own and total time."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        return ["(py-spy is not installed: pip install py-spy)"]
    raw = out / "dice.collapsed"
    sampler = subprocess.Popen(
        [
            py_spy,
            "record",
            "--gil",
            "-p",
            str(pid),
            "-d",
            f"{seconds:.0f}",
            "-r",
            "250",
            "-f",
            "raw",
            "-o",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wrk(url, seconds=seconds, connections=connections, script=script)
    sampler.wait(timeout=seconds + 60)
    if keep is not None:
        shutil.copyfile(raw, keep)
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r" \((?:.*/)?([^/]+/[^/]+?):\d+\)$", r" (\1)", f) for f in stack.split(";")]
        n = int(count)
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    lines = [f"{samples} samples; own time:"]
    lines += [f"  {100 * n / samples:5.1f} %  {frame}" for frame, n in own.most_common(15)]
    lines += ["with callees:"]
    # Below the request's entry point: what a dice round's time is made of.
    inner = [
        (f, n) for f, n in total.most_common() if n < total["RequestContextMiddleware.__call__ (kit/http.py)"]
    ]
    lines += [f"  {100 * n / samples:5.1f} %  {frame}" for frame, n in inner[:40]]
    return lines


async def prepare(
    workdir: Path, server: object, players: int, key: rsa.RSAPrivateKey
) -> tuple[str, str, list[str], list[hub88_load.Studio]]:
    database_url = embedded_url(server)  # type: ignore[arg-type]
    keyring = Keyring.generate().to_json()
    settings = Settings(
        environment="development",
        database_url=database_url,
        keyring=keyring,
        data_dir=workdir / "data",
        argon2_memory_kib=ARGON2_MIN_MEMORY_KIB,
        argon2_time_cost=ARGON2_MIN_TIME_COST,
        argon2_parallelism=1,
    )
    runtime = await Runtime.start(settings)
    try:
        await migrate.upgrade(runtime.database.engine)
        emails = [f"cpu-{uuid.uuid4().hex[:12]}@example.com" for _ in range(players)]
        ids = await register(runtime, emails)
        for player_id in ids:
            await fund(runtime.database, player_id)
        await hub88_load.register_studio(runtime, key)
        game_tokens = await hub88_load.issue_tokens(runtime, ids)
    finally:
        await runtime.close()
    studios = [
        hub88_load.Studio(key, player_id, token, random.Random(n))
        for n, (player_id, token) in enumerate(zip(ids, game_tokens, strict=True))
    ]
    return database_url, keyring, emails, studios


def bare_rows(workdir: Path, args: argparse.Namespace) -> list[Row]:
    """The least a request can cost: a bare ASGI app, then a FastAPI route, each under uvicorn."""
    rows = []
    for app, label in (("asgi", "bare ASGI app, uvicorn"), ("fastapi", "FastAPI, one route")):
        process, url = serve_bare(app, workdir / f"{app}.log")
        try:
            rows.append(
                measure(
                    label, process.pid, url, seconds=args.seconds, connections=args.connections, script=None
                )
            )
        finally:
            process.terminate()
            process.wait(timeout=20)
    return rows


# Round trips to PostgreSQL per request, BEGIN and COMMIT included (the pool's ping only after
# an idle second): a dice round's four statements (tests/games/test_round_cost.py), a Hub88
# bet's six (tests/providers/test_hub88_bet_cost.py).
ROUND_TRIPS = {"croupier dice round": 6, "croupier Hub88 bet": 8}


async def _round_trips(conninfo: str, transactions: int) -> float:
    """Client CPU seconds per round trip of psycopg's asynchronous connection, as the server uses it
    (a transaction: BEGIN, ``SELECT 1``, COMMIT), measured in this process."""
    async with await psycopg.AsyncConnection.connect(conninfo) as connection:
        for _ in range(100):  # warm-up: prepared statements, the loop's first allocations
            await connection.execute("SELECT 1")
            await connection.commit()
        started = time.process_time()
        for _ in range(transactions):
            await connection.execute("SELECT 1")
            await connection.commit()
        return (time.process_time() - started) / (3 * transactions)


def round_trip_cost(database_url: str, transactions: int = 5000) -> float:
    """``_round_trips`` on the event loop ``croupier serve`` runs (uvloop when installed)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        return asyncio.run(_round_trips(libpq_conninfo(database_url), transactions))
    return uvloop.run(_round_trips(libpq_conninfo(database_url), transactions))


def croupier_rows(workdir: Path, args: argparse.Namespace) -> tuple[list[Row], list[str], float]:
    """``croupier serve`` (one worker): /healthz, a dice round, a Hub88 bet; and the profile."""
    rows: list[Row] = []
    profiled: list[str] = []
    server = start_embedded_server(workdir / "pg-data", delete_on_exit=True)
    serve = None
    try:
        database_url, keyring, emails, studios = asyncio.run(
            prepare(workdir, server, args.connections, hub88_load.new_key())
        )
        round_trip = round_trip_cost(database_url)
        serve = Serve(database_url, keyring, 1, args.connections, workdir / "serve", workdir / "serve.log")
        serve.start()
        if serve.process is None:
            raise SystemExit("croupier serve did not start")
        pid = serve.process.pid
        tokens = sign_in(serve.url, emails)

        def run(label: str, url: str, script: Script | None) -> Row:
            row = measure(label, pid, url, seconds=args.seconds, connections=args.connections, script=script)
            rows.append(row)
            return row

        def dice() -> Path:
            return dice_script(workdir, tokens)

        # Signed before the clock starts (the studio's CPU, not Croupier's): enough bets for
        # the warm-up and for the measurement at up to --hub88-rate, each sent once.
        per_run = int(args.hub88_rate * args.seconds)
        runs = 3 if args.profile else 2
        bets = [studios[n % len(studios)].bet() for n in range(runs * per_run)]

        def hub88() -> Path:
            taken, bets[:] = bets[:per_run], bets[per_run:]
            return hub88_script(workdir, taken)

        run("croupier GET /healthz", f"{serve.url}/healthz", None)
        run("croupier dice round", serve.url, dice)
        if run("croupier Hub88 bet", serve.url, hub88).requests > per_run:
            print("note: some Hub88 bets were replays; raise --hub88-rate")
        if args.profile:
            for name, script in (("dice", dice), ("hub88", hub88)):
                profiled += [f"{name}, py-spy:"]
                kept = None if args.profile_out is None else args.profile_out / f"{name}.collapsed"
                profiled += profile(
                    pid,
                    args.seconds,
                    workdir,
                    serve.url,
                    connections=args.connections,
                    script=script,
                    keep=kept,
                )
    finally:
        if serve is not None:
            serve.stop()
        server.cleanup()  # type: ignore[attr-defined]
    return rows, profiled, round_trip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each measurement")
    parser.add_argument("--connections", type=int, default=32, help="wrk's keep-alive connections")
    parser.add_argument(
        "--profile", action="store_true", help="also sample the server with py-spy under each bet path"
    )
    parser.add_argument(
        "--hub88-rate",
        type=int,
        default=700,
        help="Hub88 bets per second to sign ahead (each bet is sent once)",
    )
    parser.add_argument(
        "--profile-out", type=Path, help="a folder to keep the profiles' collapsed stacks in (flame graphs)"
    )
    args = parser.parse_args()
    if args.profile_out is not None:
        args.profile_out.mkdir(parents=True, exist_ok=True)
    configure_logging("warning")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="croupier-bench-cpu-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o755)  # noqa: S103 - the embedded server's user must reach its folder
        rows = bare_rows(workdir, args)
        served, profiled, round_trip = croupier_rows(workdir, args)
        rows += served

    bare, framework = rows[0], rows[1]
    print(
        f"Server CPU per request: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, wrk -t2 -c{args.connections}, {args.seconds:.0f} s per row, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    print("| request | requests/s | server CPU per request | vs bare ASGI | vs FastAPI route | errors |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.label} | {row.rate:,.0f} | {row.cpu_ms:.3f} ms | {row.cpu_ms / bare.cpu_ms:.1f}x "
            f"| {row.cpu_ms / framework.cpu_ms:.1f}x | {row.errors} |"
        )
    print()
    # What no change above the driver can go below: the stack's own cost (/healthz) and the
    # client CPU of the request's round trips, before any of the bet's own work.
    healthz = next(row for row in rows if row.label == "croupier GET /healthz")
    print(
        "psycopg round trip (asyncio, one `SELECT 1`, BEGIN or COMMIT):"
        f" {1e6 * round_trip:.0f} µs of client CPU"
    )
    for row in rows:
        trips = ROUND_TRIPS.get(row.label)
        if trips is not None:
            floor = healthz.cpu_ms + 1000 * trips * round_trip
            print(
                f"{row.label}: {trips} round trips + GET /healthz = {floor:.2f} ms before its own work"
                f" ({row.cpu_ms:.2f} ms measured, {100 * floor / row.cpu_ms:.0f} %)"
            )
    if profiled:
        print()
        for line in profiled:
            print(line)


if __name__ == "__main__":
    main()
