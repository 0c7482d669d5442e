"""``croupier reports``: a bad date, a range that ends before it starts or an unknown format
is a usage error (exit 2) that reads nothing; a report with no rows is still a valid CSV
(its header) and the rg report names the sources it has."""

from __future__ import annotations

import asyncio
from pathlib import Path

from croupier.kit.runtime import Runtime
from tests.cli_support import acroupier, bare_env_for, env_for, succeeded, usage_error
from tests.compliance.reports.support import ZONE


async def test_a_bad_date_a_reversed_range_or_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    env = {**bare_env_for(tmp_path), "COLUMNS": "250"}
    refused = {
        "'2026-02-30' does not match": ("--from", "2026-02-30", "--to", "2026-03-01"),
        "ends (2026-03-01) before it starts": ("--from", "2026-03-02", "--to", "2026-03-01"),
        "'xml' is not one of": ("--from", "2026-03-01", "--to", "2026-03-01", "--format", "xml"),
    }

    results = await asyncio.gather(
        *(acroupier("reports", "ggr", *args, env=env) for args in refused.values())
    )

    for mentions, result in zip(refused, results, strict=True):
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
    assert result.stderr == "rg sources: exclusions, limits\n"
