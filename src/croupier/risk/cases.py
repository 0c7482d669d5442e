"""Cases: where an analyst works a player's alerts, from open to a disposition.

One case per player is open at a time (open, in review or escalated) and collects
every new alert about that player; once closed, the next alert opens a new one.
Every change is a timeline entry with its actor and time, and the disposition a
case is closed with is what the per-rule precision figures count.
"""

from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_REVIEW = "in_review"
    ESCALATED = "escalated"
    CLOSED = "closed"


class Disposition(StrEnum):
    FALSE_POSITIVE = "false_positive"
    CONFIRMED_FRAUD = "confirmed_fraud"
    SUSPICIOUS_ACTIVITY_REPORTED = "suspicious_activity_reported"


class TimelineAction(StrEnum):
    OPENED = "opened"
    ALERT_ADDED = "alert_added"
    ASSIGNED = "assigned"
    MOVED = "moved"
    NOTE = "note"
    CLOSED = "closed"
    SAR_EXPORTED = "sar_exported"


# Where a case may go from each status; a closed case is final.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.IN_REVIEW, CaseStatus.ESCALATED, CaseStatus.CLOSED}),
    CaseStatus.IN_REVIEW: frozenset({CaseStatus.ESCALATED, CaseStatus.CLOSED}),
    CaseStatus.ESCALATED: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}

# Dispositions that say the suspicion was right: the numerator of a rule's precision.
CONFIRMING = frozenset({Disposition.CONFIRMED_FRAUD, Disposition.SUSPICIOUS_ACTIVITY_REPORTED})
