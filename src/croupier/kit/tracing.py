"""W3C Trace Context (https://www.w3.org/TR/trace-context/): one trace across Croupier and its providers.

A request's ``traceparent`` is continued when it is well formed, and a new trace is
started when it is missing or not; the request gets a span id of its own. Both ids are
bound to the logs (``kit.http``), and every call to a provider carries ``traceparent``
with the same trace id and this request's span as the parent (``propagate``, an httpx
request hook). Parsing and formatting are a regular expression and two random ids:
the bet path pays well under a microsecond for them (see the runbook's figures).
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from dataclasses import dataclass

import httpx

# version-traceid-parentid-flags, lowercase hex; a future version may append fields.
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
# Not sampled: nothing here records spans; a caller's own decision is passed on unchanged.
_NOT_SAMPLED = "00"


@dataclass(frozen=True, slots=True)
class TraceContext:
    trace_id: str
    span_id: str
    flags: str

    def traceparent(self) -> str:
        """The header for a call made on behalf of this span: same trace, this span as parent."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def parse_traceparent(value: str) -> tuple[str, str] | None:
    """The (trace id, flags) of a valid ``traceparent``, else None."""
    match = _TRACEPARENT.fullmatch(value)
    if match is None:
        return None
    version, trace_id, parent_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest is not None):
        return None
    if trace_id == _ZERO_TRACE or parent_id == _ZERO_SPAN:
        return None
    return trace_id, flags


def new_span_id() -> str:
    return os.urandom(8).hex()


def context_for(traceparent: bytes | None) -> TraceContext:
    """This request's context: the caller's trace continued, or a new one, with a new span id."""
    if traceparent:
        parsed = parse_traceparent(traceparent.decode("latin-1").strip())
        if parsed is not None:
            return TraceContext(parsed[0], new_span_id(), parsed[1])
    return TraceContext(os.urandom(16).hex(), new_span_id(), _NOT_SAMPLED)


CURRENT: ContextVar[TraceContext | None] = ContextVar("croupier_trace", default=None)


async def propagate(request: httpx.Request) -> None:
    """httpx request hook: pass the current trace on to the provider being called."""
    current = CURRENT.get()
    if current is not None:
        request.headers["traceparent"] = current.traceparent()
