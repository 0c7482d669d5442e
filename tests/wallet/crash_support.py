"""The crash test's parts: a ``croupier serve`` that can be SIGKILLed and restarted on its port,
players moving money through it with clients that retry, and what the database says afterwards.

A client here behaves as the API asks of one: each operation gets its own
``Idempotency-Key`` before the first attempt, and a failed attempt (no answer, or
a 5xx) is repeated with the same key and body until an answer comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from croupier.kit.db import Database
from croupier.kit.runtime import Runtime
from croupier.payments import books as payment_books
from croupier.wallet import books
from tests.conftest import make_settings
from tests.factories import SignedIn, signed_in_player
from tests.kyc_support import verify_kyc
from tests.payments.support import DECLINED, VISA
from tests.psp_sandbox import PspSandbox
from tests.test_serve_process import STOP_WITHIN_SECONDS, Server, free_port

CURRENCY = "EUR"
# Far above any amount the load moves: every withdrawal goes straight to the payout relay.
NO_REVIEW_BELOW = 10**9
# A client gives up on an operation only when the service stays away this long.
ANSWER_WITHIN_SECONDS = 60.0
FIRST_BACKOFF, LONGEST_BACKOFF = 0.05, 0.5
# Withdrawals the relay and the provider's payout webhook have yet to finish.
OPEN_WITHDRAWAL = ("approved", "submitted")


# The service --------------------------------------------------------------------------------------


def port_below_the_ephemeral_range() -> int:
    """A free port the kernel never hands out for outgoing connections.

    The service restarts on its port; an ephemeral port (``free_port``) could meanwhile
    become the local end of some connection on this busy machine and fail the restart.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    candidates = list(range(max(1024, low - 10_000), low))
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


