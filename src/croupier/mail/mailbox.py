"""Reading the development mailbox that ``MailboxAdapter`` writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path


@dataclass(frozen=True)
class MailboxEntry:
    id: str
    path: Path
    message: EmailMessage

    @property
    def date(self) -> datetime:
        header = self.message["Date"]
        if header:
            try:
                return parsedate_to_datetime(str(header))
            except (TypeError, ValueError):
                pass
        return datetime.fromtimestamp(self.path.stat().st_mtime, UTC)

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        return str(part.get_content()) if isinstance(part, EmailMessage) else ""


def _read(path: Path) -> MailboxEntry:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    if not isinstance(message, EmailMessage):  # policy.default always builds EmailMessage
        raise TypeError(f"{path} did not parse as an EmailMessage")
    return MailboxEntry(id=path.stem, path=path, message=message)


def messages(directory: Path) -> list[MailboxEntry]:
    """Every message, newest first."""
    if not directory.is_dir():
        return []
    entries = [_read(path) for path in directory.glob("*.eml")]
    return sorted(entries, key=lambda entry: entry.date, reverse=True)


class UnknownMessage(LookupError):
    pass


def find(directory: Path, prefix: str) -> MailboxEntry:
    """The one message whose id starts with ``prefix`` (ids are outbox row UUIDs)."""
    prefix = prefix.strip().lower()
    matches = [path for path in directory.glob("*.eml") if prefix and path.stem.startswith(prefix)]
    if len(matches) != 1:
        raise UnknownMessage(
            f"no message with id {prefix!r}" if not matches else f"id {prefix!r} is ambiguous"
        )
    return _read(matches[0])
