"""A Jepsen-style bank test of the ledger under concurrency, on real pooled connections.

Players are funded from the house; then 16 workers (asyncio tasks, each
operation in its own unit of work on its own pooled connection) run a bounded
number of random operations: bets, wins, player-to-house and house-to-player
transfers, holds, posts (partial) and voids of anybody's open hold (so two
workers can race to settle the same hold), retries of earlier keys with the same
content, and the same new key sent twice at once. Each worker logs every answer
it got. Afterwards, from those logs and from the database:

* nothing unexpected was raised (no deadlock, no serialization failure, no 500);
* every key got consistent answers: accepted with one transfer id and exactly one
  non-replayed execution, or refused every time;
* every acknowledged transfer exists exactly once, with one entry per leg, and no
  transfer exists that was not acknowledged;
* each hold was settled at most once and its stored status is what the logs say;
* each player's balance and held amount equal the sum of the acknowledged
  operations that touched them; no player balance is negative;
* the books check finds nothing and every currency sums to exactly zero.

The hot-account variant sends every worker to one player (and the house).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.clock import utcnow
from croupier.kit.db import Database
from croupier.kit.errors import CroupierError
from croupier.kit.runtime import Runtime
from croupier.wallet import service as ledger
from croupier.wallet.books import check_books
from croupier.wallet.service import AccountRef, HouseBook, Leg, PlayerAccount
from tests.conftest import make_settings
from tests.wallet import bank_support as support
from tests.wallet.bank_support import CURRENCIES, bet_legs, cash, deposit_legs, house, move, win_legs

pytestmark = pytest.mark.slow

SOURCE = "bank-test"
WORKERS = 16
OPERATIONS = 1_500
PLAYERS = 20
FUNDING = 5_000  # minor units of each currency, per player: some run dry
METADATA = {"test": "bank"}
TIME_LIMIT = 240.0  # seconds for the whole workload; a hang is a failure, not a stuck run

# (operation, weight)
OPERATION_MIX = (
    ("bet", 26),
    ("win", 14),
    ("fee", 8),  # player -> house
    ("adjustment", 8),  # house -> player
    ("hold", 12),
    ("settle", 14),  # post part of, or void, anybody's open hold
    ("retry", 13),  # an earlier key again, same content
    ("duplicate", 5),  # a new bet, sent twice at the same time
)


@dataclass(frozen=True)
class TransferRequest:
    key: str
    kind: str
    legs: tuple[Leg, ...]
    player_id: uuid.UUID | None


@dataclass(frozen=True)
class HoldRequest:
    key: str
    account: PlayerAccount
    amount: int
    expires_at: datetime


@dataclass(frozen=True)
class PostRequest:
    key: str
    hold_id: uuid.UUID
    account: PlayerAccount
    amount: int
    to: AccountRef

    @property
    def legs(self) -> tuple[Leg, ...]:
        return (Leg(self.account, -self.amount), Leg(self.to, self.amount))


Request = TransferRequest | HoldRequest | PostRequest


def legs_of(request: Request) -> tuple[Leg, ...]:
    assert not isinstance(request, HoldRequest)
    return request.legs


@dataclass(frozen=True)
class Answer:
    """What one call answered: ``accepted`` (with the id it returned) or an error code."""

    key: str
    outcome: str
    id: uuid.UUID | None = None
    replayed: bool = False
    worker: int = -1


@dataclass(frozen=True)
class Settle:
    hold_id: uuid.UUID
    status: str  # posted | voided
    amount: int  # posted amount


@dataclass
class Bank:
    database: Database
    players: list[uuid.UUID]
    requests: dict[str, Request] = field(default_factory=dict)
    answered: list[str] = field(default_factory=list)  # keys with an answer, for retries
    open_holds: list[HoldRequest] = field(default_factory=list)
    hold_ids: dict[str, uuid.UUID] = field(default_factory=dict)  # hold key -> id
    logs: list[list[Answer]] = field(default_factory=list)
    settles: list[Settle] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    remaining: int = OPERATIONS
    counter: int = 0

    def key(self, what: str) -> str:
        self.counter += 1
        return f"{what}:{self.counter}"

    # -- one call each, in its own unit of work --------------------------------------------------

    async def call(self, request: Request, worker: int) -> Answer | None:
        self.requests.setdefault(request.key, request)
        try:
            async with self.database.unit_of_work() as session:
                answer = await self._call(session, request, worker)
        except CroupierError as exc:
            answer = Answer(request.key, exc.code, worker=worker)
        except Exception as exc:  # noqa: BLE001 - everything else is a finding, reported at the end
            self.unexpected.append(f"worker {worker}, {request}: {exc!r}")
            return None
        self.logs[worker].append(answer)
        return answer

    async def _call(self, session: AsyncSession, request: Request, worker: int) -> Answer:
        if isinstance(request, TransferRequest):
            result = await ledger.transfer(
                session,
                source=SOURCE,
                key=request.key,
                kind=request.kind,
                legs=list(request.legs),
                player_id=request.player_id,
                metadata=METADATA,
            )
            if result.legs != request.legs:
                self.unexpected.append(f"{request.key}: legs {result.legs} != {request.legs}")
            return Answer(request.key, "accepted", result.id, result.replayed, worker)
        if isinstance(request, HoldRequest):
            held = await ledger.hold(
                session,
                source=SOURCE,
                key=request.key,
                account=request.account,
                amount=request.amount,
                expires_at=request.expires_at,
                metadata=METADATA,
            )
            if (held.account, held.amount) != (request.account, request.amount):
                self.unexpected.append(f"{request.key}: hold answered {held}")
            return Answer(request.key, "accepted", held.id, held.replayed, worker)
        posted = await ledger.post_hold(
            session,
            hold_id=request.hold_id,
            amount=request.amount,
            to=request.to,
            source=SOURCE,
            key=request.key,
            kind="settle",
            metadata=METADATA,
        )
        if Counter(posted.legs) != Counter(request.legs):
            self.unexpected.append(f"{request.key}: post legs {posted.legs} != {request.legs}")
        return Answer(request.key, "accepted", posted.id, posted.replayed, worker)

    async def void(self, hold: HoldRequest, hold_id: uuid.UUID, worker: int) -> None:
        try:
            async with self.database.unit_of_work() as session:
                result = await ledger.void_hold(session, hold_id=hold_id)
        except ledger.HoldNotPending:
            return
        except Exception as exc:  # noqa: BLE001 - a finding
            self.unexpected.append(f"worker {worker}, void {hold}: {exc!r}")
            return
        if result.status != "voided":
            self.unexpected.append(f"void of {hold} answered {result}")
        self.settled(hold, Settle(hold_id, "voided", 0))

    def settled(self, hold: HoldRequest, settle: Settle) -> None:
        self.settles.append(settle)
        if hold in self.open_holds:
            self.open_holds.remove(hold)

    # -- the workload ----------------------------------------------------------------------------

    async def worker(self, worker: int, rng: random.Random) -> None:
        names = [name for name, _ in OPERATION_MIX]
        weights = [weight for _, weight in OPERATION_MIX]
        while self.remaining > 0:
            self.remaining -= 1
            operation = rng.choices(names, weights)[0]
            await getattr(self, f"do_{operation}")(worker, rng)

    def pick(self, rng: random.Random) -> tuple[uuid.UUID, str, int]:
        return rng.choice(self.players), rng.choice(CURRENCIES), rng.randint(1, 800)

    async def transfer(self, worker: int, kind: str, legs: list[Leg], player: uuid.UUID) -> None:
        request = TransferRequest(self.key(kind), kind, tuple(legs), player)
        if await self.call(request, worker) is not None:
            self.answered.append(request.key)

    async def do_bet(self, worker: int, rng: random.Random) -> None:
        player, currency, amount = self.pick(rng)
        await self.transfer(worker, "bet", bet_legs(player, currency, amount), player)

    async def do_win(self, worker: int, rng: random.Random) -> None:
        player, currency, amount = self.pick(rng)
        await self.transfer(worker, "win", win_legs(player, currency, amount), player)

    async def do_fee(self, worker: int, rng: random.Random) -> None:
        player, currency, amount = self.pick(rng)
        legs = move(cash(player, currency), house(HouseBook.FEES, currency), amount)
        await self.transfer(worker, "fee", legs, player)

    async def do_adjustment(self, worker: int, rng: random.Random) -> None:
        player, currency, amount = self.pick(rng)
        legs = move(house(HouseBook.ADJUSTMENTS, currency), cash(player, currency), amount)
        await self.transfer(worker, "adjustment", legs, player)

    async def do_hold(self, worker: int, rng: random.Random) -> None:
        player, currency, amount = self.pick(rng)
        request = HoldRequest(self.key("hold"), cash(player, currency), amount, utcnow() + timedelta(hours=1))
        answer = await self.call(request, worker)
        if answer is not None and answer.outcome == "accepted":
            assert answer.id is not None
            self.hold_ids[request.key] = answer.id
            self.open_holds.append(request)
            self.answered.append(request.key)

    async def do_settle(self, worker: int, rng: random.Random) -> None:
        if not self.open_holds:
            await self.do_bet(worker, rng)
            return
        # Not removed until a settle succeeds: another worker may be settling it right now.
        hold = rng.choice(self.open_holds)
        hold_id = self.hold_ids[hold.key]
        if rng.random() < 0.4:
            await self.void(hold, hold_id, worker)
            return
        to: AccountRef = house(HouseBook.REVENUE, hold.account.currency)
        if len(self.players) > 1 and rng.random() < 0.3:
            other = rng.choice([p for p in self.players if p != hold.account.player_id])
            to = cash(other, hold.account.currency)
        request = PostRequest(self.key("post"), hold_id, hold.account, rng.randint(1, hold.amount), to)
        answer = await self.call(request, worker)
        if answer is not None and answer.outcome == "accepted":
            self.settled(hold, Settle(hold_id, "posted", request.amount))
            self.answered.append(request.key)

    async def do_retry(self, worker: int, rng: random.Random) -> None:
        if not self.answered:
            await self.do_win(worker, rng)
            return
        await self.call(self.requests[rng.choice(self.answered)], worker)

    async def do_duplicate(self, worker: int, rng: random.Random) -> None:
        player, currency, amount = self.pick(rng)
        request = TransferRequest(self.key("bet"), "bet", tuple(bet_legs(player, currency, amount)), player)
        answers = await asyncio.gather(self.call(request, worker), self.call(request, worker))
        if all(a is not None for a in answers):
            self.answered.append(request.key)


async def run_bank(runtime: Runtime, players: list[uuid.UUID], seed: int) -> Bank:
    bank = Bank(runtime.database, players, logs=[[] for _ in range(WORKERS + 1)])
    funder = WORKERS  # the set-up's own log
    for player in players:
        for currency in CURRENCIES:
            request = TransferRequest(
                bank.key("deposit"), "deposit", tuple(deposit_legs(player, currency, FUNDING)), player
            )
            answer = await bank.call(request, funder)
            assert answer is not None, bank.unexpected
            assert answer.outcome == "accepted", answer
    async with asyncio.timeout(TIME_LIMIT):
        await asyncio.gather(*(bank.worker(n, random.Random(seed * 1000 + n)) for n in range(WORKERS)))
    return bank


def check_answers(bank: Bank) -> dict[str, uuid.UUID]:
    """Every key's answers agree; returns key -> id of each accepted transfer or hold."""
    by_key: dict[str, list[Answer]] = defaultdict(list)
    for log in bank.logs:
        for answer in log:
            by_key[answer.key].append(answer)
    accepted: dict[str, uuid.UUID] = {}
    problems = []
    for key, answers in by_key.items():
        outcomes = {a.outcome for a in answers}
        if "accepted" in outcomes:
            ids = {a.id for a in answers}
            first_runs = sum(not a.replayed for a in answers)
            if outcomes != {"accepted"} or len(ids) != 1 or first_runs != 1:
                problems.append(f"{key}: {answers}")
                continue
            only = ids.pop()
            assert only is not None
            accepted[key] = only
        elif isinstance(bank.requests[key], TransferRequest):
            if not outcomes <= {"insufficient_funds", "transfer_already_failed"}:
                problems.append(f"{key}: {answers}")
            elif "insufficient_funds" not in outcomes:
                problems.append(f"{key}: never failed for a reason, only as already failed: {answers}")
    assert problems == []
    return accepted


