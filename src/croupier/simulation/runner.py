"""Running a planned population, writing its labels, and serving a Croupier of its own to run it on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from croupier.kit.processes import croupier_command, free_port
from croupier.simulation.actors import Actor, Mailbox, Target, Traffic
from croupier.simulation.population import PopulationPlan

READY_WITHIN_SECONDS = 180.0
STOP_WITHIN_SECONDS = 30.0
DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True)
class Label:
    """Ground truth about one account: what it was used for."""

    player_id: str
    typology: str
    email: str
    actor: str
    scenario: str

    def line(self) -> str:
        return json.dumps(
            {
                "player_id": self.player_id,
                "typology": self.typology,
                "email": self.email,
                "actor": self.actor,
                "scenario": self.scenario,
            },
            sort_keys=True,
        )


@dataclass(frozen=True)
class Report:
    labels: list[Label]
    traffic: Traffic
    failures: list[tuple[str, str]]  # (actor, what failed): unexpected answers
    refusals: list[tuple[str, str]]  # (actor, the step the risk engine refused)
    seconds: float


async def run(plan: PopulationPlan, target: Target, *, concurrency: int = DEFAULT_CONCURRENCY) -> Report:
    """Play every actor of ``plan`` against ``target``; at most ``concurrency`` requests at once."""
    traffic = Traffic()
    gate = asyncio.Semaphore(concurrency)
    mailbox = Mailbox(target.mailbox)
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency * 2)
    async with (
        httpx.AsyncClient(base_url=target.base_url, timeout=60, limits=limits) as http,
        httpx.AsyncClient(base_url=target.psp_url, timeout=30, limits=limits) as psp,
    ):
        actors = [
            Actor(actor, http=http, psp=psp, mailbox=mailbox, traffic=traffic, gate=gate)
            for actor in plan.actors
        ]
        started = time.monotonic()
        await asyncio.gather(*(actor.run(started) for actor in actors))
        elapsed = time.monotonic() - started
    labels = [
        Label(
            player_id=state.player_id,
            typology=actor.plan.typology,
            email=state.account.email,
            actor=actor.plan.name,
            scenario=actor.plan.scenario,
        )
        for actor in actors
        for state in actor.accounts
        if state.player_id is not None
    ]
    stopped = [actor for actor in actors if actor.error is not None]
    return Report(
        labels=labels,
        traffic=traffic,
        failures=[(a.plan.name, str(a.error)) for a in stopped if a.error and not a.error.refused_by_risk],
        refusals=[(a.plan.name, a.error.step) for a in stopped if a.error and a.error.refused_by_risk],
        seconds=elapsed,
    )


def write_labels(path: Path, labels: Sequence[Label]) -> None:
    """One JSON object per line, in the plan's order."""
    with path.open("w", encoding="utf-8") as out:
        for label in labels:
            out.write(label.line() + "\n")


# A Croupier of the simulation's own -----------------------------------------------------


class ServerFailed(RuntimeError):
    pass


@contextlib.asynccontextmanager
async def own_server(
    environment: dict[str, str], *, mailbox: Path, log_folder: Path
) -> AsyncIterator[Target]:
    """``croupier sandbox psp`` and ``croupier serve`` as processes of their own, wired to each other.

    The server uses the caller's configuration (by default the embedded PostgreSQL in
    the data folder, as ``croupier serve`` does), so that ``croupier risk evaluate``
    afterwards reads the same database; mail goes to the development mailbox.
    """
    await asyncio.to_thread(log_folder.mkdir, parents=True, exist_ok=True)
    api_key, webhook_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
    psp_log = (log_folder / "simulation-psp.log").open("w", encoding="utf-8")
    serve_log = (log_folder / "simulation-serve.log").open("w", encoding="utf-8")
    base_env = {k: v for k, v in environment.items() if not k.startswith("CROUPIER_SANDBOX_")}
    psp = await asyncio.create_subprocess_exec(
        *croupier_command(),
        *("sandbox", "psp", "--port", "0", "--api-key", api_key, "--webhook-secret", webhook_secret),
        *("--payout-delay", "0.2", "--refund-delay", "0.2"),
        env=base_env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=psp_log,
    )
    server: asyncio.subprocess.Process | None = None
    try:
        psp_url = await _announced_url(psp)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server_env = {
            **base_env,
            "CROUPIER_HOST": "127.0.0.1",
            "CROUPIER_PORT": str(port),
            "CROUPIER_PUBLIC_URL": base_url,
            "CROUPIER_WEBHOOK_BASE_URL": base_url,
            "CROUPIER_PSP_URL": psp_url,
            "CROUPIER_PSP_API_KEY": api_key,
            "CROUPIER_PSP_WEBHOOK_SECRETS": webhook_secret,
            "CROUPIER_MAIL_BACKEND": "mailbox",
            # The simulator is the proxy in front of every actor: its X-Forwarded-For is believed.
            "CROUPIER_TRUSTED_PROXIES": "127.0.0.1",
            "CROUPIER_WORKERS": "1",
            # The simulation measures the risk engine: its actors withdraw and deposit unverified,
            # so its own server opens the KYC gates (a --url server must do the same).
            "CROUPIER_KYC_WITHDRAWAL_LEVEL": "none",
            "CROUPIER_KYC_DEPOSIT_LEVEL": "none",
        }
        server = await asyncio.create_subprocess_exec(
            *croupier_command(),
            "serve",
            env=server_env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=serve_log,
            stderr=serve_log,
        )
        await _wait_ready(server, base_url, log_folder / "simulation-serve.log")
        yield Target(base_url=base_url, psp_url=psp_url, mailbox=mailbox)
    finally:
        for process in (server, psp):
            if process is not None:
                await _stop(process)
        psp_log.close()
        serve_log.close()


async def _announced_url(psp: asyncio.subprocess.Process) -> str:
    if psp.stdout is None:
        raise ServerFailed("the sandbox payment provider's output is not piped")
    prefix = "sandbox psp listening on "
    try:
        async with asyncio.timeout(READY_WITHIN_SECONDS):
            while line := (await psp.stdout.readline()).decode():
                if line.startswith(prefix):
                    url = line.removeprefix(prefix).strip()
                    # Keep draining its output so that a full pipe never blocks it.
                    asyncio.get_running_loop().create_task(_drain(psp.stdout))
                    return url
    except TimeoutError:
        pass
    raise ServerFailed("the sandbox payment provider did not start")


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


async def _wait_ready(server: asyncio.subprocess.Process, base_url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as http:
        while time.monotonic() < deadline:
            if server.returncode is not None:
                # Its last words say why (a port taken meanwhile, a database that would not start).
                said = (await asyncio.to_thread(log.read_text, "utf-8", "replace")).strip().splitlines()[-5:]
                raise ServerFailed(
                    f"croupier serve exited with status {server.returncode}; {log} ends:\n" + "\n".join(said)
                )
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise ServerFailed(f"croupier serve was not ready within {READY_WITHIN_SECONDS:.0f} s")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_WITHIN_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
