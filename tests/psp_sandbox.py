"""pytest plugin: the sandbox payment provider as a real process, and a webhook receiver.

``psp`` (session scope) runs ``croupier sandbox psp --port 0`` once per test
process (so once per xdist worker) and yields a ``PspSandbox``: its address, its
API key and webhook secret, and helpers for what tests do to a provider besides
calling its API (tokenize like a browser, pass a 3-D Secure challenge, file a
chargeback, hold and release webhooks).

``psp_webhooks`` is a small HTTP server in the test's event loop that records
every delivery with its signature checked, and answers errors on demand.

Delivery pausing is process-wide: a test that pauses must resume (``finally``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from croupier.kit.processes import croupier_command
from croupier.payments.signatures import SIGNATURE_HEADER, SignatureError, verify

LISTENING_PREFIX = "sandbox psp listening on "
GENERATED_KEY_PREFIX = "sandbox psp api key: "
GENERATED_SECRET_PREFIX = "sandbox psp webhook secret: "
# Generous: the console script imports the whole app first, seconds of CPU on a busy 2-core machine.
READY_WITHIN_SECONDS = 60.0
STOP_WITHIN_SECONDS = 10.0


class _Output:
    """Drains a child's pipe on a thread (a full pipe would block the child) and keeps every line."""

    def __init__(self, stream: IO[str], on_line: Callable[[str], None] | None = None) -> None:
        self.lines: list[str] = []
        self._stream = stream
        self._on_line = on_line
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            self.lines.append(line)
            if self._on_line is not None:
                self._on_line(line)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def text(self) -> str:
        return "".join(self.lines)


