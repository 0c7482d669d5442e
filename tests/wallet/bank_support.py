"""Helpers shared by the ledger model test, the concurrent bank test and ``bench/wallet.py``.

Players are created through the identity service (a real row, sealed personal
data, audit entry), the way registration does it, so that player accounts have
the foreign key they need. Transfers are built from the public refs of
``croupier.wallet.service`` only.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.identity.account import registration
from croupier.identity.passwords import Passwords
from croupier.kit.client import ClientInfo
from croupier.kit.db import Database
from croupier.kit.settings import Settings
from croupier.wallet.service import HouseAccount, HouseBook, Leg, PlayerAccount, PlayerBook

PASSWORD = "correct horse battery staple"
# One currency without minor units and one with two (the currencies table: JPY 0, EUR 2).
CURRENCIES = ("JPY", "EUR")


async def register_players(database: Database, settings: Settings, count: int) -> list[uuid.UUID]:
    """Register ``count`` players through the identity service, in one unit of work."""
    passwords = Passwords(settings)
    ids: list[uuid.UUID] = []
    async with database.unit_of_work() as session:
        for _ in range(count):
            ids.append(await _register(session, passwords, settings))
    return ids


async def _register(session: AsyncSession, passwords: Passwords, settings: Settings) -> uuid.UUID:
    player_id = await registration.register(
        session,
        settings=settings,
        passwords=passwords,
        email=f"bank-{uuid.uuid4().hex[:12]}@example.com",
        password=PASSWORD,
        first_name="Ada",
        last_name="Lovelace",
        date_of_birth=date(1990, 12, 10),
        country="MT",
        client=ClientInfo(ip=None, user_agent="croupier-tests"),
    )
    assert player_id is not None
    return player_id


def cash(player_id: uuid.UUID, currency: str) -> PlayerAccount:
    return PlayerAccount(player_id=player_id, currency=currency, book=PlayerBook.CASH)


def bonus(player_id: uuid.UUID, currency: str) -> PlayerAccount:
    return PlayerAccount(player_id=player_id, currency=currency, book=PlayerBook.BONUS)


def house(book: HouseBook, currency: str) -> HouseAccount:
    return HouseAccount(book=book, currency=currency)


def move(
    source: PlayerAccount | HouseAccount, target: PlayerAccount | HouseAccount, amount: int
) -> list[Leg]:
    """Two legs moving ``amount`` (> 0) from ``source`` to ``target`` (same currency)."""
    assert source.currency == target.currency
    assert amount > 0
    return [Leg(source, -amount), Leg(target, amount)]


def deposit_legs(player_id: uuid.UUID, currency: str, amount: int) -> list[Leg]:
    return move(house(HouseBook.PSP_CLEARING, currency), cash(player_id, currency), amount)


def bet_legs(player_id: uuid.UUID, currency: str, amount: int) -> list[Leg]:
    return move(cash(player_id, currency), house(HouseBook.REVENUE, currency), amount)


def win_legs(player_id: uuid.UUID, currency: str, amount: int) -> list[Leg]:
    return move(house(HouseBook.REVENUE, currency), cash(player_id, currency), amount)


def player_effects(legs: Iterable[Leg]) -> dict[PlayerAccount, int]:
    """The net amount each player account receives from ``legs``."""
    net: dict[PlayerAccount, int] = defaultdict(int)
    for leg in legs:
        if isinstance(leg.account, PlayerAccount):
            net[leg.account] += leg.amount
    return dict(net)


def player_debits(legs: Iterable[Leg]) -> dict[PlayerAccount, int]:
    """What each debited player account pays in ``legs`` (a negative sum), its credits left out.

    The funds check: a player account's debits are covered by what was available
    before the transfer, whatever the same transfer credits to it (a round's payout
    never pays for its own stake).
    """
    debits: dict[PlayerAccount, int] = defaultdict(int)
    for leg in legs:
        if isinstance(leg.account, PlayerAccount) and leg.amount < 0:
            debits[leg.account] += leg.amount
    return dict(debits)


# -- reading the ledger's tables directly (the end-of-run checks of the bank test) ----------------


async def currency_totals(session: AsyncSession) -> dict[str, tuple[int, int]]:
    """currency -> (sum of all account balances, sum of all entries); both must be zero."""
    rows = await session.execute(
        text(
            "SELECT a.currency, SUM(a.balance)::bigint,"
            " (SELECT COALESCE(SUM(e.amount), 0)::bigint FROM ledger_entries e"
            "  JOIN ledger_accounts b ON b.id = e.account_id WHERE b.currency = a.currency)"
            " FROM ledger_accounts a GROUP BY a.currency"
        )
    )
    return {currency: (balances, entries) for currency, balances, entries in rows}


async def negative_player_accounts(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT code FROM ledger_accounts"
            " WHERE is_player AND (balance < 0 OR held < 0 OR balance - held < 0)"
        )
    )
    return [code for (code,) in rows]


async def transfers_of_source(session: AsyncSession, source: str) -> list[tuple[str, uuid.UUID, str]]:
    """(key, id, status) of every stored transfer of ``source``, posted or failed."""
    rows = await session.execute(
        text("SELECT idempotency_key, id, status FROM ledger_transfers WHERE source = :source"),
        {"source": source},
    )
    return [(key, id_, status) for key, id_, status in rows]


async def entry_counts(session: AsyncSession, transfer_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        text(
            "SELECT transfer_id, COUNT(*) FROM ledger_entries"
            " WHERE transfer_id = ANY(:ids) GROUP BY transfer_id"
        ),
        {"ids": transfer_ids},
    )
    return {row[0]: row[1] for row in rows}


async def hold_states(session: AsyncSession, hold_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, int]]:
    """hold id -> (status, posted amount)."""
    rows = await session.execute(
        text("SELECT id, status, posted_amount FROM ledger_holds WHERE id = ANY(:ids)"), {"ids": hold_ids}
    )
    return {hold_id: (status, posted) for hold_id, status, posted in rows}
