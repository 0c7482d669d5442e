"""Every table, imported in one place so Alembic sees the whole schema."""

from croupier.audit.models import AuditEvent, AuditHead
from croupier.crypto.models import PlayerDataKey
from croupier.events.models import DomainEvent, EventConsumer, EventCursor, EventReceipt
from croupier.games.models import GameRound, RoundAction, SeedPair
from croupier.identity.models import (
    EmailVerification,
    KnownDevice,
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
from croupier.payments.models import (
    Chargeback,
    Deposit,
    PaymentEvent,
    PaymentMethod,
    PlayerDebt,
    Refund,
    Withdrawal,
)
from croupier.providers.models import GameProvider, GameToken, ProviderGame, ProviderTransaction
from croupier.risk.models import (
    RiskAlert,
    RiskCounter,
    RiskDecision,
    RiskLink,
    RiskModel,
    RiskPlayerMoney,
    RiskPlayerState,
    RiskRule,
    RiskRuleSet,
    RiskWatermark,
)
from croupier.staff.models import StaffKey
from croupier.wallet.models import Currency, LedgerAccount, LedgerEntry, LedgerHold, LedgerTransfer

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Base",
    "Chargeback",
    "Currency",
    "Deposit",
    "DomainEvent",
    "EmailVerification",
    "EventConsumer",
    "EventCursor",
    "EventReceipt",
    "GameProvider",
    "GameRound",
    "GameToken",
    "KnownDevice",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerHold",
    "LedgerTransfer",
    "MfaTicket",
    "OutgoingMail",
    "Passkey",
    "PasswordReset",
    "PaymentEvent",
    "PaymentMethod",
    "Player",
    "PlayerDataKey",
    "PlayerDebt",
    "PlayerSession",
    "ProviderGame",
    "ProviderTransaction",
    "RecoveryCode",
    "Refund",
    "RiskAlert",
    "RiskCounter",
    "RiskDecision",
    "RiskLink",
    "RiskModel",
    "RiskPlayerMoney",
    "RiskPlayerState",
    "RiskRule",
    "RiskRuleSet",
    "RiskWatermark",
    "RoundAction",
    "SeedPair",
    "SignInGuard",
    "StaffKey",
    "WebAuthnChallenge",
    "Withdrawal",
]
