"""``croupier reports``: a bad date, a range that ends before it starts, an unknown report
or format is a usage error (exit 2) that reads nothing; a report with no rows is still a
valid CSV (its header) and the rg report names the sources it has."""

from __future__ import annotations

from pathlib import Path

import pytest

from croupier.kit.runtime import Runtime
from tests.cli_support import acroupier, bare_env_for, croupier, env_for, succeeded, usage_error
from tests.compliance.reports.support import ZONE


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("ggr", "--from", "2026-02-30", "--to", "2026-03-01"), "'2026-02-30' does not match"),
        (("ggr", "--from", "2026-03-02", "--to", "2026-03-01"), "ends (2026-03-01) before it starts"),
        (("ggr", "--from", "2026-03-01", "--to", "2026-03-01", "--format", "xml"), "'xml' is not one of"),
    ],
    ids=["no-such-date", "reversed", "unknown-format"],
)
def test_bad_arguments_are_a_usage_error(tmp_path: Path, args: tuple[str, ...], mentions: str) -> None:
    result = croupier("reports", *args, env={**bare_env_for(tmp_path), "COLUMNS": "250"})

    usage_error(result, mentions)
    assert result.stdout == ""


async def test_an_empty_rg_report_is_its_header_and_names_the_sources_it_has(runtime: Runtime) -> None:
    result = await acroupier(
        "reports",
        "rg",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        env=env_for(runtime.settings, CROUPIER_GAMING_DAY_TIMEZONE=ZONE),
    )

    assert succeeded(result) == "gaming_day,occurred_at,source,kind,player_id,detail\n"
    assert result.stderr.startswith("rg sources: ")
