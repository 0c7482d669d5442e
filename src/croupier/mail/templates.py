"""The messages Croupier sends, as plain-text ``string.Template`` pairs.

Plain text only: nothing a player typed can become markup, and subjects take
no placeholders, so no value can reach a header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from string import Template


class MailTemplate(StrEnum):
    VERIFY_EMAIL = "verify_email"
    REGISTRATION_ATTEMPT = "registration_attempt"
    CONFIRM_EMAIL_CHANGE = "confirm_email_change"
    EMAIL_CHANGE_ATTEMPT = "email_change_attempt"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a template name, not a secret
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a template name, not a secret
    EMAIL_CHANGED = "email_changed"
    NEW_SIGN_IN = "new_sign_in"
    MFA_CHANGED = "mfa_changed"
    RECOVERY_CODE_USED = "recovery_code_used"


@dataclass(frozen=True)
class _Text:
    subject: str
    body: str


_FOOTER = "\n--\nCroupier. This message was sent automatically; replies are not read.\n"
_NOT_YOU = "If this was not you, reset your password now and contact support.\n"

_TEXTS: dict[MailTemplate, _Text] = {
    MailTemplate.VERIFY_EMAIL: _Text(
        "Welcome to Croupier: confirm your email address",
        "Hello $first_name,\n\nyour Croupier account is ready. Confirm that this address is yours\n"
        "within $hours hours by opening this link:\n\n$link\n\n"
        "Deposits open once the address is confirmed. Protect the account with a\n"
        "second factor (an authenticator app or a passkey) in your account settings.\n\n"
        "If you did not sign up, ignore this message.\n" + _FOOTER,
    ),
    MailTemplate.REGISTRATION_ATTEMPT: _Text(
        "Someone tried to sign up with your address",
        "Hello,\n\nsomeone tried to open a new Croupier account with this email address on\n"
        "$when (UTC). This address already has an account, so nothing was created.\n\n"
        "If it was you, sign in at $public_url, or reset your password there if you\n"
        "have forgotten it. If it was not you, you need not do anything.\n" + _FOOTER,
    ),
    MailTemplate.CONFIRM_EMAIL_CHANGE: _Text(
        "Confirm your new Croupier email address",
        "Hello,\n\nsomeone, hopefully you, asked to use this address for a Croupier account.\n"
        "Open this link within $hours hours to confirm it:\n\n$link\n\n"
        "Until then the account keeps its current address. If you did not ask for\n"
        "this, ignore this message.\n" + _FOOTER,
    ),
    MailTemplate.EMAIL_CHANGE_ATTEMPT: _Text(
        "Someone tried to move an account to your address",
        "Hello,\n\non $when (UTC) someone asked to move another Croupier account to this\n"
        "email address. It already belongs to your account, so nothing was changed.\n\n"
        "You need not do anything. If you keep getting these messages, contact support.\n" + _FOOTER,
    ),
    MailTemplate.PASSWORD_RESET: _Text(
        "Reset your Croupier password",
        "Hello,\n\nsomeone, hopefully you, asked to reset the password of your Croupier account.\n"
        "Open this link within $minutes minutes to choose a new one:\n\n$link\n\n"
        "The link works once. If you did not ask for it, ignore this message:\n"
        "your password stays as it is.\n" + _FOOTER,
    ),
    MailTemplate.PASSWORD_CHANGED: _Text(
        "Your Croupier password was changed",
        "Hello,\n\nthe password of your Croupier account was $how on $when (UTC),\n"
        "and every other session was signed out.\n\n"
        "If this was not you, reset your password now at $public_url and contact support.\n" + _FOOTER,
    ),
    MailTemplate.EMAIL_CHANGED: _Text(
        "Your Croupier email address was changed",
        "Hello,\n\nthe email address of your Croupier account was changed on $when (UTC)\n"
        "to $new_email_masked. Messages will go to the new address from now on.\n\n"
        "If this was not you, contact support immediately.\n" + _FOOTER,
    ),
    MailTemplate.NEW_SIGN_IN: _Text(
        "New sign-in to your Croupier account",
        "Hello,\n\nyour account was signed in to on $when (UTC) from a device it had not\n"
        "been used from before: $ip ($user_agent).\n\n"
        "If this was not you, change your password and sign out of all sessions.\n" + _FOOTER,
    ),
    MailTemplate.MFA_CHANGED: _Text(
        "A second factor of your Croupier account changed",
        "Hello,\n\n$what on $when (UTC).\n\n" + _NOT_YOU + _FOOTER,
    ),
    MailTemplate.RECOVERY_CODE_USED: _Text(
        "A recovery code of your Croupier account was used",
        "Hello,\n\na recovery code was used to prove the second factor of your Croupier\n"
        "account on $when (UTC). Each code works once; $left are left. Make a new set\n"
        "in your account settings when you run low.\n\n" + _NOT_YOU + _FOOTER,
    ),
}


def render(template: MailTemplate, context: Mapping[str, str]) -> tuple[str, str]:
    """Subject and body; a missing placeholder value is a programming error (KeyError)."""
    text = _TEXTS[template]
    return text.subject, Template(text.body).substitute(context)


def mask_address(address: str) -> str:
    """``a***@example.com``: enough for the owner to recognise, little for anyone else."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"
