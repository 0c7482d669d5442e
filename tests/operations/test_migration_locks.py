"""A migration never queues traffic behind it: it waits at most its lock timeout, then gives up cleanly."""

from __future__ import annotations

import time

import psycopg
import pytest

from croupier.kit.settings import Settings
from tests.cli_support import croupier, env_for

pytestmark = pytest.mark.slow


def _libpq(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.get_secret_value().replace("postgresql+psycopg://", "postgresql://", 1)


def test_an_upgrade_blocked_by_a_long_transaction_gives_up_after_its_lock_timeout(settings: Settings) -> None:
    with psycopg.connect(_libpq(settings)) as blocker:
        # A transaction that holds the lock every migration needs (it records the revision there).
        blocker.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        result = croupier("db", "upgrade", env=env_for(settings))
        waited = time.monotonic() - started
        blocker.rollback()

    assert result.returncode == 1, result.stderr
    assert "croupier: a migration waited more than 5s for a lock" in result.stderr
    assert "Traceback" not in result.stderr
    # The timeout, plus the command's own start-up: far from the statement timeout's minutes.
    assert waited < 60


def test_once_the_blocking_transaction_ends_the_same_upgrade_succeeds(settings: Settings) -> None:
    with psycopg.connect(_libpq(settings)) as blocker:
        blocker.execute("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
        assert croupier("db", "upgrade", env=env_for(settings)).returncode == 1
        blocker.rollback()

    result = croupier("db", "upgrade", env=env_for(settings))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("database at revision ")