class CrashableService(Server):
    """``croupier serve`` against a configured database, on one port across restarts."""

    def __init__(self, data_dir: Path, database_url: str, keyring_json: str, psp: PspSandbox) -> None:
        super().__init__(data_dir, data_dir.parent / "serve.log")
        self.port = port_below_the_ephemeral_range()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # The same low argon2 cost and sign-in rate as the in-process tests (see make_settings).
        base = make_settings(database_url, keyring_json, data_dir)
        tuned = (
            "environment",
            "argon2_memory_kib",
            "argon2_time_cost",
            "argon2_parallelism",
            "ip_sign_in_rate",
        )
        self.env = {f"CROUPIER_{name.upper()}": str(getattr(base, name)) for name in tuned}
        self.env.update(
            CROUPIER_DATABASE_URL=database_url,
            CROUPIER_KEYRING=keyring_json,
            CROUPIER_PSP_URL=psp.base_url,
            CROUPIER_PSP_API_KEY=psp.api_key,
            CROUPIER_PSP_WEBHOOK_SECRETS=psp.webhook_secret,
            # The provider's webhooks come back to this very process (public_url + /v1/webhooks/psp).
            CROUPIER_PUBLIC_URL=self.base_url,
            CROUPIER_PAYOUT_SWEEP_SECONDS="0.2",
            CROUPIER_WITHDRAWAL_APPROVAL_THRESHOLDS=json.dumps({CURRENCY: NO_REVIEW_BELOW}),
        )
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as stderr:
            stderr.write(f"\n--- start {self.starts}\n".encode())
        # The console script is a Python script: the pid is the uvicorn server itself (one worker).
        super().start()

    def crash(self) -> None:
        """SIGKILL: no shutdown, no rollback but the database's own, requests cut off mid-way."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL
        assert not self.listening(), "something still serves the port after the server process was killed"

    def stop(self) -> None:
        """SIGTERM, and SIGKILL if that does not stop it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def listening(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True
        return False


# The players and their operations -------------------------------------------------------------------


@dataclass(eq=False)  # each one is itself: hashed by identity, to be tracked while in flight
class Operation:
    """One deposit or withdrawal: its key and body fixed before the first attempt, then its answer."""

    player: int
    kind: str  # "deposit" or "withdrawal"
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    card: str | None = None  # the card number a deposit was tokenised from
    body: dict[str, Any] = field(default_factory=dict)
    status: int | None = None  # the acknowledged answer, once one arrives
    answer: dict[str, Any] = field(default_factory=dict)
    interruptions: list[str] = field(default_factory=list)  # attempts that got no answer, and why
    server_errors: list[int] = field(default_factory=list)  # 5xx answers, retried like no answer
    abandoned: bool = False  # its client gave up when the service went away

    @property
    def acknowledged(self) -> bool:
        return self.status is not None

    @property
    def amount(self) -> int:
        return int(self.body["amount"])


@dataclass
class Player:
    index: int
    session: SignedIn
    plan: list[str]  # the kinds of operation, in order
    card_id: str | None = None  # a card with an acknowledged successful deposit, for withdrawals
    # What the acknowledged answers prove is available: a lower bound while nothing was abandoned.
    known_available: int = 0
    operations: list[Operation] = field(default_factory=list)

    @property
    def gave_up_on_something(self) -> bool:
        return any(op.abandoned for op in self.operations)


async def signed_in_players(
    http: httpx.AsyncClient, runtime: Runtime, count: int, operations_each: int, rng: random.Random
) -> list[Player]:
    """Registered, address confirmed (``runtime`` reads the mailed link: the service's database and
    keyring), signed in (a fresh sign-in also passes the withdrawal step-up for 10 minutes) and
    verified to KYC level full."""
    kinds = ["deposit", "declined_deposit", "withdrawal"]
    signed = await asyncio.gather(*(signed_in_player(http, runtime=runtime) for _ in range(count)))
    # Withdrawals need KYC level full: each player is verified through the staff API.
    await asyncio.gather(*(verify_kyc(http, runtime, player.id) for player in signed))
    return [
        # A card deposit first: withdrawals go back to a card that was paid with.
        Player(i, session, ["deposit", *rng.choices(kinds, weights=[5, 1.5, 3.5], k=operations_each - 1)])
        for i, session in enumerate(signed)
    ]


class Load:
    """One worker per player running its plan, operations retried across crashes of the service."""

    def __init__(self, http: httpx.AsyncClient, psp: PspSandbox, players: list[Player], rng: random.Random):
        self.http = http
        self.psp = psp
        self.players = players
        self.rng = rng
        self.total = sum(len(p.plan) for p in players)
        self.finished = 0  # operations answered or given up on
        self.in_flight: set[Operation] = set()
        self.give_up_when_cut_off: set[Operation] = set()
        self.done = False
        self._progress = asyncio.Event()

    def operations(self) -> list[Operation]:
        return [op for player in self.players for op in player.operations]

    async def run(self) -> None:
        try:
            await asyncio.gather(*(self._work(player) for player in self.players))
        finally:
            self.done = True
            self._progress.set()

    async def at(self, finished: int) -> None:
        """Returns once ``finished`` operations are done (or the load is over)."""
        while self.finished < finished and not self.done:
            self._progress.clear()
            await self._progress.wait()

    def clients_give_up(self, players: set[int]) -> None:
        """These players' requests now in flight are abandoned if the service cuts them off:
        their answers are lost, as when a browser tab is closed."""
        self.give_up_when_cut_off = {op for op in self.in_flight if op.player in players}

    async def _work(self, player: Player) -> None:
        for kind in player.plan:
            op = await self._prepare(player, kind)
            player.operations.append(op)
            headers = {**player.session.headers, "Idempotency-Key": op.key}
            path = "/v1/deposits" if op.kind == "deposit" else "/v1/withdrawals"
            await self._until_answered(
                op, lambda p=path, h=headers, b=op.body: self.http.post(p, json=b, headers=h)
            )
            self._learn(player, op)
            self.finished += 1
            self._progress.set()

    async def _prepare(self, player: Player, kind: str) -> Operation:
        if kind == "withdrawal" and player.card_id is not None and player.known_available > 0:
            # Up to what the acknowledged answers prove is there, so it is expected to succeed.
            amount = self.rng.randint(1, player.known_available)
            body = {"amount": amount, "currency": CURRENCY, "payment_method_id": player.card_id}
            return Operation(player.index, "withdrawal", body=body)
        # A withdrawal with nothing known to withdraw becomes a deposit.
        card = DECLINED if kind == "declined_deposit" else VISA
        # What the player's browser does before the deposit: it does not involve Croupier.
        token = (await self.psp.tokenize(card))["token"]
        body = {"amount": self.rng.randint(100, 20_000), "currency": CURRENCY, "payment_token": token}
        return Operation(player.index, "deposit", card=card, body=body)

    async def _until_answered(self, op: Operation, attempt: Callable[[], Awaitable[httpx.Response]]) -> None:
        backoff, deadline = FIRST_BACKOFF, time.monotonic() + ANSWER_WITHIN_SECONDS
        while True:
            self.in_flight.add(op)
            try:
                response = await attempt()
            except httpx.TransportError as exc:  # refused, reset, cut off mid-answer, timed out
                op.interruptions.append(type(exc).__name__)
                if op in self.give_up_when_cut_off:
                    op.abandoned = True
                    return
            else:
                if response.status_code < 500:
                    op.status, op.answer = response.status_code, response.json()
                    return
                op.server_errors.append(response.status_code)
            finally:
                self.in_flight.discard(op)
            if time.monotonic() > deadline:
                op.abandoned = True
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, LONGEST_BACKOFF)

    @staticmethod
    def _learn(player: Player, op: Operation) -> None:
        if op.status != 201:
            return
        if op.kind == "deposit" and op.answer["status"] == "succeeded":
            player.known_available += op.amount
            player.card_id = player.card_id or op.answer["payment_method_id"]
        elif op.kind == "withdrawal":
            player.known_available -= op.amount


