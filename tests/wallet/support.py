"""Shared by the wallet tests: players without the HTTP round trip, money in, raw SQL."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from croupier.identity.models import Player
from croupier.kit.runtime import Runtime
from croupier.wallet import service as wallet
from croupier.wallet.service import HouseAccount, HouseBook, Leg, PlayerAccount, PlayerBook, TransferResult


async def make_player(runtime: Runtime) -> uuid.UUID:
    """A bare player row: the ledger needs only its id."""
    player_id = uuid.uuid4()
    async with runtime.database.unit_of_work() as session:
        session.add(
            Player(
                id=player_id,
                email_index=secrets.token_bytes(32),
                email_enc=b"-",
                first_name_enc=b"-",
                last_name_enc=b"-",
                date_of_birth_enc=b"-",
                country="MT",
                password_hash="-",
            )
        )
    return player_id


def cash(player_id: uuid.UUID, currency: str = "EUR") -> PlayerAccount:
    return PlayerAccount(player_id, currency)


def bonus(player_id: uuid.UUID, currency: str = "EUR") -> PlayerAccount:
    return PlayerAccount(player_id, currency, PlayerBook.BONUS)


def house(book: HouseBook, currency: str = "EUR") -> HouseAccount:
    return HouseAccount(book, currency)


def later(minutes: int = 30) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def key() -> str:
    return uuid.uuid4().hex


async def deposit(
    runtime: Runtime,
    player_id: uuid.UUID,
    amount: int,
    currency: str = "EUR",
    *,
    book: PlayerBook = PlayerBook.CASH,
) -> TransferResult:
    """Money in from the payment provider's clearing account."""
    async with runtime.database.unit_of_work() as session:
        return await wallet.transfer(
            session,
            source="test",
            key=key(),
            kind="deposit",
            legs=[
                Leg(PlayerAccount(player_id, currency, book), amount),
                Leg(house(HouseBook.PSP_CLEARING, currency), -amount),
            ],
        )


async def bet(
    runtime: Runtime, player_id: uuid.UUID, amount: int, currency: str = "EUR", *, idem: str | None = None
) -> TransferResult:
    async with runtime.database.unit_of_work() as session:
        return await wallet.transfer(
            session,
            source="test",
            key=idem or key(),
            kind="bet",
            legs=[Leg(cash(player_id, currency), -amount), Leg(house(HouseBook.REVENUE, currency), amount)],
        )


async def available(runtime: Runtime, player_id: uuid.UUID, currency: str = "EUR") -> tuple[int, int]:
    """``(available, held)`` of the player's cash in ``currency``."""
    async with runtime.database.unit_of_work() as session:
        for balance in await wallet.balances(session, player_id=player_id):
            if balance.currency == currency:
                return balance.available, balance.held
    return 0, 0
