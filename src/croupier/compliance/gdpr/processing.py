"""The record of processing activities (GDPR article 30): one table, the single source of
every retention period and of what an erasure does to each kind of record.

``croupier gdpr processing`` prints it; the README carries the same table. A domain that
starts holding personal data adds its activity here; a retention sweep (``hooks``) takes
its period from its activity, so a period is never written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum


class Basis(StrEnum):
    """Lawful basis, GDPR article 6(1)."""

    CONTRACT = "contract, art. 6(1)(b)"
    LEGAL_OBLIGATION = "legal obligation, art. 6(1)(c)"
    LEGITIMATE_INTEREST = "legitimate interest, art. 6(1)(f)"
    CONSENT = "consent, art. 6(1)(a)"


class OnErasure(StrEnum):
    DELETED = "deleted"
    SHREDDED = "unreadable (data key destroyed) and blanked"
    HELD = "kept, pseudonymous, under the AML legal hold"
    BLANKED_HELD = "network address and user agent blanked; the rest kept under the AML legal hold"
    KEPT = "kept, pseudonymous"


# AML directive (EU) 2015/849 art. 40: records kept 5 years after the business relationship ends.
AML_HOLD_YEARS = 5
AML_BASIS = "AML directive (EU) 2015/849 art. 40(1); GDPR art. 17(3)(b)"


@dataclass(frozen=True)
class Activity:
    name: str
    data: str  # the categories of personal data
    purpose: str
    basis: Basis
    retention: str  # the period as people read it
    on_erasure: OnErasure
    # The period a retention sweep applies; None: kept for as long as the text says, not swept.
    period: timedelta | None = None

    @property
    def held(self) -> bool:
        return self.on_erasure in (OnErasure.HELD, OnErasure.BLANKED_HELD)


_ACTIVITIES: dict[str, Activity] = {}


def register_activity(activity: Activity) -> None:
    if activity.name in _ACTIVITIES and _ACTIVITIES[activity.name] != activity:
        raise ValueError(f"activity {activity.name!r} is described twice")
    _ACTIVITIES[activity.name] = activity


def activity_named(name: str) -> Activity:
    return _ACTIVITIES[name]


def activities() -> list[Activity]:
    return list(_ACTIVITIES.values())


def held() -> list[Activity]:
    """What an erasure keeps under the legal hold."""
    return [a for a in _ACTIVITIES.values() if a.held]


_AML_RETENTION = f"{AML_HOLD_YEARS} years after the relationship ends"

for _activity in (
    Activity(
        name="account",
        data="email, first and last name, date of birth, postcode (sealed), country, password hash, "
        "second factors",
        purpose="the player's account and sign-in",
        basis=Basis.CONTRACT,
        retention="while the account is open",
        on_erasure=OnErasure.SHREDDED,
    ),
    Activity(
        name="sessions",
        data="sign-in sessions: token hash, network address, user agent, times",
        purpose="keeping a player signed in; showing and revoking their devices",
        basis=Basis.CONTRACT,
        retention="30 days after the session expired or was revoked",
        on_erasure=OnErasure.DELETED,
        period=timedelta(days=30),
    ),
    Activity(
        name="devices",
        data="known devices (keyed hash of user agent and network), passkeys, recovery codes",
        purpose="security notices and second factors",
        basis=Basis.LEGITIMATE_INTEREST,
        retention="while the account is open",
        on_erasure=OnErasure.DELETED,
    ),
    Activity(
        name="mail",
        data="queued and delivered mail: recipient and body (sealed)",
        purpose="account and security mail",
        basis=Basis.CONTRACT,
        retention="30 days after delivery",
        on_erasure=OnErasure.DELETED,
        period=timedelta(days=30),
    ),
    Activity(
        name="consents",
        data="consent history: purpose, granted or withdrawn, text version, source, time",
        purpose="proving consent (art. 7(1)); marketing only to those who consented",
        basis=Basis.LEGAL_OBLIGATION,
        retention="while the account is open; then as long as the AML records",
        on_erasure=OnErasure.KEPT,
    ),
    Activity(
        name="exports",
        data="a copy of everything above and below, sealed",
        purpose="the player's right of access and portability (art. 15, 20)",
        basis=Basis.LEGAL_OBLIGATION,
        retention="7 days from the request; the archive is destroyed at its one download",
        on_erasure=OnErasure.DELETED,
        period=timedelta(days=7),
    ),
    Activity(
        name="transactions",
        data="ledger transfers and entries, holds (amounts, currencies, times; player id)",
        purpose="the player's money; AML record keeping",
        basis=Basis.LEGAL_OBLIGATION,
        retention=_AML_RETENTION,
        on_erasure=OnErasure.HELD,
    ),
    Activity(
        name="rounds",
        data="game rounds: stakes, outcomes, seeds, times; third-party studio transactions",
        purpose="the games; AML record keeping and disputes",
        basis=Basis.LEGAL_OBLIGATION,
        retention=_AML_RETENTION,
        on_erasure=OnErasure.HELD,
    ),
    Activity(
        name="payments",
        data="deposits, withdrawals, refunds, chargebacks; card brand, BIN, last four, provider token",
        purpose="paying in and out; AML record keeping",
        basis=Basis.LEGAL_OBLIGATION,
        retention=_AML_RETENTION,
        on_erasure=OnErasure.HELD,
    ),
    Activity(
        name="risk",
        data="risk alerts, cases, decisions, sanctions screenings (player id, reasons)",
        purpose="fraud and money-laundering prevention; not in exports (no tipping-off, AMLD art. 39)",
        basis=Basis.LEGAL_OBLIGATION,
        retention=_AML_RETENTION,
        on_erasure=OnErasure.HELD,
    ),
    Activity(
        name="events",
        data="domain events: kind, amounts, references; network address and user agent",
        purpose="feeding the risk engine",
        basis=Basis.LEGITIMATE_INTEREST,
        retention=_AML_RETENTION,
        on_erasure=OnErasure.BLANKED_HELD,
    ),
    Activity(
        name="responsible_gambling",
        data="limits set and their history, usage per period, reality-check interval, markers of harm,"
        " time-outs, self-exclusions and the national register's answers",
        purpose="protecting players from gambling harm (UKGC LCCP SR 3.5.3, RTS 12 and 13; MGA PPD)",
        basis=Basis.LEGAL_OBLIGATION,
        retention=_AML_RETENTION,
        on_erasure=OnErasure.KEPT,
    ),
    Activity(
        name="kyc",
        data="identity verification: level, the provider's checks and their reason codes, staff decisions",
        purpose="knowing the customer (AML customer due diligence) before withdrawals and large deposits",
        basis=Basis.LEGAL_OBLIGATION,
        retention=_AML_RETENTION,
        on_erasure=OnErasure.HELD,
    ),
    Activity(
        name="kyc_documents",
        data="identity documents, selfies and proofs of address (sealed files); the address given (sealed)",
        purpose="identity verification by the KYC provider",
        basis=Basis.LEGAL_OBLIGATION,
        retention="5 years from upload",
        on_erasure=OnErasure.DELETED,
        period=timedelta(days=5 * 365),
    ),
    Activity(
        name="audit",
        data="the audit trail: actions on and by the player, network address, user agent",
        purpose="security and accountability; its hash chain proves it was not altered",
        basis=Basis.LEGAL_OBLIGATION,
        retention=_AML_RETENTION,
        on_erasure=OnErasure.HELD,
    ),
):
    register_activity(_activity)


def markdown_table() -> str:
    """The record as the README shows it."""
    lines = [
        "| activity | personal data | purpose | lawful basis | kept | at erasure |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {a.name} | {a.data} | {a.purpose} | {a.basis} | {a.retention} | {a.on_erasure} |"
        for a in activities()
    ]
    return "\n".join(lines)
