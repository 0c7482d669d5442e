"""The sandbox KYC provider as a real process (``croupier sandbox kyc --port 0``), for tests.

Like ``tests.psp_sandbox``: started once per test process with random credentials, read
back from what it prints, and stopped at the end. ``events`` and ``redeliver`` are what a
test does to a provider besides calling its API: look at its webhooks and send one again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.psp_sandbox import READY_WITHIN_SECONDS, STOP_WITHIN_SECONDS, _Output, croupier_command

LISTENING_PREFIX = "sandbox kyc listening on "


class KycSandbox:
    def __init__(self, *, decision_delay: float = 0.05) -> None:
        self.api_key = secrets.token_urlsafe(24)
        self.webhook_secret = secrets.token_urlsafe(32)
        self.base_url = ""
        self._ready = threading.Event()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_SANDBOX_")}
        self.process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
            [
                *croupier_command(),
                *("sandbox", "kyc", "--port", "0", "--api-key", self.api_key),
                *("--webhook-secret", self.webhook_secret, "--decision-delay", str(decision_delay)),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._stdout = _Output(self.process.stdout, self._watch)
        self._stderr = _Output(self.process.stderr)

    def _watch(self, line: str) -> None:
        if line.startswith(LISTENING_PREFIX) and not self._ready.is_set():
            self.base_url = line.removeprefix(LISTENING_PREFIX).strip()
            self._ready.set()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        while not self._ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the sandbox KYC provider did not start:\n{self._stderr.text()}")
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.05)
        self.stop()
        pytest.fail("the sandbox KYC provider never answered /healthz")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_WITHIN_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_WITHIN_SECONDS)
        self._stdout.join(STOP_WITHIN_SECONDS)
        self._stderr.join(STOP_WITHIN_SECONDS)

    async def _call(self, method: str, path: str) -> Any:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=10) as http:
            response = await http.request(method, path)
        response.raise_for_status()
        return response.json()

    async def events(self, reference: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = (await self._call("GET", f"/sandbox/events?reference={reference}"))[
            "items"
        ]
        return found

    async def redeliver(self, event_id: str) -> dict[str, Any]:
        """Deliver the event once more, waiting until the receiver answered 2xx."""
        summary: dict[str, Any] = await self._call("POST", f"/sandbox/events/{event_id}/redeliver")
        return summary


@pytest.fixture(scope="session")
def kyc_sandbox() -> Iterator[KycSandbox]:
    sandbox = KycSandbox()
    sandbox.wait_ready()
    try:
        yield sandbox
    finally:
        sandbox.stop()
