"""The registry of event handlers: who consumes the outbox, under which name.

A handler is ``async def handle(session, event) -> None``. It runs inside the
transaction that records the event as processed for its name, so whatever it
writes commits exactly when the event counts as handled: a redelivered event
(after a crash, a timeout, a failed commit) finds its receipt and is skipped.
A handler that raises rolls back its own writes; the event is delivered again
later, and the player's later events wait for it (order per player). A handler
never commits, and may be called more than once for one event (a batch is run
again when one of its events fails): only what it writes in the session counts.
A new name starts from the first event in the outbox.

The name is the consumer's durable identity (its position in the outbox, its
JetStream durable consumer).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.models import DomainEvent
from croupier.kit.errors import CroupierError

Handler = Callable[[AsyncSession, DomainEvent], Awaitable[None]]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,47}$")
_REGISTRY: dict[str, Handler] = {}

# The handlers every delivering process registers (serve, risk worker), as NAME=module:function:
# named, not imported, so that events (a layer below the domains) imports none of them.
BUILTIN: tuple[str, ...] = ("risk=croupier.risk.consumer:handle_event",)


class HandlerNameTaken(ValueError):
    pass


def register(name: str, handler: Handler) -> None:
    """Deliver every domain event to ``handler`` under ``name`` (lower-case letters, digits, - and _)."""
    if not _NAME.match(name):
        raise ValueError(f"a handler name is lower-case letters, digits, '-' and '_': {name!r}")
    if _REGISTRY.get(name, handler) is not handler:
        raise HandlerNameTaken(f"another handler is registered as {name!r}")
    _REGISTRY[name] = handler


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered() -> dict[str, Handler]:
    """The handlers by name, as they stand now (a copy)."""
    return dict(_REGISTRY)


class HandlerSpecInvalid(CroupierError):
    code = "event_handler_invalid"
    status = 500
    title = "An event handler setting is invalid"


def load(specs: Iterable[str]) -> None:
    """Register handlers named in settings, each ``NAME=module:function``."""
    for spec in specs:
        name, sep, target = spec.partition("=")
        module_name, colon, attribute = target.partition(":")
        if not (sep and colon and module_name and attribute):
            raise HandlerSpecInvalid(f"an event handler is NAME=module:function, not {spec!r}")
        try:
            handler = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise HandlerSpecInvalid(f"event handler {target!r} cannot be loaded: {exc}") from None
        if not callable(handler):
            raise HandlerSpecInvalid(f"event handler {target!r} is not callable")
        try:
            register(name.strip(), handler)
        except ValueError as exc:
            raise HandlerSpecInvalid(str(exc)) from None


def load_builtin() -> None:
    load(BUILTIN)
