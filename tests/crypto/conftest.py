"""Crypto tests run the app on a keyring file, which the CLI can rotate under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from croupier.kit.keyring import Keyring, write_keyring_file
from croupier.kit.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def keyring_path(tmp_path: Path) -> Path:
    path = tmp_path / "secrets" / "keyring.json"
    write_keyring_file(path, Keyring.generate())
    return path


@pytest.fixture
def settings(database_url: str, keyring_path: Path, tmp_path: Path) -> Settings:
    return make_settings(database_url, "", tmp_path, keyring=None, keyring_file=keyring_path)
