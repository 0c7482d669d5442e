"""The responsible-gambling report's sources, one line per source; a new one adds its line here."""

from __future__ import annotations

from croupier.compliance.reports.rg_sources import register
from croupier.compliance.responsible import reporting as limits
from croupier.compliance.responsible.exclusions import reporting as exclusions


def install() -> None:
    register("exclusions", exclusions.exclusion_changes)
    register("limits", limits.limit_changes)
