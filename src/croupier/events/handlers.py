"""The registry of event handlers: who consumes the outbox, under which name.

A handler is ``async def handle(session, event) -> None``. It runs inside the
transaction that records the event as processed for its name, so whatever it
writes commits exactly when the event counts as handled: a redelivered event
(after a crash, a timeout, a failed commit) finds its receipt and is skipped.
A handler that raises rolls back its own writes; the event is delivered again
later, and the player's later events wait for it (order per player).

The name is the consumer's durable identity (its position in the outbox, its
JetStream durable consumer): renaming a handler starts it from the beginning.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.models import DomainEvent

Handler = Callable[[AsyncSession, DomainEvent], Awaitable[None]]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,47}$")
_REGISTRY: dict[str, Handler] = {}


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


def load(specs: Iterable[str]) -> None:
    """Register handlers named in settings, each ``NAME=module:function``."""
    for spec in specs:
        name, sep, target = spec.partition("=")
        module_name, colon, attribute = target.partition(":")
        if not (sep and colon and module_name and attribute):
            raise ValueError(f"a handler is NAME=module:function, not {spec!r}")
        handler = getattr(importlib.import_module(module_name), attribute)
        if not callable(handler):
            raise TypeError(f"{target} is not callable")
        register(name.strip(), handler)
