"""Steady player load through one base URL, and the check afterwards that nothing acknowledged was lost.

Players are registered and funded in-process through the library (as ``croupier wallet adjust`` does),
then sign in over HTTP; their sessions live in PostgreSQL, so any node accepts them. Each player is
one closed-loop client: a dice round (``POST /v1/games/dice/rounds`` with an ``Idempotency-Key``),
then another, and every fourth operation a wallet read. A connection error or a 502/503/504 is
retried with the same key, as a well-behaved client does: the server answers a repeated key with the
first outcome, so the retry can never bet twice. Every acknowledged round is recorded; ``verify``
then asks the database whether each exists exactly once and whether the balances add up.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from croupier.audit.service import Actor
from croupier.games.models import GameRound
from croupier.identity.account import registration
from croupier.identity.passwords import Passwords
from croupier.kit.client import ClientInfo
from croupier.kit.runtime import Runtime
from croupier.kit.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, Settings
from croupier.wallet import adjustments
from croupier.wallet import service as wallet

CURRENCY = "EUR"
STAKE = 100  # minor units
FUNDS = 10**9  # more than any run can lose
DICE_BET = {"stake": STAKE, "currency": CURRENCY, "target": 49.5, "direction": "under"}
RETRIED_STATUSES = frozenset({502, 503, 504})
WALLET_READ_EVERY = 4
RETRY_FOR_SECONDS = 15.0

# Every node under load needs these too: the drill's players are hashed at the floor, and matching it
# keeps sign-in from rehashing (sign-in is set-up, not what a drill measures).
FAST_HASHING_ENV = {
    "CROUPIER_ARGON2_MEMORY_KIB": str(ARGON2_MIN_MEMORY_KIB),
    "CROUPIER_ARGON2_TIME_COST": str(ARGON2_MIN_TIME_COST),
    "CROUPIER_ARGON2_PARALLELISM": "1",
}


def drill_settings(database_url: str, keyring: str, data_dir: Path) -> Settings:
    """Settings for the drill's own in-process work on the nodes' database (enrolment, checks)."""
    return Settings(
        environment="development",
        database_url=database_url,
        keyring=keyring,
        data_dir=data_dir,
        database_pool_size=2,
        database_max_overflow=2,
        argon2_memory_kib=ARGON2_MIN_MEMORY_KIB,
        argon2_time_cost=ARGON2_MIN_TIME_COST,
        argon2_parallelism=1,
    )


@dataclass(frozen=True)
class Player:
    id: uuid.UUID
    email: str
    password: str
    # The address the player signs in from (X-Forwarded-For, believed from a loopback proxy), so that
    # the drill's players do not share one per-address sign-in throttle.
    address: str
    funds: int


async def enrol(settings: Settings, count: int, *, funds: int = FUNDS) -> list[Player]:
    """Register ``count`` players and credit each ``funds`` cents of cash with an adjustment."""
    runtime = await Runtime.start(settings)
    try:
        passwords = Passwords(settings)
        players = []
        run = uuid.uuid4().hex[:8]
        for index in range(count):
            email = f"drill-{run}-{index}@example.com"
            password = secrets.token_urlsafe(16)
            async with runtime.database.unit_of_work() as session:
                player_id = await registration.register(
                    session,
                    settings=settings,
                    passwords=passwords,
                    email=email,
                    password=password,
                    first_name="Drill",
                    last_name=f"Player {index}",
                    date_of_birth=date(1990, 1, 1),
                    country="MT",
                    client=ClientInfo(ip=None, user_agent="croupier-drill"),
                )
                if player_id is None:
                    raise RuntimeError(f"{email} was registered already")
            async with runtime.database.unit_of_work() as session:
                await adjustments.adjust(
                    session,
                    player_id=player_id,
                    amount=funds,
                    currency=CURRENCY,
                    reason="drill funds",
                    key=f"drill-funds:{player_id}",
                    actor=Actor.operator("croupier-drill"),
                    client=ClientInfo.command_line(),
                )
            # 198.18.0.0/15 is set aside for benchmarks (RFC 2544): never a real player's address.
            address = f"198.18.{index // 250}.{index % 250 + 1}"
            players.append(Player(player_id, email, password, address, funds))
        return players
    finally:
        await runtime.close()


@dataclass(frozen=True)
class AckedRound:
    player_id: uuid.UUID
    key: str
    round_id: uuid.UUID
    stake: int
    payout: int


@dataclass
class LoadRecord:
    """What the clients saw: every request, every acknowledgement, every failure after retries."""

    requests: int = 0  # HTTP requests sent, retries included
    operations: int = 0  # operations finished, acknowledged or failed
    retried: int = 0  # operations that took more than one attempt
    rounds: list[AckedRound] = field(default_factory=list)
    wallet_reads: int = 0
    # Wallet reads that disagreed with the player's own acknowledged rounds (a stale or wrong balance).
    wallet_reads_off: int = 0
    failures: list[str] = field(default_factory=list)
    # Keys of rounds whose outcome the client never learnt (failed after retries).
    unknown_keys: set[tuple[uuid.UUID, str]] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)  # per acknowledged operation, retries included
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank percentile; 0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class Refused(Exception):
    """An answer that retrying would not change (a 4xx, a 500, a malformed body)."""


class GaveUp(Exception):
    """Still a connection error or a 502/503/504 after retrying for ``RETRY_FOR_SECONDS``."""


@dataclass
class Client:
    """One player's HTTP client with the idempotent retry; ``retry=False`` tries each request once."""

    http: httpx.AsyncClient
    record: LoadRecord
    retry: bool = True

    async def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response to ``method path``, the same request repeated while the failure is transient."""
        deadline = time.monotonic() + RETRY_FOR_SECONDS
        attempt = 0
        while True:
            attempt += 1
            self.record.requests += 1
            try:
                response = await self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}"
            else:
                if response.status_code not in RETRIED_STATUSES:
                    if attempt > 1:
                        self.record.retried += 1
                    return response
                problem = f"HTTP {response.status_code}"
            if not self.retry or time.monotonic() >= deadline:
                raise GaveUp(f"{method} {path}: {problem} after {attempt} attempt(s)")
            await asyncio.sleep(min(1.0, 0.05 * 2 ** (attempt - 1)))


async def sign_in(base_url: str, players: list[Player]) -> list[str]:
    """A session token per player, signed in through ``base_url`` from the player's own address."""
    record = LoadRecord()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        client = Client(http, record)
        tokens = []
        for player in players:
            response = await client.send(
                "POST",
                "/v1/sessions",
                json={"email": player.email, "password": player.password},
                headers={"X-Forwarded-For": player.address},
            )
            if response.status_code != 201:
                raise RuntimeError(f"sign-in refused: {response.status_code} {response.text[:300]}")
            tokens.append(response.json()["token"])
    return tokens


