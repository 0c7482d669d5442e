"""deploy/grafana/dashboards/croupier.json: valid JSON, every panel's query PromQL that promtool
parses, reading only metrics Croupier serves (or the recording rules of alerts.yml)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.prometheus_support import (
    DEPLOY,
    PROMETHEUS,
    SCRAPE_SERIES,
    croupier_series,
    metric_names,
    run_promtool,
)

DASHBOARD = DEPLOY / "grafana" / "dashboards" / "croupier.json"
# Grafana's interval variables, given the values Grafana would (promtool knows none of them).
GRAFANA_INTERVALS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "6h"}


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def _panels() -> list[dict[str, Any]]:
    return [p for p in _dashboard()["panels"] if p["type"] != "row"]


def _queries() -> dict[str, str]:
    return {f"{p['title']} [{t['refId']}]": t["expr"] for p in _panels() for t in p["targets"]}


def _recorded() -> set[str]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return {rule["record"] for group in groups for rule in group["rules"] if "record" in rule}


def test_is_a_dashboard_with_unique_panel_ids_and_a_datasource_variable() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "croupier-overview"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    [variable] = dashboard["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == (
        "datasource",
        "datasource",
        "prometheus",
    )
    assert all(p["datasource"]["uid"] == "${datasource}" and p["targets"] for p in _panels())


def test_shows_what_on_call_needs() -> None:
    read = set().union(*(metric_names(expr) for expr in _queries().values()))
    assert {
        "croupier:slo_errors:ratio_rate1h",
        "croupier_http_request_duration_seconds_bucket",
        "croupier_bets_total",
        "croupier_bet_stakes_minor_total",
        "croupier_bet_payouts_minor_total",
        "croupier_ledger_transfers_total",
        "croupier_event_consumer_lag_seconds",
        "croupier_mail_outbox_lag_seconds",
        "croupier_payment_webhook_lag_seconds",
        "croupier_database_pool_connections_in_use",
        "croupier_database_pool_wait_seconds_bucket",
        "croupier_database_replication_lag_seconds",
        "croupier_jobs_failed",
        "croupier_check_ok",
        "croupier_check_last_success_timestamp_seconds",
    } <= read


def test_every_query_reads_only_metrics_croupier_serves() -> None:
    known = croupier_series() | _recorded() | SCRAPE_SERIES
    unknown = {title: sorted(metric_names(expr) - known) for title, expr in _queries().items()}
    assert {title: names for title, names in unknown.items() if names} == {}


def test_promtool_parses_every_query(tmp_path: Path) -> None:
    """Each query becomes a recording rule of a throw-away rule file: promtool parses them all at once."""
    rules = []
    for n, query in enumerate(_queries().values()):
        expr = query
        for variable, value in GRAFANA_INTERVALS.items():
            expr = expr.replace(variable, value)
        assert "$" not in re.sub(r"\{\{.*?\}\}", "", expr), expr
        rules.append({"record": f"dashboard:query_{n}", "expr": expr})
    (tmp_path / "queries.yml").write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))

    result = run_promtool("check", "rules", "queries.yml", cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