class PspSandbox:
    """A running ``croupier sandbox psp`` process."""

    def __init__(
        self,
        args: Sequence[str] = (),
        *,
        api_key: str | None = None,
        webhook_secret: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """Spawn ``croupier sandbox psp --port 0 ARGS``; keys not given are read from what it prints."""
        self.api_key = api_key or ""
        self.webhook_secret = webhook_secret or ""
        self.base_url = ""
        self._ready = threading.Event()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_SANDBOX_")}
        self.process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
            [*croupier_command(), "sandbox", "psp", "--port", "0", *args],
            env={**base_env, **(env or {})},
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

    @classmethod
    def start(cls, *extra_args: str) -> PspSandbox:
        """Start with random keys and fast settlement, and wait until it answers."""
        api_key, webhook_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        sandbox = cls(
            [
                *("--api-key", api_key, "--webhook-secret", webhook_secret),
                *("--payout-delay", "0.2", "--refund-delay", "0.2"),
                *extra_args,
            ],
            api_key=api_key,
            webhook_secret=webhook_secret,
        )
        sandbox.wait_ready()
        return sandbox

    def _watch(self, line: str) -> None:
        text = line.strip()
        if text.startswith(GENERATED_KEY_PREFIX):
            self.api_key = text.removeprefix(GENERATED_KEY_PREFIX)
        elif text.startswith(GENERATED_SECRET_PREFIX):
            self.webhook_secret = text.removeprefix(GENERATED_SECRET_PREFIX)
        elif text.startswith(LISTENING_PREFIX) and not self._ready.is_set():
            self.base_url = text.removeprefix(LISTENING_PREFIX)
            self._ready.set()

    def wait_ready(self, timeout: float = READY_WITHIN_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the sandbox PSP did not start:\n{self.output()}")
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"the sandbox PSP never answered /healthz:\n{self.output()}")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_WITHIN_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_WITHIN_SECONDS)
        self._stdout.join(STOP_WITHIN_SECONDS)
        self._stderr.join(STOP_WITHIN_SECONDS)
        return self.process.returncode

    def stdout(self) -> str:
        return self._stdout.text()

    def stderr(self) -> str:
        return self._stderr.text()

    def output(self) -> str:
        """Everything the process printed so far, standard output first."""
        return self.stdout() + self.stderr()

    # HTTP

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def client(self, *, authenticated: bool = True, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on the sandbox (use it with ``async with``); carries the API key."""
        headers = {**(self.auth if authenticated else {}), **kwargs.pop("headers", {})}
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=10, **kwargs)

    async def _call(self, method: str, path: str, *, json_body: Any = None, idempotent: bool = False) -> Any:
        headers = {"Idempotency-Key": uuid.uuid4().hex} if idempotent else {}
        async with self.client() as http:
            response = await http.request(method, path, json=json_body, headers=headers)
        response.raise_for_status()
        return response.json()

    async def tokenize(
        self,
        number: str = "4242424242424242",
        exp_month: int = 12,
        exp_year: int | None = None,
        cvc: str = "123",
    ) -> dict[str, Any]:
        """What the player's browser does: vault a card, get a token (no API key)."""
        year = exp_year if exp_year is not None else dt.datetime.now(dt.UTC).year + 1
        body = {"number": number, "exp_month": exp_month, "exp_year": year, "cvc": cvc}
        async with self.client(authenticated=False) as http:
            response = await http.post("/v1/tokens", json=body)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    async def complete_challenge(self, payment_id: str, outcome: str = "pass") -> dict[str, Any]:
        """What the player does on the 3-D Secure page; returns the payment afterwards."""
        async with self.client(authenticated=False) as http:
            response = await http.post(f"/3ds/{payment_id}", data={"outcome": outcome})
        if response.status_code not in (200, 303):
            response.raise_for_status()
        return await self.payment(payment_id)

    async def chargeback(
        self, payment_id: str, amount: int | None = None, reason: str = "fraudulent"
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"reason": reason}
        if amount is not None:
            body["amount"] = amount
        result: dict[str, Any] = await self._call(
            "POST", f"/sandbox/payments/{payment_id}/chargeback", json_body=body, idempotent=True
        )
        return result

    async def pause_webhooks(self) -> None:
        await self._call("POST", "/sandbox/webhooks/pause")

    async def resume_webhooks(self, order: str = "fifo", duplicates: int = 0) -> None:
        await self._call(
            "POST", "/sandbox/webhooks/resume", json_body={"order": order, "duplicates": duplicates}
        )

    async def redeliver(self, event_id: str) -> None:
        await self._call("POST", f"/sandbox/events/{event_id}/redeliver")

    async def events(self, reference: str | None = None) -> list[dict[str, Any]]:
        query = f"?{httpx.QueryParams(reference=reference)}" if reference is not None else ""
        result: list[dict[str, Any]] = await self._call("GET", f"/sandbox/events{query}")
        return result

    async def calls(self) -> list[dict[str, Any]]:
        """The calls its server API received (method, path, traceparent), oldest first."""
        found: list[dict[str, Any]] = await self._call("GET", "/sandbox/requests")
        return found

    async def payment(self, payment_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/v1/payments/{payment_id}")
        return result

    async def refund(self, refund_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/v1/refunds/{refund_id}")
        return result

    async def payout(self, payout_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("GET", f"/v1/payouts/{payout_id}")
        return result


@pytest.fixture(scope="session")
def psp() -> Iterator[PspSandbox]:
    sandbox = PspSandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


# Serving an ASGI app inside the test's event loop


class _InProcessServer(uvicorn.Server):
    # Leave SIGINT and SIGTERM to pytest.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_asgi(app: Any, *, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """Serve ``app`` on ``sock`` (default a free loopback port) in the running loop; yields its base URL."""
    if sock is None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
    # asyncio turns Nagle off only on sockets made with IPPROTO_TCP; without this, each keep-alive
    # response waits out the client's delayed ACK (40 ms). Accepted connections inherit the option.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    port = sock.getsockname()[1]
    server = _InProcessServer(uvicorn.Config(app, log_config=None, access_log=False, lifespan="auto"))
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                await task
                raise RuntimeError("the in-process server did not start")
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


# A webhook receiver


@dataclass
class Delivery:
    name: str
    body: bytes
    signature: str | None
    signature_error: str | None
    answered: int
    received_at: float = field(default_factory=time.monotonic)

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def verified(self) -> bool:
        return self.signature_error is None


class WebhookReceiver:
    """Records deliveries to ``{base_url}/hooks/{name}``; answers 200 unless told to fail or stall."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.base_url = ""
        self.deliveries: list[Delivery] = []
        # Per name, the (status, seconds to wait first) of the next answers; then 200 at once.
        self._plans: dict[str, list[tuple[int, float]]] = {}
        self._arrived = asyncio.Event()

    def url(self, name: str) -> str:
        return f"{self.base_url}/hooks/{name}"

    def fail(self, name: str, times: int, status: int = 500) -> None:
        self._plans.setdefault(name, []).extend([(status, 0.0)] * times)

    def stall(self, name: str, times: int, seconds: float) -> None:
        """The next ``times`` deliveries to ``name`` get their 200 only after ``seconds``."""
        self._plans.setdefault(name, []).extend([(200, seconds)] * times)

    def received(self, name: str, *, answered_ok: bool = True) -> list[Delivery]:
        return [d for d in self.deliveries if d.name == name and (not answered_ok or d.answered < 300)]

    async def wait_for(
        self, name: str, count: int, *, within: float = 5.0, answered_ok: bool = True
    ) -> list[Delivery]:
        """The first ``count`` deliveries to ``name`` (answered 2xx unless told otherwise)."""
        async with asyncio.timeout(within):
            while len(self.received(name, answered_ok=answered_ok)) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.received(name, answered_ok=answered_ok)[:count]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        path: str = scope["path"]
        name = path.removeprefix("/hooks/")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        signature = headers.get(SIGNATURE_HEADER.lower())
        try:
            verify([self.secret], body, signature)
            error = None
        except SignatureError as exc:
            error = str(exc)
        planned = self._plans.get(name)
        status, wait = planned.pop(0) if planned else (200, 0.0)
        if wait:
            await asyncio.sleep(wait)
        self.deliveries.append(Delivery(name, body, signature, error, status))
        self._arrived.set()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture(scope="session")
async def psp_webhooks(psp: PspSandbox) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver(psp.webhook_secret)
    async with serve_asgi(receiver) as base_url:
        receiver.base_url = base_url
        yield receiver
