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
    WELCOME = "welcome"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a template name, not a secret
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a template name, not a secret
    EMAIL_CHANGED = "email_changed"
    NEW_SIGN_IN = "new_sign_in"


@dataclass(frozen=True)
class _Text:
    subject: str
    body: str


_FOOTER = "\n--\nCroupier. This message was sent automatically; replies are not read.\n"

_TEXTS: dict[MailTemplate, _Text] = {
    MailTemplate.WELCOME: _Text(
        "Welcome to Croupier",
        "Hello $first_name,\n\nyour Croupier account is ready.\n\n"
        "Protect it with a second factor (an authenticator app or a passkey) in your\n"
        "account settings.\n" + _FOOTER,
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
        "Hello,\n\nyour account was signed in to on $when (UTC) from $ip ($user_agent).\n\n"
        "If this was not you, change your password and sign out of all sessions.\n" + _FOOTER,
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
