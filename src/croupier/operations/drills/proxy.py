"""A drill's own HAProxy (Debian's package), configured from the production template, and a watch on
its view of the nodes: when it marked each one down and up again."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import shutil
import ssl
import subprocess  # nosec B404 - starts Debian's haproxy with fixed arguments
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from croupier.kit.processes import free_port
from croupier.operations import haproxy
from croupier.operations.drills.nodes import stop_session, wait_started

READY_WITHIN_SECONDS = 20.0
POLL_SECONDS = 0.05


@dataclass
class ServerState:
    status: str  # "UP", "DOWN", "UP 1/2" (failing), "DOWN 1/2" (recovering), …
    sessions: int  # requests sent to it so far


class HAProxy:
    """``haproxy -db`` in front of the ``(name, host:port)`` servers; TLS with a throwaway certificate."""

    def __init__(self, folder: Path, servers: Sequence[tuple[str, str]]) -> None:
        self.folder = folder
        self.servers = list(servers)
        self.https_port, self.http_port, self.stats_port = free_port(), free_port(), free_port()
        self.config = folder / "haproxy.cfg"
        self.log = folder / "haproxy.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.trusted: Path | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}/stats;csv"

    def tls(self) -> ssl.SSLContext:
        """A client context that trusts this HAProxy's certificate (and nothing else)."""
        if self.trusted is None:
            raise RuntimeError("HAProxy not started")
        return ssl.create_default_context(cafile=str(self.trusted))

    def render(self) -> str:
        bundle, self.trusted = haproxy.self_signed_certificate(self.folder / "tls")
        return haproxy.render(
            haproxy.Profile(
                note="# croupier drill balancer: loopback addresses, a throwaway certificate, short checks.",
                process=[],
                log="stderr format raw",
                maxconn=1000,
                certificate=str(bundle),
                https_bind=f"127.0.0.1:{self.https_port}",
                http_bind=f"127.0.0.1:{self.http_port}",
                stats_bind=f"127.0.0.1:{self.stats_port}",
                check=haproxy.DRILL_CHECK,
                servers=self.servers,
            )
        )

    def __enter__(self) -> HAProxy:
        binary = shutil.which("haproxy") or next(
            (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if Path(p).exists()), None
        )
        if binary is None:
            raise FileNotFoundError("haproxy is not installed (Debian: apt-get install haproxy)")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config.write_text(self.render())
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603  # nosec B603 - Debian's haproxy, fixed arguments
                [binary, "-db", "-f", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        wait_started(
            self.process,
            self._all_up,
            what="haproxy (every node UP)",
            log=self.log,
            within=READY_WITHIN_SECONDS,
        )
        return self

    def _all_up(self) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            states = self.states()
            return bool(states) and all(state.status == "UP" for state in states.values())
        return False

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_session(process)

    def stats(self, text: str | None = None) -> list[dict[str, str]]:
        """HAProxy's statistics, one row per frontend, server and backend."""
        if text is None:
            text = httpx.get(self.stats_url, timeout=2).text
        return list(csv.DictReader(io.StringIO(text.removeprefix("# "))))

    def states(self, text: str | None = None) -> dict[str, ServerState]:
        return {
            row["svname"]: ServerState(row["status"], int(row["stot"] or 0))
            for row in self.stats(text)
            if row["pxname"] == "croupier_nodes" and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def backend_counter(self, column: str) -> int:
        """A counter of the backend as a whole: ``wretr`` (retries), ``wredis`` (redispatches), …"""
        for row in self.stats():
            if row["pxname"] == "croupier_nodes" and row["svname"] == "BACKEND":
                return int(row[column] or 0)
        return 0


@dataclass
class StatusWatch:
    """Polls HAProxy's statistics while a drill runs; the moments each server changed status."""

    proxy: HAProxy
    changes: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    response = await http.get(self.proxy.stats_url)
                    now = time.monotonic()
                    for name, state in self.proxy.states(response.text).items():
                        seen = self.changes.setdefault(name, [])
                        if not seen or seen[-1][1] != state.status:
                            seen.append((now, state.status))
                await asyncio.sleep(POLL_SECONDS)

    async def wait_for(self, server: str, status: str, *, since: float, within: float) -> float | None:
        """When ``server`` was first seen in ``status`` after ``since``; None if not ``within`` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for moment, seen in self.changes.get(server, []):
                if moment >= since and seen == status:
                    return moment
            await asyncio.sleep(POLL_SECONDS)
        return None
