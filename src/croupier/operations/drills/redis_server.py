"""A drill's own ``redis-server`` (Debian's package): loopback, a free port, nothing written to disk."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess  # nosec B404 - starts Debian's redis-server with fixed arguments
from pathlib import Path

from croupier.kit.processes import free_port
from croupier.operations.drills.nodes import stop_session, wait_started

READY_WITHIN_SECONDS = 10.0


class RedisServer:
    """Shared state for the nodes (the rate limiter's counters); gone with the drill."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.log = folder / "redis.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def __enter__(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603  # nosec B603 - Debian's redis-server, fixed arguments
                # No persistence: the counters matter for a minute, the drill for less.
                [
                    *(binary, "--bind", "127.0.0.1", "--port", str(self.port), "--daemonize", "no"),
                    *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        wait_started(self.process, self._pong, what="redis-server", log=self.log, within=READY_WITHIN_SECONDS)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _pong(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_session(process)
