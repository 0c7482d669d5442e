from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from croupier.mail.adapters import PermanentMailError, SmtpAdapter


class FakeSmtpServer:
    """Just enough SMTP (RFC 5321) on loopback to receive what smtplib sends."""

    def __init__(self, *, refuse_recipients: bool = False) -> None:
        self.refuse_recipients = refuse_recipients
        self.received: list[tuple[list[str], bytes]] = []
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        recipients: list[str] = []
        lines: list[bytes] = []
        in_data = False
        writer.write(b"220 fake ESMTP\r\n")
        while line := await reader.readline():
            if in_data:
                if line == b".\r\n":
                    self.received.append((recipients, b"".join(lines)))
                    recipients, lines, in_data = [], [], False
                    writer.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-fake\r\n250 8BITMIME\r\n")
            elif verb == b"RCPT":
                if self.refuse_recipients:
                    writer.write(b"550 no such user\r\n")
                else:
                    recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                    writer.write(b"250 ok\r\n")
            elif verb == b"DATA":
                in_data = True
                writer.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


@pytest.fixture
async def smtp_server() -> AsyncIterator[FakeSmtpServer]:
    fake = FakeSmtpServer()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    async with server:
        yield fake
        server.close()


def message(to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Croupier <no-reply@croupier.localhost>"
    msg["To"] = to
    msg["Subject"] = "Reset your Croupier password"
    msg.set_content("Open https://croupier.example/reset-password?token=crp_x\n")
    return msg


class TestSmtpAdapter:
    async def test_sends_through_the_relay(self, smtp_server: FakeSmtpServer) -> None:
        adapter = SmtpAdapter(host="127.0.0.1", port=smtp_server.port, starttls=False, timeout=5)
        await adapter.send(uuid.uuid4(), message("ada@example.com"))
        [(recipients, data)] = smtp_server.received
        assert recipients == ["ada@example.com"]
        received = message_from_bytes(data, policy=policy.default)
        assert received["Subject"] == "Reset your Croupier password"

    async def test_a_refused_recipient_is_a_permanent_failure(self, smtp_server: FakeSmtpServer) -> None:
        smtp_server.refuse_recipients = True
        adapter = SmtpAdapter(host="127.0.0.1", port=smtp_server.port, starttls=False, timeout=5)
        with pytest.raises(PermanentMailError):
            await adapter.send(uuid.uuid4(), message("nobody@example.com"))

    async def test_an_unreachable_relay_is_a_temporary_failure(self) -> None:
        adapter = SmtpAdapter(host="127.0.0.1", port=1, starttls=False, timeout=2)
        with pytest.raises(ConnectionRefusedError):
            await adapter.send(uuid.uuid4(), message("ada@example.com"))

    def test_refuses_to_send_credentials_in_clear_over_the_network(self) -> None:
        with pytest.raises(ValueError, match="STARTTLS"):
            SmtpAdapter(host="smtp.example.com", port=25, username="croupier", starttls=False)
        SmtpAdapter(host="127.0.0.1", port=25, username="croupier", starttls=False)  # local relay: fine
