from __future__ import annotations

import httpx

from croupier.kit.runtime import Runtime
from croupier.mail.cli import app
from tests.factories import register
from tests.mail.helpers import invoke, mails
from tests.sql import sql


class TestMailCommands:
    async def test_relay_then_list_and_show(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        _, data = await register(client, first_name="Hedy")

        relayed = await invoke(app, ["relay"], runtime.settings)
        assert relayed.exit_code == 0, relayed.output
        assert relayed.stdout.startswith("sent 1, failed 0; 0 waiting, 0 given up")
        [entry] = mails(runtime.settings, to=data["email"])
        [(sent_at,)] = await sql(runtime, "SELECT sent_at FROM mail_outbox")
        assert sent_at is not None

        listed = await invoke(app, ["list"], runtime.settings)
        assert listed.exit_code == 0, listed.output
        assert entry.id[:8] in listed.stdout
        assert "Welcome to Croupier" in listed.stdout

        shown = await invoke(app, ["show", entry.id[:8]], runtime.settings)
        assert shown.exit_code == 0, shown.output
        assert f"To: {data['email']}" in shown.stdout
        assert "Hello Hedy," in shown.stdout

    async def test_show_refuses_an_unknown_id(self, runtime: Runtime) -> None:
        shown = await invoke(app, ["show", "0123abcd"], runtime.settings)
        assert shown.exit_code == 1
        assert "no message" in shown.stderr

    async def test_list_says_when_the_mailbox_is_empty(self, runtime: Runtime) -> None:
        listed = await invoke(app, ["list"], runtime.settings)
        assert listed.exit_code == 0
        assert "no messages" in listed.stdout
