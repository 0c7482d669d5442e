"""Drain the mail outbox into the mail adapter.

Each message is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` in a
transaction of its own, handed to the adapter, and marked sent in that same
transaction. Any number of processes can relay at once without sending a
message twice while they are all healthy; a crash between handing over and
committing sends that one message again (at-least-once, with the same
Message-ID). A commit that queued mail wakes the relay at once; a periodic
sweep picks up whatever another process queued or left behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.crypto.service import PersonalDataErased
from croupier.kit.background import Sweeper
from croupier.kit.clock import utcnow
from croupier.kit.db import Database
from croupier.kit.metrics import MAIL_SENT
from croupier.kit.runtime import Runtime
from croupier.kit.scrub import scrub_text
from croupier.mail import repository, service
from croupier.mail.adapters import MailAdapter, PermanentMailError, adapter_from_settings
from croupier.mail.models import OutgoingMail

SWEEP_SECONDS = 5.0
MAX_ATTEMPTS = 8
# 30 s, 1 min, 2 min … capped at an hour: eight attempts span about an hour.
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
STOP_GRACE_SECONDS = 10.0
ERROR_LIMIT = 500

_ADDRESS = re.compile(r"[^\s<>'\"@,;:()\[\]]+@[^\s<>'\"@,;:()\[\]]+")
_log = structlog.get_logger("croupier.mail")


def describe_error(exc: BaseException) -> str:
    """What is kept of a failure: no recipient address (SMTP errors quote it), no token."""
    text = _ADDRESS.sub("[ADDRESS]", f"{type(exc).__name__}: {exc}")
    return scrub_text(text)[:ERROR_LIMIT]


def retry_delay(
    attempts: int, *, first: timedelta = FIRST_RETRY, longest: timedelta = LONGEST_RETRY
) -> timedelta:
    return min(first * (1 << min(max(attempts - 1, 0), 20)), longest)


@dataclass(frozen=True)
class DrainReport:
    sent: int = 0
    failed: int = 0


class MailRelay(Sweeper):
    name = "mail-relay"
    wake_key = service.WAKE_KEY
    stop_grace_seconds = STOP_GRACE_SECONDS

    def __init__(
        self,
        database: Database,
        adapter: MailAdapter,
        *,
        sender: str,
        max_attempts: int = MAX_ATTEMPTS,
        sweep_seconds: float = SWEEP_SECONDS,
        first_retry: timedelta = FIRST_RETRY,
    ) -> None:
        super().__init__(database, sweep_seconds=sweep_seconds)
        self.adapter = adapter
        self.sender = sender
        self.max_attempts = max_attempts
        self.first_retry = first_retry

    @classmethod
    def for_runtime(cls, runtime: Runtime, *, adapter: MailAdapter | None = None) -> MailRelay:
        """The relay the process runs: the configured adapter unless one is given (tests)."""
        return cls(
            runtime.database,
            adapter or adapter_from_settings(runtime.settings),
            sender=runtime.settings.mail_from,
        )

    # One pass -----------------------------------------------------------------

    async def drain(self) -> DrainReport:
        """Send everything that is due now (stopping early if the relay is asked to stop)."""
        sent = failed = 0
        while not self.stopping:
            outcome = await self._relay_one()
            if outcome is None:
                break
            sent, failed = (sent + 1, failed) if outcome else (sent, failed + 1)
        return DrainReport(sent=sent, failed=failed)

    async def _relay_one(self) -> bool | None:
        """True sent, False failed, None when nothing is due."""
        async with self.database.unit_of_work() as session:
            mail = await repository.claim_next_due(session, now=utcnow(), max_attempts=self.max_attempts)
            if mail is None:
                return None
            try:
                opened = await service.open_mail(session, mail)
                await self.adapter.send(mail.id, service.compose(opened, sender=self.sender))
            except Exception as exc:  # noqa: BLE001 - every delivery failure is recorded and retried
                self._failed(mail, exc, permanent=isinstance(exc, PermanentMailError | PersonalDataErased))
                return False
            mail.sent_at = utcnow()
            mail.last_error = None
            MAIL_SENT.labels("sent").inc()
            _log.info("mail_sent", mail_id=str(mail.id), template=mail.template, attempts=mail.attempts + 1)
            return True

    def _failed(self, mail: OutgoingMail, exc: Exception, *, permanent: bool) -> None:
        mail.attempts += 1
        mail.last_error = describe_error(exc)
        if permanent or mail.attempts >= self.max_attempts:
            # Excluded from claim_next_due from now on; kept for the operator to inspect.
            mail.attempts = max(mail.attempts, self.max_attempts)
            mail.next_attempt_at = None
            MAIL_SENT.labels("gave_up").inc()
            _log.warning("mail_gave_up", mail_id=str(mail.id), template=mail.template, error=mail.last_error)
            return
        mail.next_attempt_at = utcnow() + retry_delay(mail.attempts, first=self.first_retry)
        MAIL_SENT.labels("failed").inc()
        _log.warning(
            "mail_failed",
            mail_id=str(mail.id),
            template=mail.template,
            attempts=mail.attempts,
            error=mail.last_error,
        )

    async def counts(self) -> tuple[int, int]:
        async with self.database.unit_of_work() as session:
            return await repository.counts(session, max_attempts=self.max_attempts)


async def backlog(
    session: AsyncSession, *, now: datetime, max_attempts: int = MAX_ATTEMPTS
) -> tuple[float, int]:
    """``(seconds the oldest waiting message has waited, messages given up on)`` for monitoring."""
    oldest = await repository.oldest_waiting(session, max_attempts=max_attempts)
    _, given_up = await repository.counts(session, max_attempts=max_attempts)
    return (max((now - oldest).total_seconds(), 0.0) if oldest else 0.0), given_up
