"""What the database drills share: a scratch folder, Croupier commands against a drill's own
database, and a registered player to move money for."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess  # nosec B404 - runs the croupier console script itself, with argument lists
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from croupier.kit.processes import croupier_command
from croupier.kit.settings import Settings

COMMAND_TIMEOUT_SECONDS = 120.0
# Cheap password hashing for the drill's one player: the drill measures the database, not argon2.
CHEAP_ARGON2 = {
    "CROUPIER_ARGON2_MEMORY_KIB": "19456",
    "CROUPIER_ARGON2_TIME_COST": "2",
    "CROUPIER_ARGON2_PARALLELISM": "1",
}


@contextmanager
def scratch_folder(name: str, *, keep: bool) -> Iterator[Path]:
    """A private folder for the drill's clusters and backups; removed afterwards unless KEEP."""
    folder = Path(tempfile.mkdtemp(prefix=f"croupier-drill-{name}-"))
    try:
        yield folder
    finally:
        if keep:
            print(f"kept {folder}", file=sys.stderr)  # noqa: T201 - the operator asked for it
        else:
            shutil.rmtree(folder, ignore_errors=True)


def drill_env(*, data_dir: Path, database_url: str, keyring: str, **extra: str) -> dict[str, str]:
    """The environment of a croupier command on the drill's database: none of the operator's settings
    (a drill must never touch the real database) except where PostgreSQL's binaries are."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
    env.update(CHEAP_ARGON2)
    env.update(
        {
            "CROUPIER_ENVIRONMENT": "test",
            "CROUPIER_DATA_DIR": str(data_dir),
            "CROUPIER_DATABASE_URL": database_url,
            "CROUPIER_KEYRING": keyring,
            "CROUPIER_LOG_LEVEL": "warning",
            "COLUMNS": "200",
        }
    )
    if os.environ.get("CROUPIER_PG_BIN"):
        env["CROUPIER_PG_BIN"] = os.environ["CROUPIER_PG_BIN"]
    env.update(extra)
    return env


def croupier(
    *args: str, env: Mapping[str, str], timeout: float = COMMAND_TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    """Run ``croupier ARGS`` as an operator would (the same Croupier the drill runs in); output captured."""
    return subprocess.run(  # noqa: S603  # nosec B603 - our own console script, arguments chosen here
        [*croupier_command(), *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def said(result: subprocess.CompletedProcess[str]) -> str:
    """A failed command's last words, for a broken promise."""
    return (
        (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:][0]
        if (result.stderr or result.stdout)
        else f"exit {result.returncode}"
    )


def register_player(env: Mapping[str, str]) -> uuid.UUID:
    """Register one player through the registration service, on the database ENV names."""
    from croupier.identity.account.registration import register
    from croupier.identity.passwords import Passwords
    from croupier.kit.client import ClientInfo
    from croupier.kit.logging import configure_logging
    from croupier.kit.runtime import Runtime

    configure_logging("warning")  # the drill prints its report, not the service's log

    # The drill's environment only, exactly as its croupier commands see it: none of the
    # operator's settings (a real national register, a real database) may reach the drill.
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        settings = Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)

    async def _register() -> uuid.UUID:
        runtime = await Runtime.start(settings)
        try:
            async with runtime.database.unit_of_work() as session:
                player_id = await register(
                    session,
                    settings=settings,
                    passwords=Passwords(settings),
                    email=f"drill-{uuid.uuid4().hex[:12]}@example.com",
                    password=f"pw-{uuid.uuid4().hex}",
                    first_name="Drill",
                    last_name="Player",
                    date_of_birth=date(1990, 1, 1),
                    country="MT",
                    client=ClientInfo.command_line(),
                )
        finally:
            await runtime.close()
        if player_id is None:
            raise RuntimeError("a fresh address was reported taken")
        return player_id

    return asyncio.run(_register())
