"""``croupier drill balancer`` as an operator runs it: a node killed behind HAProxy under load.

The drill starts everything itself (PostgreSQL, Redis, the nodes, HAProxy), so the command runs with
nothing configured. Its figures are its report; a broken promise is exit 1 with the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.cli_support import bare_env_for, croupier
from tests.operations.debian_tools import require

pytestmark = pytest.mark.slow


def figure(stdout: str, label: str) -> str:
    found = re.search(rf"^  {re.escape(label)}\s+(.+)$", stdout, re.MULTILINE)
    assert found, f"no figure {label!r} in:\n{stdout}"
    return found.group(1).strip()


def test_a_node_killed_under_load_costs_players_nothing(tmp_path: Path) -> None:
    require("haproxy")
    require("redis-server")
    result = croupier(
        "drill", "balancer", "--quick", "--logs", str(tmp_path / "logs"), env=bare_env_for(tmp_path)
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("balancer: held\n")
    assert int(figure(result.stdout, "dice rounds acknowledged")) > 0
    assert figure(result.stdout, "failed after client retry") == "0"
    assert figure(result.stdout, "acknowledged rounds lost") == "0"
    assert figure(result.stdout, "duplicate rounds") == "0"
    assert figure(result.stdout, "balances not adding up") == "0"
    assert 0 < float(figure(result.stdout, "seconds until marked down")) < 30
    assert 0 < float(figure(result.stdout, "seconds from restart until back in rotation")) < 30
    assert float(figure(result.stdout, "p99 ms")) >= float(figure(result.stdout, "p50 ms")) > 0
    # Five sign-ins a minute from one address, spread over three nodes: the sixth is refused.
    assert figure(result.stdout, "first 429 at attempt") == "6"
    assert figure(result.stdout, "croupier ledger check") == "passed"
    assert {log.name for log in (tmp_path / "logs").iterdir()} >= {"haproxy.log", "node-2.log", "redis.log"}


def test_a_throttle_each_node_counts_alone_is_a_broken_promise_and_exit_1(tmp_path: Path) -> None:
    require("haproxy")
    require("redis-server")
    result = croupier(
        "drill", "balancer", "--seconds", "4", "--nodes", "2", "--players", "2",
        "--rate-limit-storage", "memory",
        env=bare_env_for(tmp_path),
    )  # fmt: skip

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("balancer: BROKEN\n")
    # Each of the two nodes allowed its own five: the first 429 came at the eleventh attempt, not the sixth.
    assert figure(result.stdout, "first 429 at attempt") == "11"
    assert "croupier: the sign-in limit is not shared by the nodes" in result.stderr
    assert "Traceback" not in result.stderr
