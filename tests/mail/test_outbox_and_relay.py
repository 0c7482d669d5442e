from __future__ import annotations

import asyncio
import stat
import uuid
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
from fastapi import FastAPI

from croupier.kit.clock import utcnow
from croupier.kit.runtime import Runtime
from croupier.mail import mailbox, service
from croupier.mail.adapters import MailboxAdapter, PermanentMailError
from croupier.mail.relay import DrainReport, MailRelay, describe_error, retry_delay
from croupier.mail.templates import MailTemplate
from tests.factories import register
from tests.mail.helpers import deliver, mails
from tests.sql import sql
from tests.waiting import wait_until


class Recorder:
    """An adapter that keeps what it is given, optionally failing or dawdling first."""

    def __init__(self, *, fail_with: Exception | None = None, delay: float = 0.0) -> None:
        self.sent: list[tuple[uuid.UUID, EmailMessage]] = []
        self.fail_with = fail_with
        self.delay = delay
        self.arrived = asyncio.Event()

    async def send(self, mail_id: uuid.UUID, message: EmailMessage) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append((mail_id, message))
        self.arrived.set()


WELCOME = {"first_name": "Ada", "link": "https://croupier.example/verify-email?token=x", "hours": "48"}


async def queue(runtime: Runtime, player_id: str, *, to: str = "someone@example.com") -> uuid.UUID:
    async with runtime.database.unit_of_work() as session:
        return await service.enqueue(
            session,
            player_id=uuid.UUID(player_id),
            template=MailTemplate.VERIFY_EMAIL,
            to=to,
            context=WELCOME,
        )


async def player(client: httpx.AsyncClient, runtime: Runtime) -> str:
    player_id, _ = await register(client)
    await sql(runtime, "UPDATE mail_outbox SET sent_at = now()")  # the welcome mail is not the subject here
    return player_id


