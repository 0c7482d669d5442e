"""Responsible gambling: player-set limits, reality checks and markers of harm, in the money paths."""

# The regulator's ``rg`` report reads limit changes from a source this package registers.
from croupier.compliance.responsible import reporting  # noqa: F401
