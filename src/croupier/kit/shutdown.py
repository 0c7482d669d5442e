"""Graceful shutdown: on SIGTERM a node first says it is not ready, then stops.

A load balancer only stops sending a node requests once its readiness probe fails,
which takes a few probe intervals. So SIGTERM does not stop the server at once: it
starts a *drain* (``/readyz`` answers 503 ``shutting_down`` while every request is
still served) of ``CROUPIER_SHUTDOWN_DRAIN_SECONDS``, and only then hands the signal
to uvicorn, which stops accepting connections, lets in-flight requests finish (within
``CROUPIER_SHUTDOWN_TIMEOUT_SECONDS``) and runs the app's shutdown (background work).

The drain is installed by the app's lifespan, after uvicorn has installed its own
handler: it wraps that handler rather than replacing uvicorn's server class, which
uvicorn's worker supervisor would not let us choose.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import structlog

_log = structlog.get_logger("croupier.shutdown")


class Drain:
    """Whether this process has been asked to stop (and since when)."""

    def __init__(self) -> None:
        self.started_at: float | None = None

    @property
    def started(self) -> bool:
        return self.started_at is not None

    def begin(self) -> None:
        if self.started_at is None:
            self.started_at = time.monotonic()


@contextmanager
def drain_on_sigterm(drain: Drain, seconds: float) -> Iterator[None]:
    """While open, SIGTERM starts ``drain`` and passes the signal on ``seconds`` later.

    Passed on to the handler found installed (uvicorn's ``handle_exit``). A SIGTERM
    during the drain changes nothing (a process manager may signal every process of
    the group, and the supervisor signals its workers too); SIGINT still stops at once.
    """
    passed_on = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or not callable(passed_on):
        yield  # not serving from a main loop that owns the signals (tests, embedded use)
        return
    loop = asyncio.get_running_loop()
    hand_over: Callable[[int, FrameType | None], Any] = passed_on

    def stop() -> None:
        _log.info("shutdown_drain_over")
        hand_over(signal.SIGTERM, None)

    def start_draining() -> None:
        _log.info("shutdown_drain_started", seconds=seconds)
        loop.call_later(seconds, stop)

    def on_sigterm(_signum: int, _frame: FrameType | None) -> None:
        if drain.started:
            return
        drain.begin()
        # A signal handler may interrupt the loop anywhere: only the thread-safe call is safe here.
        loop.call_soon_threadsafe(start_draining)

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, passed_on)
