"""``croupier serve`` with two workers: each samples the database figures, and the metrics port
adds up the pools and serves one figure for what every worker sampled alike.

A real process on the embedded database, scraped over HTTP as Prometheus would.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from croupier.kit.settings import Settings
from tests.kit.test_ops import samples, value
from tests.test_serve_process import READY_WITHIN_SECONDS, Server, free_port
from tests.test_serve_process import data_dir as data_dir  # noqa: PLC0414 - the fixture, re-exported
from tests.test_serve_process import servers as servers  # noqa: PLC0414

pytestmark = pytest.mark.slow

WORKERS = 2
_DEFAULTS = Settings.model_fields
POOL_LIMIT = _DEFAULTS["database_pool_size"].default + _DEFAULTS["database_max_overflow"].default


def scrape_until_both_sampled(url: str) -> str:
    """Scrape until both workers' pool samples are in (each samples on its own clock)."""
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    text = ""
    while time.monotonic() < deadline:
        text = httpx.get(url, timeout=5).text
        if value(text, "croupier_database_pool_connections_limit", pool="main") == WORKERS * POOL_LIMIT:
            return text
        time.sleep(0.2)
    pytest.fail(f"the workers' samples never added up:\n{text}")


def test_every_worker_samples_and_the_metrics_port_combines_them(
    servers: list[Server], data_dir: Path
) -> None:
    metrics_port = free_port()
    server = Server(data_dir, data_dir.parent / "serve.log")
    server.env = {
        "CROUPIER_METRICS_PORT": str(metrics_port),
        "CROUPIER_WORKERS": str(WORKERS),
        "CROUPIER_METRICS_SAMPLE_SECONDS": "1",
    }
    servers.append(server)
    server.start()
    server.wait_ready()

    text = scrape_until_both_sampled(f"http://127.0.0.1:{metrics_port}/metrics")

    # One series per figure, not one per worker: every worker samples the same database.
    for gauge in ("croupier_mail_outbox_lag_seconds", "croupier_payment_webhook_lag_seconds"):
        assert [v for _, _, v in samples(text, gauge)] == [0], gauge
    assert value(text, "croupier_monitoring_sampled_timestamp_seconds") > time.time() - 60
    # No standby: absent, not a misleading 0.
    assert samples(text, "croupier_database_replication_lag_seconds") == []
    # The workers defer a periodic tick missed in the last minutes, so the checks may have run
    # already: then once per check, and passing on a fresh database.
    assert {labels["check"]: v for _, labels, v in samples(text, "croupier_check_ok")} in (
        {},
        {"books": 1, "audit_chain": 1},
        {"books": 1},
    )
    assert server.process is not None
    assert server.process.poll() is None, server.stderr()
