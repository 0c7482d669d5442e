"""Wallet HTTP API: the signed-in player's own balances and statement, nobody else's.

There is no player id in these routes: the player is the session's, so one
player cannot ask for another's money (object-level authorisation by
construction).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from croupier.identity.auth import CurrentAuth
from croupier.identity.errors import InvalidSession
from croupier.kit.deps import DbSession
from croupier.kit.errors import responses
from croupier.kit.keyring import keyring_of
from croupier.wallet import service as wallet
from croupier.wallet.cursors import InvalidCursor, open_cursor, seal_cursor
from croupier.wallet.schemas import (
    BalanceView,
    TransactionPage,
    TransactionQuery,
    TransactionView,
    WalletView,
)

router = APIRouter(prefix="/v1/wallet", tags=["wallet"])


@router.get("", summary="My balances per currency", responses=responses(InvalidSession))
async def my_wallet(session: DbSession, auth: CurrentAuth) -> WalletView:
    return WalletView(
        balances=[
            BalanceView(
                currency=b.currency,
                exponent=await wallet.exponent(session, b.currency),
                available=b.available,
                held=b.held,
                bonus=b.bonus,
            )
            for b in await wallet.balances(session, player_id=auth.player.id)
        ]
    )


@router.get(
    "/transactions",
    summary="My ledger entries, newest first",
    responses=responses(InvalidSession, InvalidCursor),
)
async def my_transactions(
    session: DbSession, auth: CurrentAuth, query: Annotated[TransactionQuery, Query()]
) -> TransactionPage:
    ring = keyring_of(session)
    player_id, limit = auth.player.id, query.limit
    before = open_cursor(ring, player_id, query.cursor) if query.cursor else None
    # One more than asked for says whether there is a next page.
    rows = await wallet.entries(session, player_id=player_id, before=before, limit=limit + 1)
    page = rows[:limit]
    return TransactionPage(
        items=[
            TransactionView(
                transfer_id=e.transfer_id,
                kind=e.kind,
                book=e.book,
                currency=e.currency,
                exponent=await wallet.exponent(session, e.currency),
                amount=e.amount,
                balance_after=e.balance_after,
                created_at=e.created_at,
            )
            for e in page
        ],
        next_cursor=seal_cursor(ring, player_id, page[-1].id) if len(rows) > limit else None,
    )
