"""``croupier serve`` on SIGTERM: drain (unready, still serving), stop accepting, finish, exit 0.

A request is held in flight by its client: the headers and one byte of the body go
first, the rest when the test says so. The endpoint is already running (waiting for
its body) when SIGTERM arrives.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.factories import player_data
from tests.test_serve_process import Server, data_dir, servers

pytestmark = pytest.mark.slow

__all__ = ["data_dir", "servers"]  # fixtures of test_serve_process, used here

# Long enough for the probes below on a busy CI machine.
DRAIN_SECONDS = 5.0


class HeldRequest:
    """A JSON POST whose body the test sends in two parts."""

    def __init__(self, port: int, path: str, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.connection.sendall(head + body[:1])
        self.rest = body[1:]

    def finish(self) -> int:
        """Send the rest of the body; the answer's status code."""
        self.connection.sendall(self.rest)
        answer = b""
        while b"\r\n" not in answer:
            chunk = self.connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        self.connection.close()
        return int(answer.split(b" ", 2)[1]) if answer else 0

    def close(self) -> None:
        self.connection.close()


def _refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def _wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.1)
    return False


def _readyz(server: Server) -> httpx.Response:
    return httpx.get(f"{server.base_url}/readyz", timeout=5)


def test_sigterm_drains_then_finishes_the_request_in_flight_and_exits_0(
    servers: list[Server], data_dir: Path
) -> None:
    server = start_with(servers, data_dir, CROUPIER_SHUTDOWN_DRAIN_SECONDS=str(DRAIN_SECONDS))
    server.wait_ready()
    held = HeldRequest(server.port, "/v1/players", player_data())
    time.sleep(0.5)  # the endpoint is waiting for the rest of its body
    assert server.process is not None
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)

    # Draining: unready for the balancer, yet alive and serving new connections.
    assert _wait_for(lambda: _readyz(server).status_code == 503, DRAIN_SECONDS)
    unready = _readyz(server)
    assert unready.headers["content-type"] == "application/problem+json"
    assert unready.json()["code"] == "shutting_down"
    assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
    assert time.monotonic() - signalled < DRAIN_SECONDS, "the drain was over before it was seen"

    # Then no new connections; the request in flight keeps the process up.
    assert _wait_for(lambda: _refuses_connections(server.port), DRAIN_SECONDS + 10)
    assert time.monotonic() - signalled >= DRAIN_SECONDS
    assert server.process.poll() is None
    assert held.finish() == 202

    code = server.process.wait(timeout=30)
    assert code == 0, server.stderr()
    log = server.stderr()
    assert "shutdown_drain_started" in log
    # The app's shutdown ran: mail relay, event consumers, the jobs worker stopped in order.
    assert "Application shutdown complete" in log
    assert "Traceback" not in log


def test_several_workers_drain_and_exit_0_within_the_deadline_even_with_a_request_stuck(
    servers: list[Server], data_dir: Path
) -> None:
    timeout = 2
    server = start_with(
        servers,
        data_dir,
        CROUPIER_WORKERS="2",
        CROUPIER_SHUTDOWN_DRAIN_SECONDS=str(DRAIN_SECONDS),
        CROUPIER_SHUTDOWN_TIMEOUT_SECONDS=str(timeout),
    )
    server.wait_ready(timeout=120)
    stuck = HeldRequest(server.port, "/v1/players", player_data())  # never finished
    time.sleep(0.5)
    assert server.process is not None
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    try:
        assert _wait_for(lambda: _readyz(server).status_code == 503, DRAIN_SECONDS)
        assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
        # Drain, then the request's deadline, then the background work's own grace.
        code = server.process.wait(timeout=DRAIN_SECONDS + timeout + 20)
    finally:
        stuck.close()
    assert code == 0, server.stderr()
    assert time.monotonic() - signalled >= DRAIN_SECONDS
    # Both workers drained (each logs it once).
    assert server.stderr().count("shutdown_drain_started") == 2, server.stderr()


def start_with(servers: list[Server], data_dir: Path, **env: str) -> Server:
    server = Server(data_dir, data_dir.parent / f"serve-{len(servers)}.log")
    server.env = env
    servers.append(server)
    server.start()
    return server
