"""Retention: `croupier gdpr retention` removes what is past its period in the record of
processing (article 30), which `croupier gdpr processing` prints and the README shows."""

from __future__ import annotations

from pathlib import Path

from tests.cli_support import acroupier, bare_env_for, env_for, succeeded
from tests.compliance.gdpr.support import ready_export
from tests.factories import sign_in
from tests.payments.support import Live
from tests.sql import sql
from tests.waiting import wait_until

README = Path(__file__).resolve().parents[3] / "README.md"


async def _count(live: Live, table: str, player_id: str) -> int:
    [(n,)] = await sql(live.runtime, f"SELECT count(*) FROM {table} WHERE player_id = :p", p=player_id)  # noqa: S608 - the tests' own table names
    return int(n)


async def test_retention_removes_only_what_is_past_its_period_and_says_so(live: Live) -> None:
    player = await live.player()
    again = await sign_in(live.http, player.email)
    assert again.status_code == 201, again.text
    shown = await ready_export(live, player)
    downloaded = await live.http.get(shown["download_path"], headers=player.headers)
    assert downloaded.status_code == 200

    async def mail_delivered() -> bool:
        rows = await sql(live.runtime, "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL")
        return bool(rows[0][0] == 0)

    await wait_until(mail_delivered, within=30)
    mails = await _count(live, "mail_outbox", player.id)
    assert mails >= 1
    # One session ended 31 days ago (the period is 30), one is live; the mail went out 31 days
    # ago; the export was asked for 8 days ago (its period is 7).
    await sql(
        live.runtime,
        "UPDATE player_sessions SET expires_at = now() - interval '31 days'"
        " WHERE id = (SELECT id FROM player_sessions WHERE player_id = :p ORDER BY created_at LIMIT 1)",
        p=player.id,
    )
    await sql(
        live.runtime,
        "UPDATE mail_outbox SET sent_at = now() - interval '31 days' WHERE player_id = :p",
        p=player.id,
    )
    await sql(
        live.runtime,
        "UPDATE data_exports SET created_at = now() - interval '8 days' WHERE player_id = :p",
        p=player.id,
    )

    out = succeeded(await acroupier("gdpr", "retention", env=env_for(live.settings)))
    lines = {line.split(":")[0]: line for line in out.splitlines()}
    assert "removed 1 " in lines["sessions"]
    assert f"removed {mails} " in lines["mail"]
    assert "removed 1 " in lines["exports"]
    assert (
        await _count(live, "player_sessions", player.id),
        await _count(live, "mail_outbox", player.id),
    ) == (1, 0)
    assert await _count(live, "data_exports", player.id) == 0
    # The session still in use was kept: the player is still signed in.
    assert (
        await live.http.get("/v1/me", headers={"Authorization": f"Bearer {again.json()['token']}"})
    ).status_code == 200

    # Nothing more is due: a second run removes nothing.
    out = succeeded(await acroupier("gdpr", "retention", env=env_for(live.settings)))
    assert all("removed 0 " in line for line in out.splitlines()), out
    [(runs,)] = await sql(
        live.runtime, "SELECT count(*) FROM audit_events WHERE action = 'gdpr:retention:sweep'"
    )
    assert runs == 2


async def test_the_record_of_processing_is_printed_and_the_readme_shows_it(tmp_path: Path) -> None:
    table = succeeded(await acroupier("gdpr", "processing", env=bare_env_for(tmp_path))).strip()
    assert table.startswith("| activity | personal data | purpose | lawful basis | kept | at erasure |")
    assert table in README.read_text()
