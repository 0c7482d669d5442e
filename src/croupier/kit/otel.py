"""Optional OTLP export: one server span per request, with the ids the logs and providers see.

Only imported when ``CROUPIER_OTEL_EXPORTER_OTLP_ENDPOINT`` (or the standard
``OTEL_EXPORTER_OTLP_ENDPOINT``) is set, and then needs the ``otel`` extra
(``pip install 'croupier[otel]'``). The middleware keeps its own trace context
(``kit.tracing``); the SDK is handed the finished request, with the span id the request
already used, so exported spans, log lines and provider calls agree. The SDK's sampler
follows the caller's decision (parent-based); traces started here are sampled.
"""

from __future__ import annotations

import random

from opentelemetry import trace as otel_trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator

from croupier.kit.tracing import TraceContext


class _GivenIds(IdGenerator):
    """Hands the SDK the ids of the request being recorded (set just before each span starts)."""

    def __init__(self) -> None:
        self.trace: TraceContext | None = None

    def generate_span_id(self) -> int:
        if self.trace is None:
            return random.getrandbits(64)  # nosec B311 - not a secret; only outside a request
        return int(self.trace.span_id, 16)

    def generate_trace_id(self) -> int:
        if self.trace is None:
            return random.getrandbits(128)  # nosec B311
        return int(self.trace.trace_id, 16)


class OtlpRecorder:
    """Spans to an OTLP/HTTP collector, batched on the SDK's thread."""

    def __init__(self, endpoint: str, *, version: str) -> None:
        self._ids = _GivenIds()
        self._provider = TracerProvider(
            resource=Resource.create({"service.name": "croupier", "service.version": version}),
            id_generator=self._ids,
        )
        exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
        self._provider.add_span_processor(BatchSpanProcessor(exporter))
        self._tracer = self._provider.get_tracer("croupier.http")

    def record(
        self, trace: TraceContext, *, name: str, start_ns: int, end_ns: int, attributes: dict[str, str | int]
    ) -> None:
        parent = None
        if trace.parent_id is not None:
            caller = otel_trace.SpanContext(
                trace_id=int(trace.trace_id, 16),
                span_id=int(trace.parent_id, 16),
                is_remote=True,
                trace_flags=otel_trace.TraceFlags(int(trace.flags, 16)),
            )
            parent = otel_trace.set_span_in_context(otel_trace.NonRecordingSpan(caller))
        # No await between these lines: no other request can take the ids in between.
        self._ids.trace = trace
        try:
            span = self._tracer.start_span(
                name,
                context=parent,
                kind=otel_trace.SpanKind.SERVER,
                attributes=attributes,
                start_time=start_ns,
            )
        finally:
            self._ids.trace = None
        if (
            isinstance(attributes.get("http.response.status_code"), int)
            and int(attributes["http.response.status_code"]) >= 500
        ):
            span.set_status(otel_trace.StatusCode.ERROR)
        span.end(end_time=end_ns)

    def shutdown(self) -> None:
        """Send what is batched and stop (blocks: the collector is called)."""
        self._provider.shutdown()
