"""Every table, imported in one place so Alembic sees the whole schema."""

from croupier.audit.models import AuditEvent, AuditHead
from croupier.crypto.models import PlayerDataKey
from croupier.identity.models import (
    MfaTicket,
    Passkey,
    PasswordReset,
    Player,
    PlayerSession,
    RecoveryCode,
    SignInGuard,
    WebAuthnChallenge,
)
from croupier.kit.models import Base
from croupier.mail.models import OutgoingMail
from croupier.wallet.models import Currency, LedgerAccount, LedgerEntry, LedgerHold, LedgerTransfer

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Base",
    "Currency",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerHold",
    "LedgerTransfer",
    "MfaTicket",
    "OutgoingMail",
    "Passkey",
    "PasswordReset",
    "Player",
    "PlayerDataKey",
    "PlayerSession",
    "RecoveryCode",
    "SignInGuard",
    "WebAuthnChallenge",
]
