"""Every domain's part in privacy requests, registered through that domain's own functions.

Add a domain here: its export section, its eraser, its retention sweep (whose period is its
activity's in ``processing``). Risk records are not exported: telling a player about an
alert or a report would be tipping-off (AML directive art. 39); they stay under the hold.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import privacy as audit_privacy
from croupier.compliance.gdpr import consent, exports
from croupier.compliance.gdpr.hooks import register_eraser, register_export_section, register_retention
from croupier.compliance.kyc import privacy as kyc_privacy
from croupier.compliance.responsible import privacy as responsible_privacy
from croupier.compliance.responsible.exclusions import privacy as exclusions_privacy
from croupier.events import privacy as events_privacy
from croupier.games import privacy as games_privacy
from croupier.identity import privacy as identity_privacy
from croupier.mail import privacy as mail_privacy
from croupier.payments import privacy as payments_privacy
from croupier.wallet import privacy as wallet_privacy


async def _consents(session: AsyncSession, player_id: uuid.UUID) -> dict[str, Any]:
    return {
        "standing": [s.__dict__ for s in await consent.standing(session, player_id=player_id)],
        "history": await consent.history(session, player_id),
    }


def install() -> None:
    register_export_section("profile", identity_privacy.export_profile)
    register_export_section("sessions", identity_privacy.export_sessions)
    register_export_section("consents", _consents)
    register_export_section("wallet", wallet_privacy.export)
    register_export_section("rounds", games_privacy.export)
    register_export_section("payments", payments_privacy.export)
    register_export_section("audit_events", audit_privacy.export)
    register_export_section("limits", responsible_privacy.export)
    register_export_section("exclusions", exclusions_privacy.export)
    register_export_section("kyc", kyc_privacy.export)

    register_eraser("identity", identity_privacy.erase)
    register_eraser("mail", mail_privacy.erase)
    register_eraser("events", events_privacy.erase)
    register_eraser("kyc", kyc_privacy.erase)

    register_retention("sessions", activity="sessions", sweep=identity_privacy.delete_ended_sessions)
    register_retention("mail", activity="mail", sweep=mail_privacy.delete_delivered_before)
    register_retention("exports", activity="exports", sweep=exports.delete_requested_before)
    register_retention("kyc_documents", activity="kyc_documents", sweep=kyc_privacy.delete_documents_before)
