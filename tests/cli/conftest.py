"""The `croupier` console script, run in a subprocess against each test's own database."""

from __future__ import annotations

from pathlib import Path

import pytest

from croupier.kit.settings import Settings
from tests.cli_support import bare_env_for, env_for


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    """What the subprocess needs to find the test's database, keys and data folder."""
    return env_for(settings)


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """No database: for what fails before a command reaches one (usage errors, offline commands)."""
    return bare_env_for(tmp_path)
