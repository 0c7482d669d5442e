"""The monthly crash-recovery test: one command, one dated report, exit 1 when any promise broke."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from croupier.operations.drills.monthly import DrillRun, report_markdown, write_report
from tests.cli_support import bare_env_for, croupier, usage_error

pytestmark = pytest.mark.slow

STARTED = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


def test_a_drill_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    result = croupier(
        "drill", "monthly", "--drill", "no-such-drill", "--out", str(tmp_path), env=bare_env_for(tmp_path)
    )
    usage_error(result, "no drill named no-such-drill")
    assert not list(tmp_path.glob("crash-recovery-*.md"))


def test_the_report_names_each_drill_its_figures_and_why_a_promise_broke() -> None:
    runs = [
        DrillRun("balancer", 0, 41.2, "balancer: held\n  requests failed  0\n", ""),
        DrillRun(
            "restore", 1, 12.0, "restore: BROKEN\n", "croupier: transfer B is in the restored cluster\n"
        ),
    ]
    report = report_markdown(runs, started=STARTED, quick=True)

    assert report.startswith("# Crash-recovery test, 2026-12-04\n")
    assert "**PROMISES BROKEN**" in report
    assert "| balancer | held | 41 |" in report
    assert "| restore | BROKEN | 12 |" in report
    assert "requests failed  0" in report
    assert "croupier: transfer B is in the restored cluster" in report


def test_a_report_where_every_drill_held_says_so() -> None:
    report = report_markdown(
        [DrillRun("balancer", 0, 3.0, "balancer: held\n", "")], started=STARTED, quick=False
    )
    assert "**every promise held**" in report
    assert "What went wrong" not in report


def test_a_second_report_on_the_same_day_keeps_the_first(tmp_path: Path) -> None:
    first = write_report(tmp_path, "one", started=STARTED)
    second = write_report(tmp_path, "two", started=STARTED)
    assert first.name == "crash-recovery-2026-12-04.md"
    assert second != first
    assert first.read_text() == "one"
    assert second.read_text() == "two"


def test_the_monthly_command_runs_the_drills_and_writes_the_dated_report(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = croupier(
        "drill", "monthly", "--quick", "--drill", "restore", "--out", str(out), env=bare_env_for(tmp_path)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    (report,) = out.glob("crash-recovery-*.md")
    assert f"report: {report}" in result.stdout
    assert "restore: held" in result.stdout
    text = report.read_text()
    assert "**every promise held**" in text
    assert "| restore | held |" in text
    assert "restored balance" in text  # the drill's own figures, kept in the report
