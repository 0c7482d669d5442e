"""Every table, imported in one place so Alembic sees the whole schema."""

from croupier.audit.models import AuditEvent, AuditHead
from croupier.backoffice.approvals.models import ApprovalRequest
from croupier.backoffice.oauth.models import OAuthAccessToken, OAuthAssertion, OAuthClient
from croupier.compliance.gdpr.models import ConsentRecord, DataExport, Erasure
from croupier.compliance.kyc.models import KycCheck, KycDocument, KycWebhookEvent, PlayerKyc
from croupier.compliance.responsible.exclusions.models import Exclusion
from croupier.compliance.responsible.models import RgAccount, RgLimit, RgLimitChange, RgPlayer
from croupier.compliance.responsible.register.models import RegisterCheck
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
from croupier.operations.monitoring.models import OperationalCheck
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
    RiskCase,
    RiskCaseEntry,
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
from croupier.risk.sanctions.models import (
    SanctionsEntry,
    SanctionsHit,
    SanctionsImport,
    SanctionsScreening,
)
from croupier.staff.models import StaffAccount, StaffInvitation, StaffKey, StaffRoleRecord, StaffSession
from croupier.wallet.models import Currency, LedgerAccount, LedgerEntry, LedgerHold, LedgerTransfer

__all__ = [
    "ApprovalRequest",
    "AuditEvent",
    "AuditHead",
    "Base",
    "Chargeback",
    "ConsentRecord",
    "Currency",
    "DataExport",
    "Deposit",
    "DomainEvent",
    "EmailVerification",
    "Erasure",
    "EventConsumer",
    "EventCursor",
    "EventReceipt",
    "Exclusion",
    "GameProvider",
    "GameRound",
    "GameToken",
    "KnownDevice",
    "KycCheck",
    "KycDocument",
    "KycWebhookEvent",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerHold",
    "LedgerTransfer",
    "MfaTicket",
    "OAuthAccessToken",
    "OAuthAssertion",
    "OAuthClient",
    "OperationalCheck",
    "OutgoingMail",
    "Passkey",
    "PasswordReset",
    "PaymentEvent",
    "PaymentMethod",
    "Player",
    "PlayerDataKey",
    "PlayerDebt",
    "PlayerKyc",
    "PlayerSession",
    "ProviderGame",
    "ProviderTransaction",
    "RecoveryCode",
    "Refund",
    "RegisterCheck",
    "RgAccount",
    "RgLimit",
    "RgLimitChange",
    "RgPlayer",
    "RiskAlert",
    "RiskCase",
    "RiskCaseEntry",
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
    "SanctionsEntry",
    "SanctionsHit",
    "SanctionsImport",
    "SanctionsScreening",
    "SeedPair",
    "SignInGuard",
    "StaffAccount",
    "StaffInvitation",
    "StaffKey",
    "StaffRoleRecord",
    "StaffSession",
    "WebAuthnChallenge",
    "Withdrawal",
]
