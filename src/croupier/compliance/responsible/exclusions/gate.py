"""The one refusal every money path in makes for an excluded player: no deposits, no bets.

Pure on purpose (no database, no other domain): the hot paths hand it what they read
anyway, ``players.gambling_blocked_until`` beside the player's status, so the check sends
no statement of its own. ``risk.pre_bet`` calls it for every bet, in-house or third-party;
``payments.deposits`` for every deposit. Signing in, the balance and withdrawals stay open.
"""

from __future__ import annotations

from datetime import UTC, datetime

from croupier.kit.errors import CroupierError

# "Blocked until" of an exclusion with no end yet (indefinite, awaiting the player's return,
# a register verdict in force): later than any real date, so "until > now" holds.
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


class GamblingBlocked(CroupierError):
    code = "gambling_blocked"
    status = 403
    title = "Gambling is blocked on this account"


def is_blocked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def refuse_if_blocked(until: datetime | None, now: datetime, *, doing: str) -> None:
    """Raise ``GamblingBlocked`` while ``until`` is in the future; ``doing`` names what was refused."""
    if until is not None and until > now:
        raise GamblingBlocked(
            f"A time-out or self-exclusion is in force: {doing} is not possible. "
            "GET /v1/rg/status says until when.",
            until=None if until >= FOREVER else until.isoformat(),
        )