async def run_load(
    base_url: str,
    players: list[Player],
    tokens: list[str],
    *,
    seconds: float,
    retry: bool = True,
    record: LoadRecord | None = None,
) -> LoadRecord:
    """Every player plays back to back for ``seconds``; pass ``record`` to watch it fill while it runs."""
    record = record if record is not None else LoadRecord()
    stop_at = time.monotonic() + seconds
    started = time.monotonic()
    async with httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(10.0),
        limits=httpx.Limits(max_connections=len(players) * 2, max_keepalive_connections=len(players)),
    ) as http:
        client = Client(http, record, retry=retry)
        await asyncio.gather(
            *(_play(client, player, token, stop_at) for player, token in zip(players, tokens, strict=True))
        )
    record.seconds = time.monotonic() - started
    return record


async def _play(client: Client, player: Player, token: str, stop_at: float) -> None:
    record = client.record
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": player.address}
    expected = player.funds  # what the player's cash should be, from its acknowledged rounds
    count = 0
    while time.monotonic() < stop_at:
        count += 1
        t0 = time.perf_counter()
        key = uuid.uuid4().hex
        try:
            if count % WALLET_READ_EVERY == 0:
                response = await client.send("GET", "/v1/wallet", headers=headers)
                available = _available(response)
                record.wallet_reads += 1
                # Only meaningful while every one of the player's rounds has a known outcome.
                if available != expected and not any(p == player.id for p, _ in record.unknown_keys):
                    record.wallet_reads_off += 1
            else:
                response = await client.send(
                    "POST",
                    "/v1/games/dice/rounds",
                    json=DICE_BET,
                    headers={**headers, "Idempotency-Key": key},
                )
                acked = _round(response, player.id, key)
                record.rounds.append(acked)
                expected += acked.payout - acked.stake
        except (GaveUp, Refused) as exc:
            record.failures.append(str(exc))
            if count % WALLET_READ_EVERY != 0:
                record.unknown_keys.add((player.id, key))
        else:
            record.latencies.append(time.perf_counter() - t0)
        record.operations += 1


