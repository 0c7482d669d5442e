"""Run the installed ``croupier`` console script as an operator does: a process of its own.

Exit status, standard output and standard error are the contract of every command:
0 done, 1 refused or a check failed (``croupier: <reason>`` on standard error),
2 a usage error; never a Python traceback.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from croupier.kit.settings import Settings

CROUPIER = Path(sys.executable).with_name("croupier")
COMMAND_TIMEOUT_SECONDS = 180.0


def bare_env_for(data_dir: Path) -> dict[str, str]:
    """The caller's environment minus every CROUPIER_* variable, plus a data folder of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
    env.update({"CROUPIER_ENVIRONMENT": "test", "CROUPIER_DATA_DIR": str(data_dir)})
    return env


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """As ``bare_env_for``, plus the test's database and keys (and its cheap password hashing)."""
    assert settings.database_url is not None
    assert settings.keyring is not None
    env = bare_env_for(settings.data_dir)
    env.update(
        {
            "CROUPIER_DATABASE_URL": settings.database_url.get_secret_value(),
            "CROUPIER_KEYRING": settings.keyring.get_secret_value(),
            "CROUPIER_ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
            "CROUPIER_ARGON2_TIME_COST": str(settings.argon2_time_cost),
            "CROUPIER_ARGON2_PARALLELISM": str(settings.argon2_parallelism),
            "COLUMNS": "250",  # wide tables: no folded cells in assertions
        }
    )
    env.update(extra)
    return env


def croupier(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``croupier ARGS…``, run to completion; output captured as text."""
    return subprocess.run(  # noqa: S603 - our own console script, arguments chosen by the test
        [str(CROUPIER), *args],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )


async def acroupier(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """From an async test: the test's own event loop keeps running meanwhile."""
    return await asyncio.to_thread(croupier, *args, env=env)


def refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    """Exit 1 with ``croupier: …reason…`` on standard error, and no traceback."""
    assert result.returncode == 1, _shown(result)
    assert result.stderr.startswith("croupier: "), _shown(result)
    assert reason in result.stderr, _shown(result)
    assert "Traceback" not in result.stderr, _shown(result)


def usage_error(result: subprocess.CompletedProcess[str], mentions: str) -> None:
    """Exit 2 with click's short usage message on standard error, and no traceback."""
    assert result.returncode == 2, _shown(result)
    assert "Usage: croupier" in result.stderr, _shown(result)
    assert mentions in result.stderr, _shown(result)
    assert "Traceback" not in result.stderr, _shown(result)


def succeeded(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 0; returns standard output."""
    assert result.returncode == 0, _shown(result)
    assert "Traceback" not in result.stderr, _shown(result)
    return result.stdout


def _shown(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
