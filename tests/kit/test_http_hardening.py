"""What every client sees at the HTTP edge: request ids, problem documents, limits, headers, logs.

Hostile input must always be answered with a 4xx problem document, never a 500,
and a rejected request must never echo the submitted secret back.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI

from croupier.kit.logging import configure_logging
from tests.conftest import TEST_IP
from tests.factories import player_data, register, sign_in

PROBLEM_JSON = "application/problem+json"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "cross-origin-resource-policy": "same-origin",
}
MAX_BODY_BYTES = 65_536  # the Settings default, which the test settings keep


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["code"], str)
    if code is not None:
        assert body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class TestRequestId:
    async def test_is_generated_when_absent(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert GENERATED_ID.match(response.headers["x-request-id"])

    async def test_a_well_formed_one_is_echoed(self, client: httpx.AsyncClient) -> None:
        supplied = "edge-proxy.7f3a9c21_01"
        response = await client.get("/healthz", headers={"x-request-id": supplied})
        assert response.headers["x-request-id"] == supplied
        problem = await client.get("/v1/nowhere", headers={"x-request-id": supplied})
        assert problem.json()["request_id"] == supplied

    @pytest.mark.parametrize(
        "hostile",
        [
            "short",
            "x" * 65,
            "<script>alert(1)</script>",
            "id with spaces 1234",
            "../../../etc/passwd",
            "abc12345;drop table players",
            "%0d%0aSet-Cookie:%20a=b",
        ],
    )
    async def test_a_hostile_one_is_replaced(self, client: httpx.AsyncClient, hostile: str) -> None:
        response = await client.get("/v1/nowhere", headers={"x-request-id": hostile})
        echoed = response.headers["x-request-id"]
        assert echoed != hostile
        assert GENERATED_ID.match(echoed)
        assert response.json()["request_id"] == echoed
        assert hostile not in response.text

    async def test_non_ascii_bytes_are_replaced(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz", headers={b"x-request-id": b"\xff\xfe\xfd-caf\xe9-12345678"})
        assert GENERATED_ID.match(response.headers["x-request-id"])


class TestErrorsAreProblemDocuments:
    async def test_unknown_route(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/v1/no-such-thing"), 404, "not_found")

    async def test_wrong_method(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/players")
        assert_problem(response, 405, "method_not_allowed")
        assert "POST" in response.headers["allow"]

    @pytest.mark.parametrize("path", ["/v1/players", "/v1/sessions"])
    @pytest.mark.parametrize(
        "raw", [b'{"email": ', b"{'single': 'quotes'}", b"\xff\xfe{}", b'{"a": 1,}', b"null garbage"]
    )
    async def test_malformed_json(self, client: httpx.AsyncClient, path: str, raw: bytes) -> None:
        response = await client.post(path, content=raw, headers={"content-type": "application/json"})
        assert_problem(response, 400, "malformed_body")

    async def test_validation_error_lists_fields(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/players", json=player_data(email="not-an-email", country="ZZ"))
        body = assert_problem(response, 422, "validation_error")
        assert {tuple(e["loc"]) for e in body["errors"]} == {("body", "email"), ("body", "country")}

    @pytest.mark.parametrize(
        "secret_field",
        [
            pytest.param({"password": "Marker-Secret-Value-0451"}, id="valid-password-other-field-invalid"),
            pytest.param({"password": "Marker-Secret-Value-0451" * 50}, id="password-too-long"),
            pytest.param({"password": ["Marker-Secret-Value-0451"]}, id="password-wrong-type"),
            pytest.param({"password": {"x": "Marker-Secret-Value-0451"}}, id="password-object"),
        ],
    )
    async def test_validation_errors_never_echo_the_password(
        self, client: httpx.AsyncClient, secret_field: dict[str, Any]
    ) -> None:
        players = await client.post("/v1/players", json={**player_data(country="??"), **secret_field})
        sessions = await client.post("/v1/sessions", json={"email": "nope", **secret_field})
        for response in (players, sessions):
            assert_problem(response, 422, "validation_error")
            assert "Marker-Secret-Value-0451" not in response.text
            assert "input" not in json.dumps(response.json()["errors"])


class TestBodyLimit:
    async def test_declared_length_over_the_limit(self, client: httpx.AsyncClient) -> None:
        body = json.dumps(player_data(first_name="A" * (MAX_BODY_BYTES + 1))).encode()
        response = await client.post(
            "/v1/players", content=body, headers={"content-type": "application/json"}
        )
        assert_problem(response, 413, "payload_too_large")

    async def test_chunked_body_over_the_limit(self, client: httpx.AsyncClient) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"email": "'
            for _ in range(MAX_BODY_BYTES // 8192 + 2):
                yield b"a" * 8192
            yield b'"}'

        response = await client.post(
            "/v1/players", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert_problem(response, 413, "payload_too_large")

    async def test_a_body_just_under_the_limit_reaches_validation(self, client: httpx.AsyncClient) -> None:
        data = player_data()
        data["first_name"] = "A" * (MAX_BODY_BYTES - len(json.dumps(data)) - 100)
        response = await client.post("/v1/players", json=data)
        assert_problem(response, 422, "validation_error")


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# Raw JSON fragments, spliced into an otherwise valid body in place of one field's value.
HOSTILE_VALUES: dict[str, str] = {
    "nul": json.dumps("long enough\x00value"),
    "only-nul": json.dumps("\x00"),
    "control": json.dumps("long enough\x1b[31mvalue\x07"),
    "newline": json.dumps("long enough\r\nSet-Cookie: x=y"),
    "bidi-override": json.dumps("long enough\u202egnp.exe"),
    "zero-width": json.dumps("\u200b\u200b\u200b"),
    "huge-string": json.dumps("A" * 60_000),
    "deeply-nested": _deep(5_000),
    "nested-object": '{"a": ' * 200 + "1" + "}" * 200,
    "empty": '""',
    "whitespace": '"   "',
    "null": "null",
    "true": "true",
    "zero": "0",
    "negative": "-1",
    "float": "1e308",
    "huge-int": "9" * 5_000,
    "list": '["a", "b"]',
    "object": '{"$ne": null}',
    "sql": json.dumps("' OR 1=1; --"),
    "lone-surrogate": '"\\ud800abcdefgh"',
}
# Values that are legitimate for a field: they must merely not cause a 5xx.
VALID_FOR: dict[str, set[str]] = {
    "password": {"sql", "bidi-override"},  # passwords may use any Unicode text (ASVS, NIST 800-63B)
    "first_name": {"sql"},  # O'Brien; names are stored encrypted, never interpolated
    "last_name": {"sql"},
    "otp": {"null"},  # optional fields
    "recovery_code": {"null"},
}
# Hostile values the fields below must refuse, tested one by one.
REFUSED_VALUES: dict[str, set[str]] = {
    "password": {"nul", "control", "newline"},
    "date_of_birth": {"zero"},
}
PLAYER_FIELDS = ["email", "password", "first_name", "last_name", "date_of_birth", "country"]
SIGN_IN_FIELDS = ["email", "password", "otp", "recovery_code"]


def _splice(base: dict[str, Any], field: str, raw_value: str) -> bytes:
    placeholder = "__HOSTILE_VALUE__"
    text = json.dumps({**base, field: placeholder})
    return text.replace(json.dumps(placeholder), raw_value).encode()


async def _assert_all_rejected(
    client: httpx.AsyncClient, path: str, base: Callable[[], dict[str, Any]], field: str
) -> None:
    failures = []
    for name, raw in HOSTILE_VALUES.items():
        body = _splice(base(), field, raw)
        response = await client.post(path, content=body, headers={"content-type": "application/json"})
        if name in VALID_FOR.get(field, set()):
            ok = response.status_code < 400 or response.headers["content-type"] == PROBLEM_JSON
            ok = ok and response.status_code < 500
        else:
            ok = 400 <= response.status_code < 500 and response.headers["content-type"] == PROBLEM_JSON
        if not ok:
            failures.append(f"{field}={name}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)


class TestHostileFields:
    @pytest.mark.parametrize("field", PLAYER_FIELDS)
    async def test_registration(self, client: httpx.AsyncClient, field: str) -> None:
        await _assert_all_rejected(client, "/v1/players", player_data, field)

    @pytest.mark.parametrize("field", SIGN_IN_FIELDS)
    async def test_sign_in(self, client: httpx.AsyncClient, field: str) -> None:
        _, data = await register(client)
        base = {"email": data["email"], "password": data["password"], "otp": None, "recovery_code": None}
        await _assert_all_rejected(client, "/v1/sessions", lambda: base, field)

    @pytest.mark.parametrize("path", ["/v1/players", "/v1/sessions"])
    async def test_unknown_fields_and_non_objects(self, client: httpx.AsyncClient, path: str) -> None:
        bodies = [
            {**player_data(), "is_admin": True},
            [],
            "string",
            42,
            None,
        ]
        for body in bodies:
            response = await client.post(path, json=body)
            assert 400 <= response.status_code < 500, (body, response.text)
            assert response.headers["content-type"] == PROBLEM_JSON

    @pytest.mark.parametrize("name", sorted(REFUSED_VALUES["password"]))
    async def test_control_characters_in_passwords_are_refused(
        self, client: httpx.AsyncClient, name: str
    ) -> None:
        body = _splice(player_data(), "password", HOSTILE_VALUES[name])
        response = await client.post(
            "/v1/players", content=body, headers={"content-type": "application/json"}
        )
        assert_problem(response, 422)

    async def test_date_of_birth_must_be_a_date_string(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/players", json=player_data(date_of_birth=0))
        assert_problem(response, 422, "validation_error")


class TestSecurityHeaders:
    @pytest.mark.parametrize(
        ("method", "path", "status"),
        [
            ("GET", "/healthz", 200),
            ("GET", "/v1/nowhere", 404),
            ("GET", "/v1/me", 401),
            ("PUT", "/healthz", 405),
        ],
    )
    async def test_present_on_every_response(
        self, client: httpx.AsyncClient, method: str, path: str, status: int
    ) -> None:
        response = await client.request(method, path)
        assert response.status_code == status
        for name, expected in SECURITY_HEADERS.items():
            assert response.headers.get(name) == expected, name
        assert "server" not in response.headers

    async def test_present_on_an_early_413(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v1/players", content=b"x" * (MAX_BODY_BYTES + 1), headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        for name, expected in SECURITY_HEADERS.items():
            assert response.headers.get(name) == expected, name

    async def test_hsts_only_over_https(self, app: FastAPI) -> None:
        transport = httpx.ASGITransport(app=app, client=(TEST_IP, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as https:
            secure = await https.get("/healthz")
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            plain = await http.get("/healthz")
        assert secure.headers["strict-transport-security"].startswith("max-age=")
        assert "strict-transport-security" not in plain.headers


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put structlog and the root logger back as they were, whatever the test configured."""
    saved = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        yield
    finally:
        structlog.configure(**saved)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


