"""What ``/openapi.json`` promises a client, checked against the rules the server enforces in code:
the ``Idempotency-Key`` header is required wherever an endpoint takes it, paginated lists say
what their page parameter is, and "exactly one factor" bodies say so in their schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from croupier.kit.idempotency import idempotency_key
from tests.route_walk import api_routes


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def _takes_the_key(dependant: Dependant) -> bool:
    return any(d.call is idempotency_key or _takes_the_key(d) for d in dependant.dependencies)


def _operations_taking_the_key(app: FastAPI) -> Iterator[tuple[str, str]]:
    for path, route in api_routes(app):
        if route.include_in_schema and _takes_the_key(route.dependant):
            for method in route.methods:
                yield method.lower(), path


class TestIdempotencyKey:
    async def test_is_required_wherever_an_endpoint_takes_it(
        self, app: FastAPI, document: dict[str, Any]
    ) -> None:
        taking = sorted(_operations_taking_the_key(app))
        assert ("post", "/v1/games/{game}/rounds") in taking
        assert ("post", "/v1/rounds/{round_id}/actions") in taking
        assert ("post", "/v1/deposits") in taking
        for method, path in taking:
            [header] = [
                p
                for p in document["paths"][path][method]["parameters"]
                if p["in"] == "header" and p["name"] == "Idempotency-Key"
            ]
            assert header["required"] is True, (method, path)
            assert header["schema"]["type"] == "string"
            assert header["schema"]["maxLength"] == 255
            assert (
                "`idempotency_key_required`"
                in document["paths"][path][method]["responses"]["400"]["description"]
            )


class TestPagination:
    def _parameter(self, document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
        [found] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
        return found

    async def test_the_transaction_cursor_is_described_as_opaque(self, document: dict[str, Any]) -> None:
        cursor = self._parameter(document, "/v1/wallet/transactions", "cursor")
        assert cursor["required"] is False
        assert "Opaque" in cursor["description"]
        assert "`next_cursor`" in cursor["description"]
        assert "`invalid_cursor`" in cursor["description"]
        assert (
            "`invalid_cursor`"
            in document["paths"]["/v1/wallet/transactions"]["get"]["responses"]["422"]["description"]
        )

    async def test_the_round_history_says_what_before_is(self, document: dict[str, Any]) -> None:
        before = self._parameter(document, "/v1/rounds", "before")
        assert "`next_before`" in before["description"]
        assert "id of its last" in before["description"]


def _request_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    body = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return {"components": document["components"], **body}


def _body_paths(document: dict[str, Any], component: str) -> list[str]:
    ref = f"#/components/schemas/{component}"
    return [
        path
        for path, item in document["paths"].items()
        if item.get("post", {})
        .get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema")
        == {"$ref": ref}
    ]


PASSKEY = {"id": "x", "rawId": "x", "type": "public-key", "response": {}}


class TestExactlyOneFactor:
    @pytest.mark.parametrize(
        ("component", "base", "factors"),
        [
            (
                "MfaSignIn",
                {"mfa_ticket": "ticket"},
                {"otp": "123456", "recovery_code": "abcd-efgh-ijkl", "passkey": PASSKEY},
            ),
            (
                "StepUp",
                {},
                {
                    "otp": "123456",
                    "recovery_code": "abcd-efgh-ijkl",
                    "password": "a long password",
                    "passkey": PASSKEY,
                },
            ),
        ],
    )
    async def test_the_schema_accepts_one_factor_and_refuses_none_or_two(
        self, document: dict[str, Any], component: str, base: dict[str, Any], factors: dict[str, Any]
    ) -> None:
        [path] = _body_paths(document, component)
        validator = jsonschema_rs.Draft202012Validator(_request_schema(document, path))
        names = list(factors)
        for name in names:
            assert validator.is_valid({**base, name: factors[name]}), name
            # An explicit null counts as not sent, as the server reads it.
            assert validator.is_valid(
                {**base, name: factors[name], **{other: None for other in names if other != name}}
            )
        assert not validator.is_valid(base)
        assert not validator.is_valid({**base, names[0]: factors[names[0]], names[1]: factors[names[1]]})
        assert "exactly one" in document["components"]["schemas"][component]["description"]
