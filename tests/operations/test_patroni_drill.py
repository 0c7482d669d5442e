"""``croupier drill patroni``: the Patroni leader SIGKILLed under load, Patroni promotes the standby."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_support import bare_env_for, croupier, refused, succeeded
from tests.operations.debian_tools import require


@pytest.mark.slow
def test_when_the_patroni_leader_dies_under_load_patroni_promotes_the_standby_and_players_lose_nothing(
    tmp_path: Path,
) -> None:
    require("patroni")
    require("etcd")

    report = succeeded(croupier("drill", "patroni", "--quick", env=bare_env_for(tmp_path)))

    assert report.startswith("patroni: held"), report
    figures = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in report.splitlines()[1:])
    assert figures["leader after"] not in {figures["leader before"], "none"}, report
    assert figures["acknowledged rounds lost"] == "0"
    assert figures["duplicate rounds"] == "0"
    assert figures["failed after retries"] == "0"
    assert int(figures["acknowledged rounds"]) > 0
    # The leader lock (ttl 10 s) expires, then the standby is promoted: well under a minute.
    assert 0 < float(figures["kill to new leader seconds"]) < 60
    assert float(figures["downtime seconds"]) < 60
    assert figures["ledger check"] == "passed"
    assert "entries verified" in figures["audit verify"], report


def test_without_patroni_and_etcd_on_the_path_the_drill_refuses_naming_the_debian_packages(
    tmp_path: Path,
) -> None:
    nothing = tmp_path / "empty-bin"
    nothing.mkdir()
    env = {**bare_env_for(tmp_path), "PATH": str(nothing)}

    result = croupier("drill", "patroni", "--quick", env=env)

    refused(result, "install the Debian packages patroni and etcd-server")
    assert result.stdout == ""  # nothing was started, so nothing to report
