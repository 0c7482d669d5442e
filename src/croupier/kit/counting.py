"""Counters that move only when the transaction they describe commits.

A bet that is rolled back (a refusal after the stake was computed, a conflict that
runs the request again) must not count. Increments are kept on the session and
applied by one after-commit hook: no query, a list append per increment.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.db import after_commit, registered_after_commit

_HOOK = "metrics:count"
_PENDING = "croupier.metrics.pending"


class Incrementable(Protocol):
    def inc(self, amount: float = 1) -> None: ...


def count_on_commit(session: AsyncSession, counter: Incrementable, amount: float = 1) -> None:
    """Add ``amount`` to ``counter`` (a labelled child) once ``session`` commits."""
    if not amount:
        return
    pending: list[tuple[Incrementable, float]] | None = session.info.get(_PENDING)
    # A rollback drops the hook; increments left over from it must not ride on the next commit.
    if pending is None or not registered_after_commit(session, _HOOK):
        pending = session.info[_PENDING] = []
        counted = pending

        async def _apply() -> None:
            if session.info.get(_PENDING) is counted:
                del session.info[_PENDING]
            for child, value in counted:
                child.inc(value)

        after_commit(session, _HOOK, _apply)
    pending.append((counter, amount))
