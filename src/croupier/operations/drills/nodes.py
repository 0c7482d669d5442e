"""Croupier nodes for a drill: ``croupier serve`` processes on loopback sharing one database.

Each node is the installed console script in a process group of its own (so that a kill takes its
workers too and the terminal's Ctrl-C reaches only the drill), with a clean environment: none of the
caller's ``CROUPIER_*`` variables, only the database, the keyring, a data folder of its own and what
the drill adds. Each node's standard error goes to a log file, appended across restarts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess  # nosec B404 - starts Croupier's own console script with fixed arguments
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from croupier.kit.processes import croupier_command, free_port

READY_WITHIN_SECONDS = 60.0
STOP_WITHIN_SECONDS = 20.0


class NodeFailed(RuntimeError):
    """A node exited or did not become ready; the message ends with its log."""


def clean_environment(**croupier: str) -> dict[str, str]:
    """This process's environment without any ``CROUPIER_*`` variable, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
    env.update(croupier)
    return env


def stop_session(
    process: subprocess.Popen[bytes] | None, *, timeout: float = STOP_WITHIN_SECONDS
) -> int | None:
    """SIGTERM PROCESS (a graceful stop), then SIGKILL whatever is left of its session (it was
    started with ``start_new_session``); its exit code, None when it never started."""
    if process is None:
        return None
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait(timeout=timeout)


def wait_started(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], *, what: str, log: Path, within: float
) -> None:
    """Poll READY until it is true; when PROCESS exits first or WITHIN seconds pass, stop it and
    raise with the end of its LOG."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}):\n{log_tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    stop_session(process)
    raise RuntimeError(f"{what} not ready within {within:.0f} s:\n{log_tail(log)}")


def log_tail(log: Path, characters: int = 2000) -> str:
    try:
        return log.read_text(errors="replace")[-characters:]
    except FileNotFoundError:
        return ""


@dataclass
class Node:
    """One ``croupier serve --port PORT`` process that can be killed and started again on its port."""

    name: str
    env: dict[str, str]
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    spawned_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / "serve.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Spawn the process; ``wait_ready`` says when it serves."""
        if self.running:
            raise NodeFailed(f"{self.name} is running already")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.spawned_at = time.monotonic()
        with self.log.open("ab") as stderr:
            self.process = subprocess.Popen(  # noqa: S603  # nosec B603 - our console script, fixed arguments
                [*croupier_command(), "serve", "--port", str(self.port)],
                env=self.env,
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = READY_WITHIN_SECONDS) -> float:
        """Poll ``/readyz``; the seconds from spawning until it answered 200."""
        deadline = self.spawned_at + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise NodeFailed(f"{self.name} exited ({code}) before it was ready:\n{log_tail(self.log)}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - self.spawned_at
            time.sleep(0.05)
        raise NodeFailed(f"{self.name} not ready within {timeout:.0f} s:\n{log_tail(self.log)}")

    def kill(self) -> None:
        """SIGKILL the node and its workers: a crash, nothing finishes or says goodbye."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # the group is the node's alone
        self.process.wait(timeout=STOP_WITHIN_SECONDS)

    def stop(self) -> int | None:
        """SIGTERM (uvicorn's graceful stop), then SIGKILL to whatever is left; the exit code."""
        return stop_session(self.process)


class Nodes:
    """``count`` nodes on one database and keyring, each with its own port, data folder and log.

    ``extra_env`` is added to every node's environment (``CROUPIER_RATE_LIMIT_STORAGE``, …).
    Use as a context manager: every node is stopped on the way out, whatever happened.
    """

    def __init__(
        self,
        count: int,
        *,
        database_url: str,
        keyring: str,
        workdir: Path,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        if count < 1:
            raise ValueError("at least one node")
        self.nodes: list[Node] = []
        for index in range(count):
            folder = workdir / f"node-{index + 1}"
            env = clean_environment(
                CROUPIER_ENVIRONMENT="development",
                CROUPIER_DATABASE_URL=database_url,
                CROUPIER_KEYRING=keyring,
                CROUPIER_DATA_DIR=str(folder / "data"),
                **dict(extra_env or {}),
            )
            self.nodes.append(Node(name=f"node-{index + 1}", env=env, folder=folder))

    def __enter__(self) -> Nodes:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_all()

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def __getitem__(self, index: int) -> Node:
        return self.nodes[index]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def start_all(self, timeout: float = READY_WITHIN_SECONDS) -> list[float]:
        """Start every node at once; the seconds each took to become ready."""
        for node in self.nodes:
            node.start()
        return [node.wait_ready(timeout) for node in self.nodes]

    def kill(self, index: int) -> float:
        """SIGKILL one node; the monotonic time of the kill."""
        node = self.nodes[index]
        killed_at = time.monotonic()
        node.kill()
        return killed_at

    def restart(self, index: int, timeout: float = READY_WITHIN_SECONDS) -> float:
        """Start a stopped or killed node again on its port; the seconds until it was ready."""
        node = self.nodes[index]
        if node.running:
            node.stop()
        node.start()
        return node.wait_ready(timeout)

    def update_env(self, **variables: str) -> None:
        """Change every node's environment from its next start (a new database URL after a failover)."""
        for node in self.nodes:
            node.env.update(variables)

    def stop_all(self) -> None:
        for node in self.nodes:
            node.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {node.name} ({node.log})\n{log_tail(node.log)}" for node in self.nodes)
