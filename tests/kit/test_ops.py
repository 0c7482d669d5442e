"""Health, readiness and Prometheus metrics, through the app."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from croupier.api import create_app
from croupier.kit.db import Database
from croupier.kit.runtime import Runtime
from tests.conftest import TEST_IP, make_settings
from tests.factories import register, sign_in, signed_in_player

PROBLEM_JSON = "application/problem+json"
METRICS_TOKEN = "metrics-token-0123456789abcdef"
Scrape = Callable[[], Awaitable[str]]


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


def samples(text: str, name: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample of the metric family ``name`` as (sample name, labels, value)."""
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        if family.name == name
        for s in family.samples
    ]


def value(text: str, sample: str, **labels: str) -> float:
    family = sample.removesuffix("_total").removesuffix("_count").removesuffix("_bucket")
    return sum(
        v
        for name, have, v in samples(text, family)
        if name == sample and all(have.get(k) == want for k, want in labels.items())
    )


class TestHealth:
    async def test_healthz_answers_without_touching_the_database(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_readyz_is_ready_when_the_database_answers(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready"}


@pytest.fixture
async def unreachable_client(keyring_json: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    url = f"postgresql+psycopg://croupier@127.0.0.1:{_closed_port()}/croupier"
    settings = make_settings(url, keyring_json, tmp_path)
    runtime = await Runtime.start(settings, database=Database.from_url(url))
    transport = httpx.ASGITransport(app=create_app(runtime=runtime), client=(TEST_IP, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    await runtime.close()


class TestReadinessWithoutDatabase:
    async def test_readyz_is_503_problem_json(self, unreachable_client: httpx.AsyncClient) -> None:
        response = await unreachable_client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM_JSON
        body = response.json()
        assert body["code"] == "not_ready"
        assert body["status"] == 503
        # The reason for operators goes to the logs, not to whoever polls the endpoint.
        assert "127.0.0.1" not in response.text

    async def test_healthz_stays_up(self, unreachable_client: httpx.AsyncClient) -> None:
        assert (await unreachable_client.get("/healthz")).status_code == 200


@pytest.fixture
async def metrics_http(
    database_url: str, keyring_json: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The API's port with a metrics token configured (the registry is the process's, as in `client`)."""
    settings = make_settings(database_url, keyring_json, tmp_path, metrics_token=METRICS_TOKEN)
    transport = httpx.ASGITransport(app=create_app(settings), client=(TEST_IP, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def scrape(metrics_http: httpx.AsyncClient) -> Scrape:
    async def _scrape() -> str:
        response = await metrics_http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 200, response.text
        return response.text

    return _scrape


class TestMetricsOnTheApiPort:
    async def test_are_not_served_without_a_token_configured(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/metrics")
        assert response.status_code == 404
        assert "croupier_http_requests_total" not in response.text

    @pytest.mark.parametrize(
        "authorization",
        [
            None,
            "Bearer wrong-token-0123456789abcdef",
            f"Bearer {METRICS_TOKEN[:-1]}",
            f"Basic {METRICS_TOKEN}",
            METRICS_TOKEN,
            "Bearer",
        ],
    )
    async def test_refuse_anyone_without_the_token(
        self, metrics_http: httpx.AsyncClient, authorization: str | None
    ) -> None:
        headers = {"Authorization": authorization} if authorization is not None else {}
        response = await metrics_http.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.headers["www-authenticate"] == "Bearer"
        assert "croupier_http_requests_total" not in response.text

    async def test_serve_the_bearer_of_the_token(self, metrics_http: httpx.AsyncClient) -> None:
        response = await metrics_http.get("/metrics", headers={"Authorization": f"bearer {METRICS_TOKEN}"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")

    def test_a_short_token_is_refused_by_the_settings(
        self, database_url: str, keyring_json: str, tmp_path: Path
    ) -> None:
        with pytest.raises(ValidationError, match="CROUPIER_METRICS_TOKEN"):
            make_settings(database_url, keyring_json, tmp_path, metrics_token="short")


class TestMetrics:
    async def test_exposes_request_counts_by_route_template(
        self, client: httpx.AsyncClient, metrics_http: httpx.AsyncClient
    ) -> None:
        player = await signed_in_player(client)
        raw_id = uuid.uuid4()
        assert (await client.delete(f"/v1/sessions/{raw_id}", headers=player.headers)).status_code == 404
        await client.get("/healthz")

        response = await metrics_http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        template = "/v1/sessions/{session_id}"
        assert value(text, "croupier_http_requests_total", route=template, method="DELETE", status="404") >= 1
        assert value(text, "croupier_http_requests_total", route="/healthz", method="GET", status="200") >= 1
        assert value(text, "croupier_http_requests_total", route="/v1/sessions", status="201") >= 1
        # Route templates only: the raw id would make one time series per session.
        assert str(raw_id) not in text

    async def test_unknown_paths_share_one_label(self, client: httpx.AsyncClient, scrape: Scrape) -> None:
        marker = f"no-such-page-{uuid.uuid4().hex}"
        assert (await client.get(f"/{marker}")).status_code == 404
        text = await scrape()
        assert marker not in text
        assert value(text, "croupier_http_requests_total", route="unmatched", status="404") >= 1

    async def test_exposes_the_latency_histogram(self, client: httpx.AsyncClient, scrape: Scrape) -> None:
        await client.get("/healthz")
        text = await scrape()
        buckets = [
            (labels, v)
            for name, labels, v in samples(text, "croupier_http_request_duration_seconds")
            if name.endswith("_bucket") and labels.get("route") == "/healthz"
        ]
        assert buckets, "no histogram buckets for /healthz"
        assert any(labels["le"] == "+Inf" and v >= 1 for labels, v in buckets)
        assert value(text, "croupier_http_request_duration_seconds_count", route="/healthz") >= 1

    async def test_counts_sign_ins_by_outcome(self, client: httpx.AsyncClient, scrape: Scrape) -> None:
        before = await scrape()
        _, data = await register(client)
        assert (await sign_in(client, data["email"])).status_code == 201
        assert (await sign_in(client, data["email"], "definitely not the password")).status_code == 401
        after = await scrape()
        for outcome in ("success", "invalid_credentials"):
            grew = value(after, "croupier_sign_ins_total", outcome=outcome) - value(
                before, "croupier_sign_ins_total", outcome=outcome
            )
            # >= rather than ==: the registry is process-wide and other tests may sign in meanwhile.
            assert grew >= 1, outcome
