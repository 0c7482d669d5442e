"""Trace context benchmark: what the W3C trace context adds to every request, in microseconds.

Run from the repository with the project's virtualenv::

    .venv/bin/python bench/trace_context.py [--number 200000]

Times the per-request work of ``kit.http``'s middleware that concerns the logs'
context, before (the request id only) and after (the request id, the parsed or new
trace context, its span id), with and without an incoming ``traceparent``; and, for
comparison, OpenTelemetry's W3C propagator extracting the same header (the API
package, which FastAPI already installs), and what the SDK adds per request when spans
are exported (the ``otel`` extra). Best of five runs; figures are for this machine.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable, Sequence

import structlog
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from croupier.kit import tracing

TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _before() -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id="4d6d8bd6faa34730b88e98a540a9b13b")


def _after(header: bytes | None) -> Callable[[], None]:
    def bind() -> None:
        trace = tracing.context_for(header)
        tracing.CURRENT.set(trace)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id="4d6d8bd6faa34730b88e98a540a9b13b", trace_id=trace.trace_id, span_id=trace.span_id
        )

    return bind


def _otel_extract() -> Callable[[], None]:
    propagator = TraceContextTextMapPropagator()
    carrier = {"traceparent": TRACEPARENT.decode()}

    def extract() -> None:
        propagator.extract(carrier)

    return extract


def _otel_span() -> Callable[[], None]:
    """What exporting costs per request: the SDK extracts, starts and ends a span, batched."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:  # noqa: ARG002 - all dropped
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard()))
    tracer = provider.get_tracer("bench")
    propagator = TraceContextTextMapPropagator()
    carrier = {"traceparent": TRACEPARENT.decode()}
    attributes = {"http.request.method": "GET", "http.route": "/healthz", "http.response.status_code": 200}

    def span() -> None:
        parent = propagator.extract(carrier)
        tracer.start_span("GET /healthz", parent, kind=trace.SpanKind.SERVER, attributes=attributes).end()

    return span


def microseconds(work: Callable[[], None], number: int) -> float:
    return min(timeit.repeat(work, number=number, repeat=5)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=200_000)
    number = parser.parse_args().number
    before = microseconds(_before, number)
    cases = [
        ("before: request id only", _before),
        ("after: incoming traceparent", _after(TRACEPARENT)),
        ("after: no traceparent (new trace)", _after(None)),
        ("parse alone: kit.tracing.context_for", lambda: tracing.context_for(TRACEPARENT) and None),
        ("for comparison: OpenTelemetry propagator.extract", _otel_extract()),
        ("exporting (otel extra): SDK extract + span + end", _otel_span()),
    ]
    for name, work in cases:
        took = before if work is _before else microseconds(work, number)
        print(f"{name:52} {took:6.2f} us")


if __name__ == "__main__":
    main()
