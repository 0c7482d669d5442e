"""What staff may do: permissions, and roles as named sets of them.

Every staff route and console page declares the permission it needs (``staff.auth.require``);
a member holds the union of their roles' permissions. The built-in roles follow the desks
of a casino's back office and give each only what its work needs (least privilege): an
admin manages staff, roles and keys but reads no player's money or papers unless also
given a desk's role. Custom roles are sets of these same permissions, kept in
``staff_roles``; a permission that is not listed here cannot be granted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class Permission(StrEnum):
    # The console's dashboard: aggregates only (money in and out, GGR, players, queues).
    DASHBOARD_READ = "dashboard:read"
    # Players: search, the player 360 page; the access log of who looked (admins).
    PLAYERS_READ = "players:read"
    PLAYERS_ACCESS_LOG = "players:access-log"
    # Payments desk.
    WITHDRAWALS_REVIEW = "withdrawals:review"
    DEPOSITS_REFUND = "deposits:refund"
    WALLET_ADJUST = "wallet:adjust"
    # Fraud and AML analysts.
    RISK_READ = "risk:read"
    RISK_CASES_WORK = "risk:cases:work"
    RISK_RULES_READ = "risk:rules:read"
    RISK_RULES_WRITE = "risk:rules:write"
    RISK_RULES_PUBLISH = "risk:rules:publish"
    # Identity documents and KYC levels.
    KYC_READ = "kyc:read"
    KYC_REVIEW = "kyc:review"
    # Responsible gambling, privacy requests, regulator reports.
    RG_READ = "rg:read"
    GDPR_ERASE = "gdpr:erase"
    REPORTS_READ = "reports:read"
    REPORTS_AML = "reports:aml"  # the large-transaction report only
    AUDIT_READ = "audit:read"
    # Administration.
    STAFF_MANAGE = "staff:manage"
    ROLES_MANAGE = "roles:manage"
    KEYS_MANAGE = "keys:manage"
    PROVIDERS_MANAGE = "providers:manage"


class StaffRole(StrEnum):
    """The built-in roles, one per desk."""

    SUPPORT = "support"  # finds players, reads their 360 page
    KYC = "kyc"  # reviews identity documents, sets and overrides KYC levels
    RISK = "risk"  # fraud and AML analysts: rule sets, alerts, cases, the large-transaction report
    PAYMENTS = "payments"  # reviews withdrawals, refunds deposits, adjusts balances
    COMPLIANCE = "compliance"  # responsible gambling, privacy requests, regulator reports, audit
    ADMIN = "admin"  # staff accounts, roles, keys, game providers; no player data by itself


P = Permission

BUILT_IN_ROLES: Mapping[str, frozenset[Permission]] = {
    StaffRole.SUPPORT: frozenset({P.DASHBOARD_READ, P.PLAYERS_READ}),
    StaffRole.KYC: frozenset({P.DASHBOARD_READ, P.PLAYERS_READ, P.KYC_READ, P.KYC_REVIEW}),
    StaffRole.RISK: frozenset(
        {
            P.DASHBOARD_READ,
            P.PLAYERS_READ,
            P.RISK_READ,
            P.RISK_CASES_WORK,
            P.RISK_RULES_READ,
            P.RISK_RULES_WRITE,
            P.RISK_RULES_PUBLISH,
            P.REPORTS_AML,
        }
    ),
    StaffRole.PAYMENTS: frozenset(
        {P.DASHBOARD_READ, P.PLAYERS_READ, P.WITHDRAWALS_REVIEW, P.DEPOSITS_REFUND, P.WALLET_ADJUST}
    ),
    StaffRole.COMPLIANCE: frozenset(
        {
            P.DASHBOARD_READ,
            P.PLAYERS_READ,
            P.RG_READ,
            P.GDPR_ERASE,
            P.REPORTS_READ,
            P.REPORTS_AML,
            P.AUDIT_READ,
        }
    ),
    StaffRole.ADMIN: frozenset(
        {
            P.DASHBOARD_READ,
            P.STAFF_MANAGE,
            P.ROLES_MANAGE,
            P.KEYS_MANAGE,
            P.PROVIDERS_MANAGE,
            P.AUDIT_READ,
            P.PLAYERS_ACCESS_LOG,
        }
    ),
}


def parse_permissions(names: Iterable[str]) -> frozenset[Permission]:
    """The permissions named; ``ValueError`` names the first unknown one."""
    known = {str(p): p for p in Permission}
    chosen: set[Permission] = set()
    for name in names:
        if name not in known:
            raise ValueError(name)
        chosen.add(known[name])
    return frozenset(chosen)


def describe(permissions: Iterable[Permission]) -> str:
    return " or ".join(sorted(str(p) for p in permissions))
