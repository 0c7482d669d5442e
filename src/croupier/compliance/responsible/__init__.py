"""Responsible gambling: player-set limits, reality checks and markers of harm, in the money paths."""
