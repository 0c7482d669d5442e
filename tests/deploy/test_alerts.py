"""deploy/prometheus: the alert rules are valid, unit-tested, read only Croupier's metrics, and
each links its runbook section.

promtool parses the rules and runs ``alerts.test.yml``; a test here also makes sure that file
shows every alert both firing and silent, and that a renamed metric breaks the build.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.deploy.prometheus_support import (
    PROMETHEUS,
    RUNBOOK,
    SCRAPE_SERIES,
    croupier_series,
    metric_names,
    run_promtool,
)

ALERTS = PROMETHEUS / "alerts.yml"
ALERT_TESTS = PROMETHEUS / "alerts.test.yml"


def _rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in _rules() if "alert" in rule]


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_promtool_accepts_the_rules_and_the_sample_configuration() -> None:
    rules = run_promtool("check", "rules", ALERTS.name, cwd=PROMETHEUS)
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = run_promtool("check", "config", "prometheus.production.yml", cwd=PROMETHEUS)
    assert config.returncode == 0, config.stdout + config.stderr


def test_the_alert_unit_tests_pass() -> None:
    result = run_promtool("test", "rules", ALERT_TESTS.name, cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_silent() -> None:
    fired: set[str] = set()
    silent: set[str] = set()
    for case in yaml.safe_load(ALERT_TESTS.read_text())["tests"]:
        for check in case.get("alert_rule_test", []):
            (fired if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {rule["alert"] for rule in _alerts()}
    assert names - fired == set(), "never shown firing"
    assert names - silent == set(), "never shown silent"


def test_every_rule_reads_only_metrics_croupier_serves() -> None:
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    known = croupier_series() | recorded | SCRAPE_SERIES
    unknown = {
        rule.get("alert") or rule["record"]: sorted(metric_names(rule["expr"]) - known)
        for rule in _rules()
        if metric_names(rule["expr"]) - known
    }
    assert unknown == {}


def test_the_metric_name_check_would_see_a_renamed_metric() -> None:
    expr = 'sum(rate(croupier_http_requests_totals{job="croupier",status=~"5.."}[5m])) > up'
    assert metric_names(expr) == {"croupier_http_requests_totals", "up"}
    assert "croupier_http_requests_totals" not in croupier_series()
    assert "croupier_http_requests_total" in croupier_series()


@pytest.mark.parametrize("alert", _alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_says_what_happened_and_links_its_runbook_section(alert: dict[str, Any]) -> None:
    annotations = alert["annotations"]
    assert annotations["summary"]
    assert annotations["description"]
    assert alert["labels"]["severity"] in {"page", "ticket"}
    page, _, anchor = annotations["runbook_url"].partition("#")
    assert page == "docs/operations.md"
    assert anchor == f"alert-{alert['alert'].lower()}"
    headings = {
        _anchor(line.lstrip("#")) for line in RUNBOOK.read_text().splitlines() if line.startswith("#")
    }
    assert anchor in headings, f"docs/operations.md has no heading 'Alert: {alert['alert']}'"
