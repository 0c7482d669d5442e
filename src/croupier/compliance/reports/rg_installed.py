"""The responsible-gambling report's sources, one line per source; a new one adds its line here.

A domain may also register its source when imported; naming it here as well makes sure
every process has it, whatever it imported first.
"""

from __future__ import annotations

from croupier.compliance.reports.rg_sources import register
from croupier.compliance.responsible import reporting as limits


def install() -> None:
    register("limits", limits.limit_changes)
