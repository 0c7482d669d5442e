"""``croupier drill restore``: point-in-time recovery on a real cluster, through the installed command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_support import bare_env_for, croupier, succeeded

pytestmark = pytest.mark.slow


def test_the_restore_drill_brings_back_the_transfer_before_the_target_and_not_the_one_after(
    tmp_path: Path,
) -> None:
    report = succeeded(croupier("drill", "restore", env=bare_env_for(tmp_path)))
    assert report.startswith("restore: held"), report
    for figure in ("backup MB", "backup seconds", "restore seconds", "WAL replayed MB", "stopped at"):
        assert figure in report
    assert "restored balance  10.00" in report
