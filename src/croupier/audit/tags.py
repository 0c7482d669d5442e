"""The enumerated audit actions, ``source:subject:action``."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    PLAYER_REGISTER = "identity:player:register"
    PLAYER_DISABLE = "identity:player:disable"
    PLAYER_ENABLE = "identity:player:enable"
    SIGN_IN = "identity:session:sign_in"
    SIGN_OUT = "identity:session:sign_out"
    SESSION_REVOKE = "identity:session:revoke"
    ACCOUNT_LOCK = "identity:account:lock"
    SIGN_IN_THROTTLED = "identity:session:throttle"
    PASSWORD_CHANGE = "identity:password:change"
    PASSWORD_RESET_REQUEST = "identity:password:reset_request"
    PASSWORD_RESET = "identity:password:reset"
    EMAIL_CHANGE = "identity:email:change"
    EMAIL_CHANGE_REQUEST = "identity:email:change_request"
    EMAIL_VERIFY = "identity:email:verify"
    TOTP_ENROLL = "identity:mfa:totp_enroll"
    TOTP_CONFIRM = "identity:mfa:totp_confirm"
    TOTP_DISABLE = "identity:mfa:totp_disable"
    RECOVERY_REGENERATE = "identity:mfa:recovery_regenerate"
    RECOVERY_USE = "identity:mfa:recovery_use"
    PASSKEY_REGISTER = "identity:mfa:passkey_register"
    PASSKEY_REMOVE = "identity:mfa:passkey_remove"
    MFA_VERIFY = "identity:mfa:verify"
    STEP_UP = "identity:session:step_up"
    KEYRING_ROTATE = "crypto:keyring:rotate"
    KEYRING_REWRAP = "crypto:keyring:rewrap"
    KEYRING_RETIRE = "crypto:keyring:retire"
    WALLET_ADJUST = "wallet:balance:adjust"
    PAYMENT_METHOD_ADD = "payments:method:add"
    DEPOSIT_CREATE = "payments:deposit:create"
    DEPOSIT_CREDIT = "payments:deposit:credit"
    DEPOSIT_FAIL = "payments:deposit:fail"
    WITHDRAWAL_REQUEST = "payments:withdrawal:request"
    WITHDRAWAL_CANCEL = "payments:withdrawal:cancel"
    WITHDRAWAL_APPROVE = "payments:withdrawal:approve"
    WITHDRAWAL_REJECT = "payments:withdrawal:reject"
    WITHDRAWAL_PAID = "payments:withdrawal:paid"
    WITHDRAWAL_FAIL = "payments:withdrawal:fail"
    REFUND_REQUEST = "payments:refund:request"
    REFUND_SETTLE = "payments:refund:settle"
    CHARGEBACK = "payments:chargeback:receive"
    DEBT_COLLECT = "payments:debt:collect"
    WEBHOOK_REJECT = "payments:webhook:reject"
    RISK_DECISION = "risk:decision:decide"
    RISK_FALLBACK = "risk:decision:fallback"
    RISK_RULE_ADD = "risk:rule:add"
    RISK_RULE_REMOVE = "risk:rule:remove"
    RISK_RULE_SET_PUBLISH = "risk:rule_set:publish"
    STAFF_KEY_ISSUE = "staff:key:issue"
    STAFF_KEY_REVOKE = "staff:key:revoke"
    PROVIDER_ADD = "providers:provider:add"
    PROVIDER_GAMES_ADD = "providers:provider:games_add"
    PROVIDER_LIMITS_SET = "providers:provider:limits_set"
    PROVIDER_DISABLE = "providers:provider:disable"
    PROVIDER_ENABLE = "providers:provider:enable"
    GAME_TOKEN_ISSUE = "providers:token:issue"
    PROVIDER_CALL_REJECT = "providers:call:reject"


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class ActorType(StrEnum):
    PLAYER = "player"
    ANONYMOUS = "anonymous"
    OPERATOR = "operator"  # a person at the command line
    STAFF = "staff"  # a staff member through the API, by key name
    PROVIDER = "provider"  # a third party's signed callback
    SYSTEM = "system"
