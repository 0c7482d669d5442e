"""`croupier fairness verify` and `croupier sandbox psp`: commands that need no database."""

from __future__ import annotations

import json
import socket

import pytest

from tests.cli_support import croupier, refused, succeeded, usage_error
from tests.psp_sandbox import PspSandbox

pytestmark = pytest.mark.slow  # each case runs the console script

SEED = "ab" * 32
DICE_BET = '{"stake": 100, "target": 49.5, "direction": "under"}'


def _verify(*changes: str, bet: str = DICE_BET, seed: str = SEED) -> list[str]:
    return [
        "fairness",
        "verify",
        "dice",
        "--server-seed",
        seed,
        "--client-seed",
        "c",
        "--nonce",
        "0",
        "--bet",
        bet,
        *changes,
    ]


class TestFairnessVerify:
    def test_prints_the_round_as_json(self, bare_env: dict[str, str]) -> None:
        shown = json.loads(succeeded(croupier(*_verify(), env=bare_env)))

        assert (shown["game"], shown["stake"]) == ("dice", 100)
        assert len(shown["server_seed_hash"]) == 64

    def test_an_invalid_seed_is_refused(self, bare_env: dict[str, str]) -> None:
        refused(croupier(*_verify(seed="zz"), env=bare_env), "server seed must be 64 lowercase hexadecimal")

    def test_an_invalid_bet_is_refused(self, bare_env: dict[str, str]) -> None:
        refused(croupier(*_verify(bet='{"stake": 100}'), env=bare_env), "bet")
        refused(croupier(*_verify(bet="[1]"), env=bare_env), "bet must be an object")

    def test_a_bet_that_is_not_json_is_a_usage_error(self, bare_env: dict[str, str]) -> None:
        usage_error(croupier(*_verify(bet="{stake"), env=bare_env), "not JSON")


class TestSandboxPsp:
    def test_runs_until_stopped_then_exits_0(self) -> None:
        sandbox = PspSandbox()
        try:
            sandbox.wait_ready()
        finally:
            code = sandbox.stop()
        assert code == 0, sandbox.stderr()

    def test_a_port_in_use_is_refused(self, bare_env: dict[str, str]) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            result = croupier(
                "sandbox", "psp", "--port", port, "--api-key", "k", "--webhook-secret", "s", env=bare_env
            )

        refused(result, f"cannot listen on 127.0.0.1:{port}")

    def test_a_port_out_of_range_is_a_usage_error(self, bare_env: dict[str, str]) -> None:
        usage_error(croupier("sandbox", "psp", "--port", "70000", env=bare_env), "--port")
