"""`croupier players` and `croupier mail`."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

from croupier.identity import players
from croupier.identity.models import Player
from croupier.kit.runtime import Runtime
from tests.cli_support import acroupier, refused, succeeded

pytestmark = pytest.mark.slow  # each case runs the console script

UNKNOWN = str(uuid.UUID(int=7))


async def _player(runtime: Runtime, email: str) -> str:
    """A player row found by its email address as signing in finds it (personal fields left blank)."""
    player_id = uuid.uuid4()
    async with runtime.database.unit_of_work() as session:
        session.add(
            Player(
                id=player_id,
                email_index=players.email_key(session, email),
                email_enc=b"-",
                first_name_enc=b"-",
                last_name_enc=b"-",
                date_of_birth_enc=b"-",
                country="MT",
                password_hash="-",
            )
        )
    return str(player_id)


class TestPlayers:
    async def test_show_prints_the_account(self, env: dict[str, str], runtime: Runtime) -> None:
        player_id = await _player(runtime, "ada@example.com")

        out = succeeded(await acroupier("players", "show", player_id, env=env))

        assert f"id:                {player_id}" in out
        assert "status:            active" in out

    async def test_an_unknown_id_is_refused(self, env: dict[str, str]) -> None:
        refused(await acroupier("players", "show", UNKNOWN, env=env), "No such player")
        refused(
            await acroupier("players", "disable", UNKNOWN, "--reason", "fraud", env=env), "No such player"
        )

    async def test_find_by_email_prints_what_show_prints(self, env: dict[str, str], runtime: Runtime) -> None:
        player_id = await _player(runtime, "grace@example.com")
        await _player(runtime, "someone.else@example.com")

        # Matched as signing in matches: case and surrounding blanks do not matter.
        found = succeeded(await acroupier("players", "find", "--email", " Grace@Example.COM ", env=env))
        shown = succeeded(await acroupier("players", "show", player_id, env=env))

        assert found == shown

    async def test_find_an_unknown_email_is_refused(self, env: dict[str, str], runtime: Runtime) -> None:
        await _player(runtime, "grace@example.com")

        result = await acroupier("players", "find", "--email", "nobody@example.com", env=env)

        refused(result, "no player has this email address")
        assert "nobody@example.com" not in result.stderr + result.stdout


def _drop_in_mailbox(mailbox: Path, subject: str) -> str:
    """A message as the development mailbox adapter stores it: <id>.eml."""
    message = EmailMessage()
    message["From"] = "croupier@example.com"
    message["To"] = "ada@example.com"
    message["Subject"] = subject
    message["Date"] = "Thu, 03 Dec 2026 12:00:00 +0000"
    message.set_content("Hello Ada,")
    mail_id = str(uuid.uuid4())
    mailbox.mkdir(parents=True, exist_ok=True)
    (mailbox / f"{mail_id}.eml").write_bytes(message.as_bytes())
    return mail_id


class TestMail:
    async def test_list_and_show_print_messages_as_written(
        self, env: dict[str, str], runtime: Runtime
    ) -> None:
        subject = "Your :key: is [bold]ready[/bold]"  # neither an emoji nor markup when printed
        mail_id = _drop_in_mailbox(runtime.settings.mailbox_dir, subject)

        listed = succeeded(await acroupier("mail", "list", env=env))
        shown = succeeded(await acroupier("mail", "show", mail_id[:8], env=env))

        assert mail_id[:8] in listed
        assert subject in listed
        assert f"Subject: {subject}" in shown
        assert "Hello Ada," in shown

    async def test_show_an_unknown_id_is_refused(self, env: dict[str, str]) -> None:
        refused(await acroupier("mail", "show", "0000dead", env=env), "no message with id '0000dead'")

    async def test_relay_reports_what_it_sent(self, env: dict[str, str]) -> None:
        assert succeeded(await acroupier("mail", "relay", env=env)).startswith("sent 0, failed 0;")