def expected_accounts(bank: Bank, accepted: dict[str, uuid.UUID]) -> dict[PlayerAccount, tuple[int, int]]:
    """Player account -> (balance, held) from the acknowledged operations alone."""
    balance: dict[PlayerAccount, int] = defaultdict(int)
    held: dict[PlayerAccount, int] = defaultdict(int)
    for key in accepted:
        request = bank.requests[key]
        if isinstance(request, HoldRequest):
            held[request.account] += request.amount
            continue
        for account, net in support.player_effects(legs_of(request)).items():
            balance[account] += net
    settled = {s.hold_id for s in bank.settles}
    for key, hold_id in bank.hold_ids.items():
        if hold_id in settled:
            request = bank.requests[key]
            assert isinstance(request, HoldRequest)
            held[request.account] -= request.amount
    return {a: (balance[a], held[a]) for a in set(balance) | set(held)}


async def check_bank(runtime: Runtime, bank: Bank) -> Counter[str]:
    assert bank.unexpected == []
    accepted = check_answers(bank)

    # Each hold settled at most once, by the log; the stored status agrees.
    settles_per_hold = Counter(s.hold_id for s in bank.settles)
    assert [h for h, n in settles_per_hold.items() if n > 1] == []

    expected = expected_accounts(bank, accepted)
    transfer_keys = {k for k in accepted if not isinstance(bank.requests[k], HoldRequest)}
    refused_keys = {
        k for k, r in bank.requests.items() if isinstance(r, TransferRequest) and k not in accepted
    }
    async with runtime.database.unit_of_work() as session:
        assert await check_books(session) == []
        assert await support.currency_totals(session) == dict.fromkeys(CURRENCIES, (0, 0))
        assert await support.negative_player_accounts(session) == []

        # Exactly the acknowledged transfers are posted, each once, each with one entry per leg;
        # every refused transfer is on record as failed (so its key keeps failing), with no entries.
        stored = await support.transfers_of_source(session, SOURCE)
        posted = [(key, id_) for key, id_, status in stored if status == "posted"]
        failed = {key: id_ for key, id_, status in stored if status != "posted"}
        assert Counter(key for key, _ in posted) == Counter(transfer_keys)
        assert dict(posted) == {k: accepted[k] for k in transfer_keys}
        assert refused_keys <= set(failed), refused_keys - set(failed)
        assert set(failed).isdisjoint(accepted)
        legs = {accepted[k]: len(legs_of(bank.requests[k])) for k in transfer_keys}
        assert await support.entry_counts(session, [*legs, *failed.values()]) == legs

        # Stored hold states match the log.
        statuses = await support.hold_states(session, list(bank.hold_ids.values()))
        by_log = {s.hold_id: (s.status, s.amount) for s in bank.settles}
        for hold_id in bank.hold_ids.values():
            assert statuses[hold_id] == by_log.get(hold_id, ("pending", 0)), hold_id

        for player in bank.players:
            observed = {b.currency: b for b in await ledger.balances(session, player_id=player)}
            for currency in CURRENCIES:
                balance, held = expected.get(cash(player, currency), (0, 0))
                row = observed.get(currency)
                got = (row.available, row.held, row.bonus) if row else (0, 0, 0)
                assert got == (balance - held, held, 0), (player, currency)
                assert got[0] >= 0
                assert got[1] >= 0

    counts: Counter[str] = Counter()
    for log in bank.logs:
        for answer in log:
            counts["replayed" if answer.replayed else answer.outcome] += 1
    counts["settles"] = len(bank.settles)
    return counts


@pytest.mark.parametrize("hot", [False, True], ids=["spread", "hot-account"])
async def test_concurrent_bank(database_url: str, keyring_json: str, tmp_path: Path, hot: bool) -> None:
    settings = make_settings(
        database_url, keyring_json, tmp_path, database_pool_size=WORKERS + 4, database_max_overflow=WORKERS
    )
    runtime = await Runtime.start(settings)
    try:
        players = await support.register_players(runtime.database, settings, 1 if hot else PLAYERS)
        bank = await run_bank(runtime, players, seed=2 if hot else 1)
        counts = await check_bank(runtime, bank)
    finally:
        await runtime.close()
    # The workload did what it is for: money moved, some requests were refused, retries replayed.
    assert counts["accepted"] > OPERATIONS // 3, counts
    if hot:  # one player's money runs out now and then
        assert counts["insufficient_funds"] > 0, counts
    assert counts["replayed"] > 0, counts
    assert counts["settles"] > 0, counts
