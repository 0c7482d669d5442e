"""What a machine client may be granted: one scope per partner report.

A scope names a resource a client may read, never a staff permission: partners get
aggregates through their own API and nothing a staff key could reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Scope(StrEnum):
    REPORTS_GGR = "reports:ggr"  # gross gaming revenue per day and currency
    REPORTS_PLAYERS = "reports:players"  # active and new player counts per day


DESCRIPTIONS: dict[str, str] = {
    Scope.REPORTS_GGR: "Gross gaming revenue per gaming day and currency",
    Scope.REPORTS_PLAYERS: "Active and new player counts per gaming day",
}


def parse_scopes(names: Iterable[str]) -> frozenset[Scope]:
    """The scopes named; ``ValueError`` names the first unknown one."""
    known = {str(s): s for s in Scope}
    chosen: set[Scope] = set()
    for name in names:
        if name not in known:
            raise ValueError(name)
        chosen.add(known[name])
    return frozenset(chosen)


def as_text(scopes: Iterable[str]) -> str:
    """RFC 6749 §3.3: space-delimited, here in a stable order."""
    return " ".join(sorted(str(s) for s in scopes))
