"""OTLP export (CROUPIER_OTEL_EXPORTER_OTLP_ENDPOINT): a request's span reaches a collector with its ids.

The collector is a small HTTP server in the test that decodes OTLP/HTTP protobuf.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.types import Receive, Scope, Send

from croupier.kit import tracing
from tests.conftest import make_settings
from tests.log_capture import capture_json_logs, json_lines, json_logs
from tests.payments.support import serve
from tests.psp_sandbox import serve_asgi

__all__ = ["json_logs"]  # the fixture

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@dataclass
class Collector:
    spans: list[dict[str, object]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/v1/traces":
            request = ExportTraceServiceRequest.FromString(body)
            for resource_spans in request.resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(
                            {
                                "name": span.name,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_id": span.parent_span_id.hex(),
                                "attributes": {
                                    a.key: a.value.int_value or a.value.string_value for a in span.attributes
                                },
                            }
                        )
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def collector() -> AsyncIterator[tuple[Collector, str]]:
    received = Collector()
    async with serve_asgi(received) as base_url:
        yield received, base_url


async def test_each_request_is_exported_as_a_span_in_the_callers_trace(
    collector: tuple[Collector, str],
    database_url: str,
    keyring_json: str,
    tmp_path: Path,
    json_logs: pytest.CaptureFixture[str],
) -> None:
    received, endpoint = collector
    capture_json_logs(json_logs)
    settings = make_settings(database_url, keyring_json, tmp_path, otel_exporter_otlp_endpoint=endpoint)
    async for _, base_url in serve(settings):
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            sampled = await http.get("/healthz", headers={"traceparent": f"00-{TRACE_ID}-{CALLER_SPAN}-01"})
            unsampled_trace = "0af7651916cd43dd8448eb211c80319c"
            await http.get("/healthz", headers={"traceparent": f"00-{unsampled_trace}-{CALLER_SPAN}-00"})
            await http.get("/healthz")  # a trace started here
        assert sampled.status_code == 200
    # The app's shutdown sent what was batched.
    assert tracing.RECORDER is None

    by_trace = {span["trace_id"]: span for span in received.spans}
    span = by_trace[TRACE_ID]
    assert span["name"] == "GET /healthz"
    assert span["parent_id"] == CALLER_SPAN
    assert span["span_id"] != CALLER_SPAN
    assert span["attributes"] == {
        "http.request.method": "GET",
        "http.route": "/healthz",
        "http.response.status_code": 200,
    }
    # The span the logs name: exported spans, log lines and provider calls agree.
    text, lines = json_lines(json_logs)
    [logged] = [
        line for line in lines if line.get("trace_id") == TRACE_ID and line["event"] == "http_request"
    ]
    assert logged["span_id"] == span["span_id"], text
    # The caller's "not sampled" is kept; a trace started here is sampled.
    assert unsampled_trace not in by_trace
    started_here = [s for s in received.spans if s["trace_id"] not in {TRACE_ID, unsampled_trace}]
    assert [s["parent_id"] for s in started_here] == [""], received.spans
