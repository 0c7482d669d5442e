"""With nothing configured, Croupier makes development keys, and says so once per process.

Run through the installed ``croupier`` script on a fresh data folder (embedded
PostgreSQL, no keyring): the first command generates the keys, later ones use
them, and each says which, once.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_serve_process import head_revision, run_croupier, stop_embedded_database

pytestmark = pytest.mark.slow

WARNING = "DEVELOPMENT KEYS IN USE"


@pytest.fixture
def fresh_data_dir() -> Iterator[Path]:
    # Outside pytest's temp tree, which pytest makes 0700 (see test_serve_process).
    root = Path(tempfile.mkdtemp(prefix="croupier-devkeys-"))
    root.chmod(0o755)
    folder = root / "data"
    yield folder
    stop_embedded_database(folder)
    shutil.rmtree(root, ignore_errors=True)


def _warnings(stderr: str) -> list[str]:
    """The warning's header, and the line after it that says what was done."""
    lines = stderr.splitlines()
    return [" ".join(lines[i : i + 2]) for i, line in enumerate(lines) if WARNING in line]


def test_the_first_command_generates_the_keys_and_later_ones_use_them(fresh_data_dir: Path) -> None:
    keyring = fresh_data_dir.resolve() / "dev-keyring.json"

    first = run_croupier(fresh_data_dir, "db", "current")
    assert first.returncode == 0, first.stderr
    assert _warnings(first.stderr) == [f"!! {WARNING} !! generated development keys in {keyring}"]

    second = run_croupier(fresh_data_dir, "db", "current")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == head_revision()
    assert _warnings(second.stderr) == [f"!! {WARNING} !! using development keys in {keyring}"]
