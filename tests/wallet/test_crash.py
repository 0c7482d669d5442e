"""Crash test: the service is killed with SIGKILL in the middle of money-moving load and restarted.

Players deposit (some with a card the provider declines) and withdraw over HTTP
while ``croupier serve`` is killed twice and restarted on the same port. Their
clients retry every operation that got no answer with its Idempotency-Key, except
a few that give up when the first crash cuts them off, as a closed browser would.
Afterwards: every acknowledged operation is present, none was applied twice (by
Croupier or at the provider), the operations whose answer was lost happened at
most once, each wallet holds exactly what its operations say, and the books balance.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from croupier.kit.db import Database
from croupier.kit.runtime import Runtime
from tests.payments.support import DECLINED
from tests.psp_sandbox import PspSandbox
from tests.wallet.crash_support import (
    CURRENCY,
    Books,
    CrashableService,
    Load,
    Operation,
    Player,
    read_books,
    settled,
    signed_in_players,
)

pytestmark = pytest.mark.slow

PLAYERS = 10
OPERATIONS_EACH = 14
# When the service is killed, as a share of the operations done; the second crash
# comes well after the first restart, so that both land in the middle of the load.
CRASHES = ((0.2, 0.4), (0.5, 0.7))
# The players whose clients give up on what the first crash cuts off.
GIVE_UP = frozenset(range(0, PLAYERS, 3))


@pytest.fixture
def service(
    tmp_path: Path, database_url: str, keyring_json: str, psp: PspSandbox
) -> Iterator[CrashableService]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    service = CrashableService(data_dir, database_url, keyring_json, psp)
    try:
        service.start()
        service.wait_ready()
        yield service
    finally:
        # However the test ends, no server is left behind.
        service.stop()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url, pool_size=1, max_overflow=0)
    yield database
    await database.dispose()


async def wallet(http: httpx.AsyncClient, player: Player) -> dict[str, int]:
    response = await http.get("/v1/wallet", headers=player.session.headers)
    assert response.status_code == 200, response.text
    for balance in response.json()["balances"]:
        if balance["currency"] == CURRENCY:
            return {"available": balance["available"], "held": balance["held"]}
    return {"available": 0, "held": 0}


async def test_money_survives_sigkill_mid_load(
    service: CrashableService,
    database: Database,
    runtime: Runtime,
    psp: PspSandbox,
    record_property: pytest.RecordProperty,
) -> None:
    seed = random.randrange(2**32)
    record_property("seed", seed)
    rng = random.Random(seed)
    timeout = httpx.Timeout(15.0, connect=2.0)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=timeout) as http:
        load = Load(http, psp, await signed_in_players(http, runtime, PLAYERS, OPERATIONS_EACH, rng), rng)
        running = asyncio.create_task(load.run())
        in_flight_at_crash = []
        try:
            for crash, (low, high) in enumerate(CRASHES):
                await load.at(round(rng.uniform(low, high) * load.total))
                if load.done:
                    await running  # a worker's failure, if that is why
                    pytest.fail(f"the load ended before crash {crash + 1} (seed {seed})")
                load.clients_give_up(GIVE_UP if crash == 0 else set())
                in_flight_at_crash.append(len(load.in_flight))
                service.crash()
                await asyncio.sleep(0.5)  # the clients keep knocking on a closed port
                service.start()
                await asyncio.to_thread(service.wait_ready)
            await running
        finally:
            running.cancel()
        await settled(database, psp)
        wallets = {player.index: await wallet(http, player) for player in load.players}

    operations = load.operations()
    books = await read_books(database)
    events: dict[str, list[str]] = defaultdict(list)
    for event in await psp.events():
        events[event["reference"]].append(event["type"])
    context = f"(seed {seed}; server log {service.log})"
    interrupted = [op for op in operations if op.interruptions]
    record_property("operations", len(operations))
    record_property("in_flight_at_crashes", in_flight_at_crash)
    record_property("interrupted", len(interrupted))
    record_property("abandoned", sum(op.abandoned for op in operations))

    # It really crashed in the middle: requests were cut off, and retried until answered.
    assert service.starts == 1 + len(CRASHES)
    assert sum(in_flight_at_crash) > 0, context
    assert any(op.interruptions and op.acknowledged for op in operations), context
    # Clients that kept retrying always got their answer; only those that gave up have none.
    assert all(op.abandoned and op.player in GIVE_UP for op in operations if not op.acknowledged), context
    # A retry after a crash is answered like a first attempt, never with an unhandled error.
    assert [op for op in operations if 500 in op.server_errors] == [], context
    # Every stored deposit and withdrawal is one of the operations, once per (player, key).
    keys = {(load.players[op.player].session.id, op.key) for op in operations}
    for row in books.deposits + books.withdrawals:
        assert (row["player_id"], row["idempotency_key"]) in keys, row
    stored = Counter((row["player_id"], row["idempotency_key"]) for row in books.deposits + books.withdrawals)
    assert max(stored.values()) == 1

    expected: Counter[int] = Counter()
    for op in operations:
        check = deposit_checked if op.kind == "deposit" else withdrawal_checked
        expected[op.player] += check(op, books, events, load.players[op.player])

    succeeded = [d for d in books.deposits if d["status"] == "succeeded"]
    credits = sum(
        n
        for (source, key), n in books.transfers.items()
        if source == "payments" and key.startswith("deposit:")
    )
    assert credits == len(succeeded), "a deposit was credited twice"
    for player in load.players:
        assert wallets[player.index] == {"available": expected[player.index], "held": 0}, (player, context)
    assert books.problems == [], context


def deposit_checked(op: Operation, books: Books, events: dict[str, list[str]], player: Player) -> int:
    """What the deposit added to the wallet, once its answer, its row, the ledger and the provider agree."""
    row = books.deposit(op)
    if op.acknowledged:
        assert op.status == 201, op
        assert op.answer["status"] == ("failed" if op.card == DECLINED else "succeeded"), op
        assert row is not None, f"acknowledged deposit missing: {op}"
        assert (row["id"], row["status"]) == (op.answer["id"], op.answer["status"]), op
    if row is None:
        return 0
    assert row["player_id"] == player.session.id
    # The provider charged the card at most once; a deposit it never charged stays initiated.
    charges = [e for e in events[row["id"]] if e.startswith("payment.")]
    assert len(charges) == (0 if row["status"] == "initiated" else 1), (row, charges)
    credited = row["status"] == "succeeded"
    assert books.transfers[("payments", f"deposit:{row['id']}")] == int(credited), row
    assert (row["credit_transfer_id"] is not None) == credited, row
    return op.amount if credited else 0


def withdrawal_checked(op: Operation, books: Books, events: dict[str, list[str]], player: Player) -> int:
    """What the withdrawal took from the wallet: paid out once, its hold posted once, or nothing."""
    row = books.withdrawal(op)
    if op.acknowledged and op.status == 422:
        # Refused only when an abandoned operation may have moved money its client does not know of.
        assert op.answer["code"] == "insufficient_funds", op
        assert player.gave_up_on_something, op
        assert row is None, op
        return 0
    if op.acknowledged:
        assert op.status == 201, op
        assert row is not None, f"acknowledged withdrawal missing: {op}"
        assert row["id"] == op.answer["id"], op
    if row is None:
        return 0
    assert row["player_id"] == player.session.id
    assert row["status"] == "paid", row
    holds = [(h["status"], h["posted_amount"]) for h in books.holds_for(row["id"])]
    assert holds == [("posted", op.amount)], row
    assert books.transfers[("payments:withdrawal", f"paid:{row['id']}")] == 1, row
    assert events[row["id"]] == ["payout.paid"], row
    return -op.amount
