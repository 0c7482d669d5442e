"""A full dump of the database holds no player's email, name or date of birth in the clear.

This is what leaks when a backup does: everything personal must be sealed, and
the email look-up must be a keyed index rather than the address or its hash.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import subprocess
from datetime import date
from pathlib import Path

import httpx
import pytest

from tests.factories import register, sign_in


def _pg_dump() -> str:
    if not os.environ.get("CROUPIER_TEST_DATABASE_URL"):
        spec = importlib.util.find_spec("pgserver")
        if spec is not None and spec.origin is not None:
            bundled = Path(spec.origin).parent / "pginstall" / "bin" / "pg_dump"
            if bundled.exists():  # the same version as the embedded server
                return str(bundled)
    found = shutil.which("pg_dump")
    if found is None:
        pytest.skip("pg_dump is not installed")
    return found


def _dump(database_url: str) -> str:
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    result = subprocess.run(  # noqa: S603 - fixed binary, arguments built here
        [_pg_dump(), "--no-owner", "--no-privileges", f"--dbname={url}"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return result.stdout.decode()


def _date_forms(day: date) -> set[str]:
    d, m, y = day.day, day.month, day.year
    return {
        day.isoformat(),
        f"{y}{m:02}{d:02}",
        f"{y}/{m:02}/{d:02}",
        f"{d:02}/{m:02}/{y}",
        f"{m:02}/{d:02}/{y}",
        f"{d:02}.{m:02}.{y}",
        f"{d:02}-{m:02}-{y}",
        f"{m:02}-{d:02}-{y}",
        f"{d}/{m}/{y}",
        f"{m}/{d}/{y}",
        f"{d}.{m}.{y}",
        day.strftime("%d %B %Y"),
        day.strftime("%B %d, %Y"),
        day.strftime("%d %b %Y"),
    }


async def test_a_dump_holds_no_personal_data_in_the_clear(
    client: httpx.AsyncClient, database_url: str
) -> None:
    players = []
    for i in range(4):
        tag = secrets.token_hex(4)
        born = date(1961 + i * 7, 1 + i * 3, 13 + i * 4)
        player_id, data = await register(
            client,
            email=f"Dump.Test-{tag}@Example.org",
            first_name=f"Theodora{tag}",
            last_name=f"Vasquez-{tag}",
            date_of_birth=born.isoformat(),
        )
        assert (await sign_in(client, data["email"])).status_code == 201
        players.append((player_id, data, born))

    dump = _dump(database_url)
    folded = dump.casefold()

    # The dump is real and holds the players: the test could fail.
    copy_players = dump[dump.index("COPY public.players") :]
    copy_players = copy_players[: copy_players.index("\\.")]
    for player_id, _, _ in players:
        assert player_id in copy_players
    assert "COPY public.audit_events" in dump
    assert "COPY public.player_data_keys" in dump

    for _, data, born in players:
        email = data["email"]
        for needle in (email, email.split("@")[0], data["first_name"], data["last_name"]):
            assert needle.casefold() not in folded, needle
        # Hex, as PostgreSQL dumps bytea, so a stray unsealed byte string shows too.
        for needle in (email, email.casefold(), data["first_name"], data["last_name"]):
            assert needle.encode().hex() not in folded, needle
        for form in _date_forms(born):
            assert form.casefold() not in folded, form