class TestJsonLogs:
    @pytest.mark.usefixtures("restore_logging")
    async def test_every_line_is_json_with_the_request_id(
        self, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # Configured here rather than in a fixture: the logger binds the sys.stderr of the
        # moment, and pytest-asyncio gives the test body a different capture stream.
        configure_logging("info")
        capsys.readouterr()
        request_id = "trace-logs-0001"
        _, data = await register(client)
        response = await sign_in(client, data["email"], headers={"x-request-id": request_id})
        assert response.status_code == 201
        token = response.json()["token"]
        await client.get("/v1/no-such-route", headers={"x-request-id": "trace-logs-0002"})

        err = capsys.readouterr().err
        events = [json.loads(line) for line in err.splitlines() if line.strip()]
        assert events, "nothing was logged"
        mine = [e for e in events if e.get("request_id") == request_id]
        assert any(e["event"] == "http_request" and e["route"] == "/v1/sessions" for e in mine), mine
        access = next(e for e in mine if e["event"] == "http_request")
        assert access["status"] == 201
        assert access["level"] == "info"
        assert "timestamp" in access
        assert any(e.get("request_id") == "trace-logs-0002" and e.get("status") == 404 for e in events)
        # Neither the password nor the new session token may reach the logs.
        assert data["password"] not in err
        assert token not in err