def _available(response: httpx.Response) -> int:
    if response.status_code != 200:
        raise Refused(f"GET /v1/wallet: {response.status_code} {response.text[:200]}")
    for balance in response.json()["balances"]:
        if balance["currency"] == CURRENCY:
            return int(balance["available"])
    raise Refused(f"GET /v1/wallet: no {CURRENCY} balance")


def _round(response: httpx.Response, player_id: uuid.UUID, key: str) -> AckedRound:
    if response.status_code != 201:
        raise Refused(f"POST /v1/games/dice/rounds: {response.status_code} {response.text[:200]}")
    body = response.json()
    if body.get("status") != "settled" or body.get("payout") is None:
        raise Refused(f"POST /v1/games/dice/rounds: an unsettled dice round {body.get('id')}")
    return AckedRound(player_id, key, uuid.UUID(body["id"]), int(body["stake"]), int(body["payout"]))


@dataclass
class Verification:
    """What the database says about the load's acknowledgements."""

    acknowledged: int
    lost: list[str]  # acknowledged, but absent (or another round under the key)
    duplicates: list[str]  # more than one round for one player's key
    unacknowledged: int  # rounds of operations whose outcome the client never learnt
    phantoms: list[str]  # rounds under keys the client never sent
    balances_off: list[str]  # cash that is not funds + payouts - stakes

    @property
    def held(self) -> bool:
        return not (self.lost or self.duplicates or self.phantoms or self.balances_off)


async def verify(settings: Settings, players: list[Player], record: LoadRecord) -> Verification:
    """Every acknowledged round exactly once in the database, and every player's cash adding up."""
    runtime = await Runtime.start(settings)
    try:
        async with runtime.database.unit_of_work() as session:
            rows = (
                await session.execute(
                    select(
                        GameRound.player_id,
                        GameRound.idempotency_key,
                        GameRound.id,
                        GameRound.stake,
                        GameRound.payout,
                    ).where(GameRound.player_id.in_([p.id for p in players]))
                )
            ).all()
            cash = {}
            for player in players:
                balances = await wallet.balances(session, player_id=player.id)
                cash[player.id] = next((b.available for b in balances if b.currency == CURRENCY), 0)
    finally:
        await runtime.close()
    per_key = Counter((row.player_id, row.idempotency_key) for row in rows)
    stored = {(row.player_id, row.idempotency_key): row.id for row in rows}
    acked = {(r.player_id, r.key): r for r in record.rounds}
    lost = [f"round {r.round_id} (key {r.key})" for k, r in acked.items() if stored.get(k) != r.round_id]
    duplicates = [
        f"key {key} of player {player}: {n} rounds" for (player, key), n in per_key.items() if n > 1
    ]
    phantoms = [
        f"key {key} of player {player}"
        for (player, key) in per_key
        if (player, key) not in acked and (player, key) not in record.unknown_keys
    ]
    unacknowledged = sum(1 for k in per_key if k in record.unknown_keys)
    net: Counter[uuid.UUID] = Counter()
    for row in rows:
        net[row.player_id] += (row.payout or 0) - row.stake
    balances_off = [
        f"player {p.id}: cash {cash[p.id]}, rounds say {p.funds + net[p.id]}"
        for p in players
        if cash[p.id] != p.funds + net[p.id]
    ]
    return Verification(len(acked), lost, duplicates, unacknowledged, phantoms, balances_off)
