"""Tokenization (the browser's call) and token look-ups (the server's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.psp_sandbox import PspSandbox

NEXT_YEAR = dt.datetime.now(dt.UTC).year + 1


def card(**overrides: Any) -> dict[str, Any]:
    return {"number": "4242424242424242", "exp_month": 12, "exp_year": NEXT_YEAR, "cvc": "123", **overrides}


async def test_tokenize_returns_a_token_without_the_number(psp: PspSandbox) -> None:
    async with psp.client(authenticated=False) as http:
        response = await http.post(
            "/v1/tokens", json=card(number="4242 4242 4242 4242", holder_name="A Player")
        )
    assert response.status_code == 201
    token = response.json()
    assert token["token"].startswith("tok_")
    assert token["brand"] == "visa"
    assert token["bin"] == "424242"
    assert token["last4"] == "4242"
    assert (token["exp_month"], token["exp_year"]) == (12, NEXT_YEAR)
    assert len(token["fingerprint"]) == 64
    int(token["fingerprint"], 16)
    assert dt.datetime.fromisoformat(token["created_at"]).utcoffset() == dt.timedelta(0)
    assert set(token) == {
        "token",
        "brand",
        "bin",
        "last4",
        "exp_month",
        "exp_year",
        "fingerprint",
        "created_at",
    }
    assert "4242424242424242" not in response.text
    assert "123" not in token.values(), "the security code came back"


async def test_fingerprint_is_stable_per_card(psp: PspSandbox) -> None:
    first = await psp.tokenize("4242424242424242")
    again = await psp.tokenize("4242-4242-4242-4242", exp_month=1)
    other = await psp.tokenize("5555555555554444")
    assert first["token"] != again["token"]
    assert first["fingerprint"] == again["fingerprint"]
    assert other["fingerprint"] != first["fingerprint"]
    assert other["brand"] == "mastercard"
    assert (await psp.tokenize("378282246310005", cvc="1234"))["brand"] == "amex"
    assert (await psp.tokenize("6011111111111117"))["brand"] == "discover"
    assert (await psp.tokenize("3530111333300000"))["brand"] == "unknown"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"number": "4242424242424241"}, "invalid_card_number"),
        ({"number": "424242424242"}, "invalid_card_number"),
        ({"number": "42424242424242424242"}, "invalid_card_number"),
        ({"number": "4242 abcd 4242 4242"}, "invalid_card_number"),
        ({"exp_year": 2001}, "card_expired"),
        ({"cvc": "12"}, "invalid_cvc"),
        ({"cvc": "12345"}, "invalid_cvc"),
        ({"cvc": "abc"}, "invalid_cvc"),
    ],
)
async def test_card_errors(psp: PspSandbox, overrides: dict[str, Any], code: str) -> None:
    async with psp.client(authenticated=False) as http:
        response = await http.post("/v1/tokens", json=card(**overrides))
    assert response.status_code == 422
    assert response.json()["error"] == code
    assert set(response.json()) == {"error", "message"}


async def test_expired_last_month_but_good_this_month(psp: PspSandbox) -> None:
    today = dt.datetime.now(dt.UTC)
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).date()
    async with psp.client(authenticated=False) as http:
        current = await http.post("/v1/tokens", json=card(exp_month=today.month, exp_year=today.year))
        past = await http.post("/v1/tokens", json=card(exp_month=last_month.month, exp_year=last_month.year))
    assert current.status_code == 201
    assert past.status_code == 422
    assert past.json()["error"] == "card_expired"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"number": "4242424242424242"},
        card(number=4242424242424242),
        card(exp_month=13),
        card(exp_month=0),
        card(exp_month="12"),
        card(exp_month=True),
        card(exp_year=99),
        card(cvc=123),
        card(number="4" * 100),
        card(unexpected="field"),
        {**card(), "4242424242424242": "x"},
        {"4242424242424242": card()},
        [],
        "4242424242424242",
    ],
)
async def test_malformed_requests_are_422_and_never_echo_the_card(psp: PspSandbox, body: Any) -> None:
    async with psp.client(authenticated=False) as http:
        response = await http.post("/v1/tokens", json=body)
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    assert "4242424242424242" not in response.text
    assert "4444" not in response.text


async def test_not_json_is_422(psp: PspSandbox) -> None:
    async with psp.client(authenticated=False) as http:
        garbage = await http.post(
            "/v1/tokens", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        form = await http.post("/v1/tokens", data={"number": "4242424242424242"})
        binary = await http.post(
            "/v1/tokens", content=b"\xff\xfe\x00", headers={"Content-Type": "application/json"}
        )
    for response in (garbage, form, binary):
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "invalid_request"


async def test_get_token_needs_the_api_key(psp: PspSandbox) -> None:
    token = await psp.tokenize("5555555555554444")
    async with psp.client() as http:
        found = await http.get(f"/v1/tokens/{token['token']}")
        missing = await http.get("/v1/tokens/tok_nope")
    async with psp.client(authenticated=False) as http:
        anonymous = await http.get(f"/v1/tokens/{token['token']}")
    assert found.status_code == 200
    assert found.json() == token
    assert missing.status_code == 404
    assert missing.json()["error"] == "no_such_token"
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "unauthorized"


async def test_health_unknown_routes_and_methods(psp: PspSandbox) -> None:
    async with psp.client(authenticated=False) as http:
        health = await http.get("/healthz")
        unknown = await http.get("/v1/nothing-here")
        wrong_method = await http.delete("/v1/tokens")
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "method_not_allowed"


async def test_browsers_on_another_origin_may_tokenize(psp: PspSandbox) -> None:
    async with psp.client(authenticated=False) as http:
        preflight = await http.options(
            "/v1/tokens",
            headers={
                "Origin": "https://casino.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
