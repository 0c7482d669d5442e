"""Every `croupier` command: 0 done, 1 refused or failed, 2 a usage error; never a traceback."""

from __future__ import annotations

import socket

import pytest

from tests.cli_support import croupier, refused, succeeded, usage_error

pytestmark = pytest.mark.slow  # each case runs the console script


class TestUsageErrors:
    @pytest.mark.parametrize(
        ("args", "mentions"),
        [
            (["players", "show", "not-a-uuid"], "Invalid value for 'PLAYER_ID'"),
            (["players", "shw"], "No such command 'shw'"),
            (["no-such-family"], "No such command 'no-such-family'"),
            (["wallet", "adjust"], "Missing argument 'PLAYER_ID'"),
            (["players", "disable", "00000000-0000-0000-0000-000000000000"], "Missing option '--reason'"),
            (["audit", "list", "--limit", "0"], "Invalid value for '--limit'"),
            (["keys", "retire", "two"], "Invalid value for 'version'"),
        ],
        ids=[
            "bad-uuid",
            "mistyped-command",
            "unknown-family",
            "missing-argument",
            "missing-option",
            "out-of-range",
            "not-a-number",
        ],
    )
    def test_exit_2_with_a_short_usage_message(
        self, args: list[str], mentions: str, bare_env: dict[str, str]
    ) -> None:
        usage_error(croupier(*args, env=bare_env), mentions)

    def test_help_exits_0(self, bare_env: dict[str, str]) -> None:
        out = succeeded(croupier("ledger", "--help", env=bare_env))
        assert "check" in out
        assert "expire-holds" in out


class TestConfigurationErrors:
    def test_a_malformed_setting_is_named_without_its_value(self, env: dict[str, str]) -> None:
        result = croupier("db", "current", env={**env, "CROUPIER_PORT": "not-a-port-s3cr3t"})

        refused(result, "CROUPIER_PORT")
        assert "s3cr3t" not in result.stderr

    def test_missing_keys_are_refused(self, env: dict[str, str]) -> None:
        without_keys = {k: v for k, v in env.items() if k != "CROUPIER_KEYRING"}

        refused(croupier("audit", "verify", env=without_keys), "CROUPIER_KEYRING")

    def test_an_unreachable_database_is_one_line_without_its_password(self, env: dict[str, str]) -> None:
        with socket.socket() as probe:  # a port nothing listens on once closed
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        unreachable = {
            **env,
            "CROUPIER_DATABASE_URL": f"postgresql://croupier:pw-s3cret@127.0.0.1:{port}/croupier",
        }

        result = croupier("db", "current", env=unreachable)

        refused(
            result,
            f'cannot reach the database: connection failed: connection to server at "127.0.0.1", port {port}',
        )
        assert "s3cret" not in result.stdout + result.stderr