# What the database says ------------------------------------------------------------------------------


@dataclass
class Books:
    deposits: list[dict[str, Any]]
    withdrawals: list[dict[str, Any]]
    # (source, key) -> how many posted transfers carry it
    transfers: Counter[tuple[str, str]]
    holds: list[dict[str, Any]]
    problems: list[str]

    def deposit(self, op: Operation) -> dict[str, Any] | None:
        return _by_key(self.deposits, op)

    def withdrawal(self, op: Operation) -> dict[str, Any] | None:
        return _by_key(self.withdrawals, op)

    def holds_for(self, withdrawal_id: str) -> list[dict[str, Any]]:
        return [
            h
            for h in self.holds
            if (h["source"], h["idempotency_key"]) == ("payments:withdrawal", withdrawal_id)
        ]


def _by_key(rows: list[dict[str, Any]], op: Operation) -> dict[str, Any] | None:
    found = [row for row in rows if row["idempotency_key"] == op.key]
    assert len(found) <= 1, f"{op.kind} key {op.key} stored {len(found)} times"
    return found[0] if found else None


async def _rows(database: Database, sql: str) -> list[dict[str, Any]]:
    async with database.unit_of_work() as session:
        result = await session.execute(text(sql))
        return [
            {k: str(v) if isinstance(v, uuid.UUID) else v for k, v in row.items()}
            for row in result.mappings()
        ]


_DEPOSITS = "SELECT id, player_id, idempotency_key, amount, status, credit_transfer_id FROM deposits"
_WITHDRAWALS = "SELECT id, player_id, idempotency_key, amount, status, hold_id FROM withdrawals"


async def read_books(database: Database) -> Books:
    transfers = await _rows(
        database,
        "SELECT source, idempotency_key, count(*) AS n FROM ledger_transfers"
        " WHERE status = 'posted' GROUP BY source, idempotency_key",
    )
    async with database.unit_of_work() as session:
        problems = await books.check_books(session) + await payment_books.problems(session)
    return Books(
        deposits=await _rows(database, _DEPOSITS),
        withdrawals=await _rows(database, _WITHDRAWALS),
        transfers=Counter({(t["source"], t["idempotency_key"]): t["n"] for t in transfers}),
        holds=await _rows(
            database, "SELECT id, source, idempotency_key, status, amount, posted_amount FROM ledger_holds"
        ),
        problems=problems,
    )


async def unsettled(database: Database, psp: PspSandbox) -> list[str]:
    """What is still on its way: provider events not yet taken, payouts not yet paid."""
    deposits, withdrawals = await _rows(database, _DEPOSITS), await _rows(database, _WITHDRAWALS)
    ours = {row["id"] for row in deposits + withdrawals}
    waiting = [
        f"event {e['type']} for {e['reference']} not delivered"
        for e in await psp.events()
        if e["reference"] in ours and not e["delivered"]
    ]
    waiting += [f"withdrawal {w['id']} {w['status']}" for w in withdrawals if w["status"] in OPEN_WITHDRAWAL]
    waiting += [f"deposit {d['id']} pending" for d in deposits if d["status"] == "pending"]
    return waiting


async def settled(database: Database, psp: PspSandbox, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while waiting := await unsettled(database, psp):
        assert time.monotonic() < deadline, f"not settled within {within:.0f} s: {waiting[:10]}"
        await asyncio.sleep(0.2)
