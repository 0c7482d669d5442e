"""Where relayed mail goes: a development mailbox folder, or an SMTP server."""

from __future__ import annotations

import ipaddress
import os
import secrets
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import anyio.to_thread
import structlog
from pydantic import SecretStr

from croupier.kit.settings import Settings

SMTP_TIMEOUT_SECONDS = 30.0
_log = structlog.get_logger("croupier.mail")


class MailAdapter(Protocol):
    async def send(self, mail_id: uuid.UUID, message: EmailMessage) -> None:
        """Deliver or raise; ``PermanentMailError`` means retrying cannot help."""


class PermanentMailError(Exception):
    """The message can never be delivered as it is (the server refused the recipient)."""


class MailboxAdapter:
    """Writes each message as ``<outbox id>.eml`` (RFC 5322) in a local folder.

    For development and tests: the files hold reset links in clear, so they
    are created owner-only (0600) and the folder 0700. Writing to a temporary
    name and renaming makes each file appear whole, and a resend of the same
    outbox row replaces its file instead of adding a second one.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, mail_id: uuid.UUID, message: EmailMessage) -> None:
        await anyio.to_thread.run_sync(self._write, mail_id, message.as_bytes())

    def _write(self, mail_id: uuid.UUID, data: bytes) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.directory / f"{mail_id}.eml"
        partial = self.directory / f".{mail_id}.{secrets.token_hex(4)}.partial"
        # O_EXCL refuses an existing file or a planted symlink at the temporary name.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpAdapter:
    """Sends through an SMTP relay with ``smtplib``, in a worker thread so the event loop never blocks."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str | None = None,
        password: SecretStr | None = None,
        starttls: bool = True,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        if username and not starttls and not _is_loopback(host):
            # Credentials would cross the network in clear.
            raise ValueError("CROUPIER_SMTP_USERNAME needs CROUPIER_SMTP_STARTTLS unless the relay is local")
        self.host, self.port, self.timeout = host, port, timeout
        self._username, self._password, self._starttls = username, password, starttls

    async def send(self, mail_id: uuid.UUID, message: EmailMessage) -> None:  # noqa: ARG002 - protocol
        await anyio.to_thread.run_sync(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username:
                    secret = self._password.get_secret_value() if self._password else ""
                    smtp.login(self._username, secret)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentMailError("the server refused the recipient") from exc
        except smtplib.SMTPDataError as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentMailError(f"the server refused the message ({exc.smtp_code})") from exc
            raise


def adapter_from_settings(settings: Settings) -> MailAdapter:
    if settings.mail_backend == "smtp":
        return SmtpAdapter(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )
    if settings.environment == "production":
        # Allowed (a closed deployment may collect mail from the folder), but worth saying.
        _log.warning("mail_backend_mailbox_in_production", directory=str(settings.mailbox_dir))
    return MailboxAdapter(settings.mailbox_dir)
