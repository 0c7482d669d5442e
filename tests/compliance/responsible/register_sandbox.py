"""``croupier sandbox register`` as a real process, for the tests that need a national register."""

from __future__ import annotations

import contextlib
import secrets
import signal
import subprocess
import time
from typing import Any

import httpx
import pytest

from tests.psp_sandbox import _Output, croupier_command

LISTENING_PREFIX = "sandbox register listening on "
WITHIN_SECONDS = 20.0


class RegisterSandbox:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.base_url = ""
        self.process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
            [*croupier_command(), "sandbox", "register", "--port", "0", "--api-key", api_key],
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
        if line.startswith(LISTENING_PREFIX) and not self.base_url:
            self.base_url = line.strip().removeprefix(LISTENING_PREFIX)

    @classmethod
    def start(cls) -> RegisterSandbox:
        sandbox = cls(secrets.token_urlsafe(24))
        deadline = time.monotonic() + WITHIN_SECONDS
        while time.monotonic() < deadline and sandbox.process.poll() is None:
            if sandbox.base_url:
                with contextlib.suppress(httpx.TransportError):
                    if httpx.get(f"{sandbox.base_url}/healthz", timeout=2).status_code == 200:
                        return sandbox
            time.sleep(0.05)
        sandbox.stop()
        pytest.fail(f"the sandbox register did not start:\n{sandbox.output()}")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._stdout.join(10)
        self._stderr.join(10)
        return self.process.returncode

    def output(self) -> str:
        return self._stdout.text() + self._stderr.text()

    async def set_answer(self, email: str, answer: str) -> None:
        """The person joins the register, leaves it, or the register goes down for them."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            response = await http.put(f"/sandbox/people/{email}", json={"answer": answer})
        response.raise_for_status()

    async def checks(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            response = await http.get("/sandbox/checks")
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found
