"""``croupier drill failover``: the primary SIGKILLed under load, its synchronous standby promoted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_support import bare_env_for, croupier, succeeded

pytestmark = pytest.mark.slow


def test_killing_the_primary_under_load_loses_no_acknowledged_round_and_fails_no_retried_request(
    tmp_path: Path,
) -> None:
    report = succeeded(
        croupier(
            "drill",
            "failover",
            "--seconds",
            "10",
            "--kill-after",
            "4",
            "--players",
            "6",
            env=bare_env_for(tmp_path),
        )
    )
    assert report.startswith("failover: held"), report
    figures = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in report.splitlines()[1:])
    assert figures["acknowledged rounds lost"] == "0"
    assert figures["duplicate rounds"] == "0"
    assert figures["failed after retries"] == "0"
    assert int(figures["acknowledged rounds"]) > 0
    assert float(figures["downtime seconds"]) < 30
    assert figures["ledger check"] == "passed"
