"""`croupier payments`, `croupier withdrawals`, `croupier staff` and `croupier providers`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from croupier.kit.runtime import Runtime
from tests.cli_support import acroupier, refused, succeeded, usage_error
from tests.wallet.support import make_player

pytestmark = pytest.mark.slow  # each case runs the console script

UNKNOWN = str(uuid.UUID(int=9))


class TestPaymentsAndWithdrawals:
    async def test_nothing_pending_is_an_empty_list(self, env: dict[str, str]) -> None:
        assert succeeded(await acroupier("withdrawals", "pending", env=env)) == ""

    async def test_submit_without_a_provider_says_so(self, env: dict[str, str]) -> None:
        assert succeeded(await acroupier("payments", "submit", env=env)) == "payments are not configured\n"

    async def test_unknown_ids_are_refused(self, env: dict[str, str]) -> None:
        refused(await acroupier("withdrawals", "approve", UNKNOWN, env=env), "No such withdrawal")
        refused(
            await acroupier("payments", "refund", UNKNOWN, "--reason", "duplicate", env=env),
            "No such deposit",
        )

    async def test_a_rejection_without_a_note_is_a_usage_error(self, env: dict[str, str]) -> None:
        usage_error(await acroupier("withdrawals", "reject", UNKNOWN, env=env), "--note")


class TestStaffKeys:
    async def test_issue_prints_the_secret_once_and_list_shows_the_key(self, env: dict[str, str]) -> None:
        secret = succeeded(
            await acroupier("staff", "keys", "issue", "ops", "--role", "payments", env=env)
        ).strip()
        listed = succeeded(await acroupier("staff", "keys", "list", env=env))

        assert secret
        assert listed.startswith("ops\tpayments\tactive")
        assert secret not in listed

    async def test_a_taken_name_or_an_unknown_key_is_refused(self, env: dict[str, str]) -> None:
        succeeded(await acroupier("staff", "keys", "issue", "ops", "--role", "payments", env=env))

        refused(
            await acroupier("staff", "keys", "issue", "ops", "--role", "payments", env=env),
            "A staff key named 'ops' exists",
        )
        refused(
            await acroupier("staff", "keys", "revoke", "nobody", env=env),
            "No active staff key named 'nobody'",
        )


def _public_key(folder: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "studio.pub"
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


class TestProviders:
    async def test_add_prints_the_wallet_url_under_the_public_url(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        public = {**env, "CROUPIER_PUBLIC_URL": "https://casino.example/"}

        out = succeeded(
            await acroupier(
                "providers", "add", "acme", "--public-key", str(_public_key(tmp_path)), env=public
            )
        )
        listed = succeeded(await acroupier("providers", "list", env=public))

        assert "its wallet base URL is https://casino.example/providers/hub88/acme/\n" in out
        assert listed.startswith("acme\thub88\tenabled")

    async def test_add_refuses_a_key_that_is_not_rsa(self, env: dict[str, str], tmp_path: Path) -> None:
        garbage = tmp_path / "garbage.pub"
        garbage.write_text("not a key")

        refused(
            await acroupier("providers", "add", "acme", "--public-key", str(garbage), env=env),
            "PEM public key",
        )
        assert succeeded(await acroupier("providers", "list", env=env)) == ""

    async def test_token_refuses_an_unknown_provider(self, env: dict[str, str], runtime: Runtime) -> None:
        player = str(await make_player(runtime))

        result = await acroupier(
            "providers", "token", player, "--provider", "nobody", "--currency", "EUR", env=env
        )

        refused(result, "No provider named 'nobody'")
