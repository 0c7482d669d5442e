"""`croupier db` and `croupier keys`."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from croupier.kit.keyring import Keyring
from croupier.kit.migrate import alembic_config
from tests.cli_support import croupier, refused, succeeded

pytestmark = pytest.mark.slow  # each case runs the console script


class TestDb:
    def test_current_prints_the_applied_revision(self, env: dict[str, str]) -> None:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()

        assert succeeded(croupier("db", "current", env=env)).strip() == head

    def test_an_unknown_revision_is_refused(self, env: dict[str, str]) -> None:
        refused(croupier("db", "upgrade", "no-such-revision", env=env), "no-such-revision")


def _with_keyring_file(env: dict[str, str], folder: Path) -> dict[str, str]:
    path = folder / "keyring.json"
    path.write_text(Keyring.generate().to_json())
    path.chmod(0o600)
    return {**{k: v for k, v in env.items() if k != "CROUPIER_KEYRING"}, "CROUPIER_KEYRING_FILE": str(path)}


class TestKeys:
    def test_status_shows_the_newest_version(self, env: dict[str, str]) -> None:
        out = succeeded(croupier("keys", "status", env=env))

        assert "newest: wraps new data keys" in out

    def test_retiring_the_newest_version_is_refused(self, env: dict[str, str], tmp_path: Path) -> None:
        result = croupier("keys", "retire", "1", env=_with_keyring_file(env, tmp_path))

        refused(result, "KEK version 1 is the newest and wraps new data keys: rotate first")

    def test_retiring_from_a_keyring_in_the_environment_is_refused(self, env: dict[str, str]) -> None:
        refused(croupier("keys", "retire", "1", env=env), "CROUPIER_KEYRING_FILE")
