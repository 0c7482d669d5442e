"""W3C Trace Context: a caller's trace reaches the logs and the payment provider; a bad one never does."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from croupier.kit.tracing import CURRENT, context_for, parse_traceparent, propagate
from tests.log_capture import capture_json_logs, json_lines, json_logs
from tests.payments.support import VISA, Live, live

# The fixtures: Croupier on a real socket next to the sandbox PSP; its JSON logs captured.
__all__ = ["json_logs", "live"]

TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INCOMING = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


async def _deposit(live: Live, traceparent: str) -> str:
    """A card deposit sent with ``traceparent`` and a request id of the test's; that id."""
    player = await live.player()
    token = (await live.psp.tokenize(VISA))["token"]
    request_id = uuid.uuid4().hex
    headers = {
        **player.headers,
        "Idempotency-Key": str(uuid.uuid4()),
        "traceparent": traceparent,
        "X-Request-Id": request_id,
    }
    body = {"amount": 1_000, "currency": "EUR", "payment_token": token}
    response = await live.http.post("/v1/deposits", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return request_id


async def _payment_calls_in(live: Live, trace_id: str) -> list[dict[str, Any]]:
    """The payment requests the sandbox PSP received in trace ``trace_id``."""
    return [
        call
        for call in await live.psp.calls()
        if (call["method"], call["path"]) == ("POST", "/v1/payments")
        and (call["traceparent"] or "").split("-")[1:2] == [trace_id]
    ]


async def test_a_callers_trace_reaches_the_logs_and_the_payment_provider(
    live: Live, json_logs: pytest.CaptureFixture[str]
) -> None:
    capture_json_logs(json_logs)
    request_id = await _deposit(live, INCOMING)
    text, lines = json_lines(json_logs)

    payment = await _payment_calls_in(live, TRACE_ID)
    assert len(payment) == 1, await live.psp.calls()
    sent = TRACEPARENT.fullmatch(payment[0]["traceparent"])
    assert sent is not None, payment
    assert sent.group(1) == TRACE_ID  # the same trace
    assert sent.group(2) != "00f067aa0ba902b7"  # with this request's span as the parent
    assert sent.group(3) == "01"  # and the caller's sampling decision

    of_request = [line for line in lines if line.get("request_id") == request_id]
    assert any(line["event"] == "http_request" for line in of_request), text
    assert all(line["trace_id"] == TRACE_ID for line in of_request), of_request
    assert {line["span_id"] for line in of_request} == {sent.group(2)}


@pytest.mark.parametrize(
    "malformed",
    [
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",  # uppercase
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        f"00-{TRACE_ID}-00f067aa0ba902b7-01-extra",  # version 00 has exactly four fields
    ],
)
async def test_a_malformed_traceparent_starts_a_new_trace_and_is_never_logged(
    live: Live, json_logs: pytest.CaptureFixture[str], malformed: str
) -> None:
    capture_json_logs(json_logs)
    request_id = await _deposit(live, malformed)
    text, lines = json_lines(json_logs)

    of_request = [line for line in lines if line.get("request_id") == request_id]
    assert of_request, text
    [trace_id] = {line["trace_id"] for line in of_request}
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    assert trace_id != TRACE_ID
    # The provider was called in that new trace, with a well-formed header.
    [payment] = await _payment_calls_in(live, trace_id)
    assert TRACEPARENT.fullmatch(payment["traceparent"]), payment
    assert TRACE_ID not in text.lower()
    assert malformed not in text


@pytest.mark.parametrize(
    ("header", "valid"),
    [
        (INCOMING, True),
        (f"00-{TRACE_ID}-00f067aa0ba902b7-00", True),
        (f"01-{TRACE_ID}-00f067aa0ba902b7-01-future-field", True),  # a later version may add fields
        (f"00-{TRACE_ID}-00f067aa0ba902b7-01 ", False),
        (f"00-{TRACE_ID}-0000000000000000-01", False),  # all-zero parent id
        (f"ff-{TRACE_ID}-00f067aa0ba902b7-01", False),  # the forbidden version
        (f"00-{TRACE_ID}-00f067aa0ba902b7", False),  # no flags
        (f"00-{TRACE_ID}-00f067aa0ba902b7-zz", False),
        (f"00-{TRACE_ID}-00f067aa0ba902b7-01\nx", False),
        (f"0-{TRACE_ID}-00f067aa0ba902b7-01", False),
        (f"00-{TRACE_ID[:-1]}-00f067aa0ba902b7-01", False),
        ("", False),
    ],
)
def test_traceparent_parsing_follows_the_w3c_format(header: str, valid: bool) -> None:
    assert (parse_traceparent(header) is not None) is valid


def test_each_request_gets_a_span_of_its_own_in_the_callers_trace() -> None:
    first, second = context_for(INCOMING.encode()), context_for(INCOMING.encode())
    assert first.trace_id == second.trace_id == TRACE_ID
    assert first.span_id != second.span_id
    assert TRACEPARENT.fullmatch(first.traceparent())
    fresh = context_for(None)
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.trace_id)
    assert fresh.trace_id != TRACE_ID


async def test_provider_calls_carry_the_trace_only_from_inside_a_request() -> None:
    inside = context_for(INCOMING.encode())
    token = CURRENT.set(inside)
    try:
        request = httpx.Request("POST", "https://register.example/v2")
        await propagate(request)
        assert request.headers["traceparent"] == f"00-{TRACE_ID}-{inside.span_id}-01"
    finally:
        CURRENT.reset(token)
    outside = httpx.Request("POST", "https://register.example/v2")
    await propagate(outside)  # a relay or a job: no request, no trace to pass on
    assert "traceparent" not in outside.headers
