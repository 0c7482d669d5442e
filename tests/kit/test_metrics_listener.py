"""``croupier serve`` with ``CROUPIER_METRICS_PORT``: metrics on a listener of their own.

A real process, real HTTP: the API's port has no ``/metrics``, the metrics port
(loopback by default) has them, and with several workers it adds up what every
worker counted (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.test_serve_process import READY_WITHIN_SECONDS, Server, free_port, start
from tests.test_serve_process import data_dir as data_dir  # noqa: PLC0414 - the fixture, re-exported
from tests.test_serve_process import servers as servers  # noqa: PLC0414

pytestmark = pytest.mark.slow

HEALTH_CHECKS = 20


def healthz_count(text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "croupier_http_requests"
        for sample in family.samples
        if sample.name == "croupier_http_requests_total" and sample.labels.get("route") == "/healthz"
    )


def scrape_until(url: str, want: float) -> float:
    """Scrape until /healthz has been counted ``want`` times (workers write as they go)."""
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    seen = 0.0
    while time.monotonic() < deadline:
        response = httpx.get(url, timeout=5)
        assert response.status_code == 200
        seen = healthz_count(response.text)
        if seen >= want:
            return seen
        time.sleep(0.1)
    return seen


@pytest.mark.parametrize("workers", ["1", "2"])
def test_metrics_are_served_on_their_own_port_only(
    servers: list[Server], data_dir: Path, workers: str
) -> None:
    metrics_port = free_port()
    server = Server(data_dir, data_dir.parent / "serve.log")
    server.env = {"CROUPIER_METRICS_PORT": str(metrics_port), "CROUPIER_WORKERS": workers}
    servers.append(server)
    server.start()
    server.wait_ready()

    with httpx.Client(base_url=server.base_url, timeout=10) as api:
        for _ in range(HEALTH_CHECKS):
            assert api.get("/healthz").status_code == 200
        public = api.get("/metrics")
    assert public.status_code == 404
    assert "croupier_http_requests_total" not in public.text

    counted = scrape_until(f"http://127.0.0.1:{metrics_port}/metrics", HEALTH_CHECKS)
    assert counted >= HEALTH_CHECKS, server.stderr()


def test_a_metrics_port_in_use_stops_serve_with_a_message(servers: list[Server], data_dir: Path) -> None:
    taken = start(servers, data_dir)
    taken.wait_ready()
    server = Server(data_dir, data_dir.parent / "second.log")
    server.env = {"CROUPIER_METRICS_PORT": str(taken.port)}
    servers.append(server)
    server.start()
    assert server.process is not None
    assert server.process.wait(timeout=READY_WITHIN_SECONDS) != 0
    assert "cannot serve metrics on 127.0.0.1" in server.stderr()
    assert "Traceback" not in server.stderr()