class TestQueueing:
    async def test_mail_is_queued_only_when_the_transaction_commits(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id = await player(client, runtime)

        async def change_that_fails() -> None:
            async with runtime.database.unit_of_work() as session:
                await service.enqueue(
                    session,
                    player_id=uuid.UUID(player_id),
                    template=MailTemplate.VERIFY_EMAIL,
                    to="rolled-back@example.com",
                    context=WELCOME,
                )
                raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError, match="the change failed"):
            await change_that_fails()
        assert await sql(runtime, "SELECT id FROM mail_outbox WHERE sent_at IS NULL") == []

    async def test_recipient_subject_and_body_are_sealed(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id = await player(client, runtime)
        mail_id = await queue(runtime, player_id, to="sealed-recipient@example.com")
        [(sealed, template)] = await sql(
            runtime, "SELECT sealed, template FROM mail_outbox WHERE id = :id", id=mail_id
        )
        assert template == "verify_email"
        for clear in (b"sealed-recipient", b"example.com", b"Welcome", b"Ada"):
            assert clear not in sealed

    async def test_a_sealed_message_cannot_be_moved_to_another_row(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id = await player(client, runtime)
        first = await queue(runtime, player_id, to="first@example.com")
        second = await queue(runtime, player_id, to="second@example.com")
        await sql(
            runtime,
            "UPDATE mail_outbox SET sealed = (SELECT sealed FROM mail_outbox WHERE id = :a) WHERE id = :b",
            a=first,
            b=second,
        )
        adapter = Recorder()
        report = await MailRelay(runtime.database, adapter, sender="x@croupier.localhost").drain()
        assert (report.sent, report.failed) == (1, 1)
        assert [mail_id for mail_id, _ in adapter.sent] == [first]


class TestMailboxDelivery:
    async def test_writes_an_owner_only_eml_and_marks_the_row_sent(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        _, data = await register(client, first_name="Grace")
        await deliver(runtime)
        [entry] = mails(runtime.settings, to=data["email"], template="verify_email")
        assert entry.path.parent == runtime.settings.mailbox_dir
        assert stat.S_IMODE(entry.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(runtime.settings.mailbox_dir.stat().st_mode) == 0o700
        message = entry.message
        assert message["From"] == runtime.settings.mail_from
        assert message["Subject"] == "Welcome to Croupier: confirm your email address"
        assert message["Message-ID"] == f"<{entry.id}@croupier.localhost>"
        assert "Hello Grace," in entry.body
        [(sent_at, attempts)] = await sql(
            runtime, "SELECT sent_at, attempts FROM mail_outbox WHERE id = :id", id=uuid.UUID(entry.id)
        )
        assert sent_at is not None
        assert attempts == 0
        # Nothing left behind by the write-then-rename.
        assert [p.name for p in runtime.settings.mailbox_dir.iterdir()] == [entry.path.name]

    async def test_resending_a_message_replaces_its_file(
        self, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        directory = tmp_path_factory.mktemp("box")
        adapter = MailboxAdapter(directory)
        mail_id = uuid.uuid4()
        for subject in ("first", "second"):
            message = EmailMessage()
            message["Subject"] = subject
            message.set_content("body")
            await adapter.send(mail_id, message)
        [entry] = mailbox.messages(directory)
        assert entry.message["Subject"] == "second"


class TestRetries:
    async def test_a_failure_is_recorded_scrubbed_and_retried_later(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id = await player(client, runtime)
        mail_id = await queue(runtime, player_id, to="victim@example.com")
        leaky = RuntimeError("550 <victim@example.com> refused; token crp_" + "A" * 43)
        failing = MailRelay(runtime.database, Recorder(fail_with=leaky), sender="x@croupier.localhost")
        assert (await failing.drain()).failed == 1
        [(attempts, next_at, error, sent_at)] = await sql(
            runtime,
            "SELECT attempts, next_attempt_at, last_error, sent_at FROM mail_outbox WHERE id = :id",
            id=mail_id,
        )
        assert (attempts, sent_at) == (1, None)
        assert next_at > utcnow() + timedelta(seconds=20)
        assert "victim" not in error
        assert "crp_" not in error
        assert error.startswith("RuntimeError: 550")

        working = Recorder()
        relay = MailRelay(runtime.database, working, sender="x@croupier.localhost")
        assert (await relay.drain()).sent == 0  # not due yet
        await sql(runtime, "UPDATE mail_outbox SET next_attempt_at = now() - interval '1 second'")
        assert (await relay.drain()).sent == 1
        assert [sent_id for sent_id, _ in working.sent] == [mail_id]
        [(sent_at, last_error)] = await sql(
            runtime, "SELECT sent_at, last_error FROM mail_outbox WHERE id = :id", id=mail_id
        )
        assert sent_at is not None
        assert last_error is None

    async def test_gives_up_after_the_last_attempt(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player_id = await player(client, runtime)
        await queue(runtime, player_id)
        relay = MailRelay(
            runtime.database,
            Recorder(fail_with=OSError("down")),
            sender="x@croupier.localhost",
            max_attempts=3,
        )
        for _ in range(3):
            assert (await relay.drain()).failed == 1
            await sql(runtime, "UPDATE mail_outbox SET next_attempt_at = now() - interval '1 second'")
        assert (await relay.drain()).failed == 0
        [(attempts,)] = await sql(runtime, "SELECT attempts FROM mail_outbox WHERE sent_at IS NULL")
        assert attempts == 3
        assert await relay.counts() == (0, 1)

    async def test_a_permanent_refusal_is_not_retried(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id = await player(client, runtime)
        await queue(runtime, player_id)
        refused = Recorder(fail_with=PermanentMailError("the server refused the recipient"))
        relay = MailRelay(runtime.database, refused, sender="x@croupier.localhost")
        await relay.drain()
        assert await relay.counts() == (0, 1)

    def test_backoff_doubles_up_to_an_hour(self) -> None:
        assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
        assert retry_delay(50) == timedelta(hours=1)

    def test_errors_keep_no_addresses(self) -> None:
        error = describe_error(OSError("{'ada@example.com': (550, b'no such user')}"))
        assert "ada@example.com" not in error
        assert "[ADDRESS]" in error


class TestSeveralRelays:
    async def test_concurrent_relays_send_each_message_once(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id = await player(client, runtime)
        queued = {await queue(runtime, player_id) for _ in range(12)}
        adapters = [Recorder(delay=0.01), Recorder(delay=0.01)]
        relays = [MailRelay(runtime.database, a, sender="x@croupier.localhost") for a in adapters]
        reports = await asyncio.gather(*(relay.drain() for relay in relays))
        sent = [mail_id for adapter in adapters for mail_id, _ in adapter.sent]
        assert sorted(sent) == sorted(queued)
        assert sum(report.sent for report in reports) == 12
        assert all(adapter.sent for adapter in adapters)  # both took a share


class TestBackgroundRelay:
    async def test_a_commit_wakes_the_relay(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player_id = await player(client, runtime)
        adapter = Recorder()
        relay = MailRelay(runtime.database, adapter, sender="x@croupier.localhost", sweep_seconds=3600)
        sweeps = 0
        drain = relay.drain

        async def counted() -> DrainReport:
            nonlocal sweeps
            report = await drain()
            sweeps += 1
            return report

        relay.drain = counted  # type: ignore[method-assign]
        relay.start()
        try:
            await wait_until(lambda: sweeps == 1)  # the first sweep found nothing; the next is an hour away
            mail_id = await queue(runtime, player_id)
            await asyncio.wait_for(adapter.arrived.wait(), timeout=5)
            assert adapter.sent[0][0] == mail_id
        finally:
            await relay.stop()
        assert service.WAKE_KEY not in runtime.database.shared

    async def test_the_sweep_sends_mail_nobody_woke_it_for(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id = await player(client, runtime)
        adapter = Recorder()
        relay = MailRelay(runtime.database, adapter, sender="x@croupier.localhost", sweep_seconds=0.2)
        relay.start()
        try:
            # As if another process, with no relay of its own, queued the mail.
            runtime.database.shared.pop(service.WAKE_KEY)
            await queue(runtime, player_id)
            await asyncio.wait_for(adapter.arrived.wait(), timeout=5)
        finally:
            await relay.stop()

    async def test_the_app_lifespan_runs_the_relay(
        self, app: FastAPI, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        async with app.router.lifespan_context(app):
            assert service.WAKE_KEY in runtime.database.shared
            _, data = await register(client)
            await wait_until(lambda: bool(mails(runtime.settings, to=data["email"])))
            assert mails(runtime.settings, to=data["email"], template="verify_email")
        assert service.WAKE_KEY not in runtime.database.shared
