"""The integrity checks an operator also runs by hand, run periodically and recorded.

``books`` is ``croupier ledger check`` (the ledger's books and the payments' records with
them); ``audit_chain`` is ``croupier audit verify``. Each runs in a transaction of its
own and its result is written in another, so a failing check is recorded, not rolled back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.kit.clock import utcnow
from croupier.kit.db import Database
from croupier.operations.monitoring import repository
from croupier.operations.monitoring.models import OperationalCheck
from croupier.payments import books as payment_books
from croupier.wallet import books

BOOKS = "books"
AUDIT_CHAIN = "audit_chain"
CHECKS = (BOOKS, AUDIT_CHAIN)
# A failure's detail is for a person to start from; the command prints everything.
_DETAIL_CHARS = 500

_log = structlog.get_logger("croupier.operations")


@dataclass(frozen=True)
class Result:
    ok: bool
    detail: str | None = None


async def examine_books(session: AsyncSession) -> tuple[books.BooksReport, list[str]]:
    """The ledger's report and every problem, the payments' included (``croupier ledger check``)."""
    report = await books.examine(session)
    return report, report.problems + await payment_books.problems(session)


async def _books(session: AsyncSession) -> Result:
    _, problems = await examine_books(session)
    if not problems:
        return Result(True)
    return Result(False, f"{len(problems)} problem(s); first: {problems[0]}")


async def _audit_chain(session: AsyncSession) -> Result:
    verdict = await audit.verify(session)
    if verdict.ok:
        return Result(True)
    return Result(False, f"audit chain broken at entry {verdict.first_bad_seq}: {verdict.reason}")


_RUNNERS: dict[str, Callable[[AsyncSession], Awaitable[Result]]] = {BOOKS: _books, AUDIT_CHAIN: _audit_chain}


async def run(database: Database, name: str) -> Result:
    """Run one check and record its result; an error while checking is a failure too."""
    try:
        async with database.unit_of_work() as session:
            result = await _RUNNERS[name](session)
    except Exception as exc:  # noqa: BLE001 - a check that cannot run has not passed
        result = Result(False, f"the check could not run: {type(exc).__name__}")
    async with database.unit_of_work() as session:
        await repository.record(session, name=name, ok=result.ok, at=utcnow(), detail=_short(result.detail))
    if result.ok:
        _log.info("operational_check_passed", check=name)
    else:
        _log.error("operational_check_failed", check=name, detail=_short(result.detail))
    return result


async def run_all(database: Database) -> dict[str, Result]:
    return {name: await run(database, name) for name in CHECKS}


async def last_runs(session: AsyncSession) -> list[OperationalCheck]:
    return await repository.all_checks(session)


def _short(detail: str | None) -> str | None:
    return detail if detail is None or len(detail) <= _DETAIL_CHARS else detail[: _DETAIL_CHARS - 1] + "…"
