"""W3C Trace Context (https://www.w3.org/TR/trace-context/): one trace across Croupier and its providers.

A request's ``traceparent`` is continued when it is well formed, and a new trace is
started when it is missing or not; the request gets a span id of its own. Both ids are
bound to the logs (``kit.http``), and every call to a provider carries ``traceparent``
with the same trace id and this request's span as the parent (``propagate``, an httpx
request hook). Parsing and formatting are a regular expression and two random ids:
a request pays 1-4 microseconds for them (``bench/trace_context.py``).
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

import httpx

# version-traceid-parentid-flags, lowercase hex; a future version may append fields.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
# A trace started here is sampled only when spans are exported; a caller's decision is kept.
_NOT_SAMPLED = "00"
_SAMPLED = "01"


@dataclass(frozen=True, slots=True)
class TraceContext:
    trace_id: str
    span_id: str
    flags: str
    # The caller's span, when the trace was continued.
    parent_id: str | None = None

    def traceparent(self) -> str:
        """The header for a call made on behalf of this span: same trace, this span as parent."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def parse_traceparent(value: str) -> tuple[str, str, str] | None:
    """The (trace id, parent id, flags) of a valid ``traceparent``, else None."""
    match = _TRACEPARENT.fullmatch(value)
    if match is None:
        return None
    version, trace_id, parent_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return trace_id, parent_id, flags


def new_span_id() -> str:
    return os.urandom(8).hex()


def context_for(traceparent: bytes | None) -> TraceContext:
    """This request's context: the caller's trace continued, or a new one, with a new span id."""
    if traceparent:
        parsed = parse_traceparent(traceparent.decode("latin-1").strip())
        if parsed is not None:
            trace_id, parent_id, flags = parsed
            return TraceContext(trace_id, new_span_id(), flags, parent_id)
    return TraceContext(os.urandom(16).hex(), new_span_id(), _new_trace_flags)


CURRENT: ContextVar[TraceContext | None] = ContextVar("croupier_trace", default=None)


class SpanRecorder(Protocol):
    """Where a finished request's span goes when spans are exported (``kit.otel``)."""

    def record(
        self, trace: TraceContext, *, name: str, start_ns: int, end_ns: int, attributes: dict[str, str | int]
    ) -> None: ...


# Set while a process exports spans; None (the default) costs the middleware one comparison.
RECORDER: SpanRecorder | None = None
_new_trace_flags = _NOT_SAMPLED


def start_recording(recorder: SpanRecorder) -> None:
    """Export every request's span from now on; traces started here are then marked sampled."""
    global RECORDER, _new_trace_flags
    RECORDER, _new_trace_flags = recorder, _SAMPLED


def stop_recording() -> None:
    global RECORDER, _new_trace_flags
    RECORDER, _new_trace_flags = None, _NOT_SAMPLED


async def propagate(request: httpx.Request) -> None:
    """httpx request hook: pass the current trace on to the provider being called."""
    current = CURRENT.get()
    if current is not None:
        request.headers["traceparent"] = current.traceparent()
