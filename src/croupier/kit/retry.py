"""Run a request again when PostgreSQL aborts its transaction to break a deadlock
or a serialization conflict (SQLSTATE 40P01 / 40001).

Every request is one transaction, rolled back whole on any error, so running it
again is safe; its money-moving effects are idempotent besides. The error
handler marks such a failure with an internal header; this middleware, just
inside the request-context layer, replays the request body it recorded and runs
the app again, up to a few times, before letting the last answer through as a
503 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import secrets

import psycopg
from sqlalchemy.exc import DBAPIError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from croupier.kit.metrics import TRANSACTION_RETRIES

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
RETRY_MARKER = b"x-croupier-retryable"
ATTEMPTS = 4


def is_retryable(exc: BaseException) -> bool:
    """Whether the database refused the transaction only because of a concurrent one."""
    seen: BaseException | None = exc
    while seen is not None:
        original = seen.orig if isinstance(seen, DBAPIError) else seen
        if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# Connection exceptions (class 08), the server shutting down or starting (57P01-57P03), and a
# read-only transaction: the standby a connection reached has not been promoted yet.
UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "57P01", "57P02", "57P03", "25006")


def is_unavailable(exc: BaseException) -> bool:
    """Whether the database could not be reached or went away (a failover, a restart)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    seen: BaseException | None = exc
    while seen is not None:
        original = seen.orig if isinstance(seen, DBAPIError) else seen
        sqlstate = getattr(original, "sqlstate", None)
        if sqlstate is not None and sqlstate.startswith(UNAVAILABLE_SQLSTATE_PREFIXES):
            return True
        # psycopg says "connection failed" or "the connection is lost" without a SQLSTATE.
        if type(original) is psycopg.OperationalError:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class RetryConflicts:
    def __init__(self, app: ASGIApp, *, attempts: int = ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        recorded: list[Message] = []
        for attempt in range(1, self.attempts + 1):
            if await self._attempt(scope, receive, send, recorded, last=attempt == self.attempts):
                return
            TRANSACTION_RETRIES.inc()
            # Jittered backoff, so the two transactions that collided do not collide again.
            await asyncio.sleep((5 + secrets.randbelow(16)) / 1000 * attempt)

    async def _attempt(
        self, scope: Scope, receive: Receive, send: Send, recorded: list[Message], *, last: bool
    ) -> bool:
        """Run the app once; False when it answered "retry me" and the answer was held back."""
        replay = list(recorded)
        discarding = False

        async def replaying_receive() -> Message:
            if replay:
                return replay.pop(0)
            message = await receive()
            recorded.append(message)
            return message

        async def filtering_send(message: Message) -> None:
            nonlocal discarding
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                if any(name == RETRY_MARKER for name, _ in headers):
                    if not last:
                        discarding = True
                        return
                    message["headers"] = [(n, v) for n, v in headers if n != RETRY_MARKER]
            if not discarding:
                await send(message)

        await self.app(scope, replaying_receive, filtering_send)
        return not discarding
