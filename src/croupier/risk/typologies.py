"""What the risk engine looks for: each alert names one of these."""

from __future__ import annotations

from enum import StrEnum


class Typology(StrEnum):
    ACCOUNT_TAKEOVER = "account_takeover"
    MULTI_ACCOUNTING = "multi_accounting"
    STRUCTURING = "structuring"
    MINIMAL_PLAY = "minimal_play"
    VELOCITY = "velocity"
    RAPID_ESCALATION = "rapid_escalation"
    ANOMALY = "anomaly"
    SANCTIONS = "sanctions"
    # A rule an analyst wrote that fits none of the above.
    OTHER = "other"
