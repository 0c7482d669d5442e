"""The books check: does the ledger still add up?

Run by ``croupier ledger check`` (and by tests after every scenario). Each rule
is one query over the whole ledger; a problem names the account, entry,
transfer or hold at fault. Nothing here repairs anything: corrections are
reversing transfers, made deliberately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.clock import utcnow
from croupier.wallet import repository

# The expiry sweep runs periodically; a hold that expired moments ago is not yet a problem.
HOLD_EXPIRY_GRACE = timedelta(minutes=5)
# Problems listed per rule; a broken ledger is reported, not dumped.
MAX_PER_RULE = 50


@dataclass(frozen=True)
class BooksReport:
    problems: list[str]
    accounts: int
    currencies: int
    transfers: int
    failed_transfers: int
    entries: int
    pending_holds: int

    @property
    def ok(self) -> bool:
        return not self.problems


async def examine(
    session: AsyncSession, *, now: datetime | None = None, grace: timedelta = HOLD_EXPIRY_GRACE
) -> BooksReport:
    """Every rule, with the ledger's size for the report."""
    problems = await _problems(session, cutoff=(now or utcnow()) - grace)
    counts = await repository.books_counts(session)
    return BooksReport(problems=problems, **counts)


async def check_books(session: AsyncSession) -> list[str]:
    """What is wrong with the books; an empty list when they add up."""
    return (await examine(session)).problems


async def _problems(session: AsyncSession, *, cutoff: datetime) -> list[str]:
    n = MAX_PER_RULE
    problems = [
        f"currency {currency}: balances sum to {total}, not 0"
        for currency, total in await repository.currencies_out_of_balance(session)
    ]
    problems += [
        f"account {code}: balance {balance} but its entries sum to {total}"
        for code, balance, total in await repository.balances_not_matching_entries(session, n)
    ]
    problems += [
        f"entry {entry_id} on {code}: balance_after {after} but the running total is {running}"
        for entry_id, code, after, running in await repository.running_balances_broken(session, n)
    ]
    problems += [
        f"account {code}: held {held} but its pending holds sum to {total}"
        for code, held, total in await repository.held_not_matching_holds(session, n)
    ]
    problems += [
        f"account {code}: negative player funds (balance {balance}, held {held})"
        for code, balance, held in await repository.negative_player_accounts(session, n)
    ]
    problems += [
        f"hold {hold_id} on {code}: still pending, expired at {expires_at.isoformat(timespec='seconds')}"
        for hold_id, code, expires_at in await repository.overdue_pending_holds(
            session, cutoff=cutoff, limit=n
        )
    ]
    problems += [
        f"transfer {transfer_id}: {currency} entries sum to {total}, not 0"
        for transfer_id, currency, total in await repository.unbalanced_transfers(session, n)
    ]
    problems += [
        f"transfer {transfer_id}: {status} but {'has no' if status == 'posted' else 'has'} entries"
        for transfer_id, status in await repository.transfers_with_wrong_entries(session, n)
    ]
    return problems
