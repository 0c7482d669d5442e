"""Replication lag, sampled from PostgreSQL's own views on a real primary and its streaming standby.

The test builds both from the embedded server's binaries: a primary of its own, a standby
cloned from it with ``pg_basebackup -R``, streaming over the primary's socket.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess  # nosec B404 - PostgreSQL's own tools, fixed arguments
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pgserver._commands import POSTGRES_BIN_PATH
from prometheus_client import generate_latest

from croupier.kit import migrate
from croupier.kit.db import Database
from croupier.kit.embedded import start_embedded_server, to_sqlalchemy_url
from croupier.kit.metrics import REGISTRY, REPLICATION_LAG
from croupier.kit.runtime import Runtime
from croupier.operations.monitoring.sampler import Sampler
from tests.conftest import make_settings
from tests.kit.test_ops import samples

pytestmark = pytest.mark.slow

LAG = "croupier_database_replication_lag_seconds"
# pgserver runs PostgreSQL as this account when the tests run as root (PostgreSQL refuses root).
SERVER_ACCOUNT = "pgserver"


@dataclass
class Pair:
    root: Path
    primary_url: str
    standby_url: str
    standby_dir: Path
    run_as: str | None

    def pg(self, tool: str, *args: str) -> None:
        # PostgreSQL's own tool with arguments of the test's own; no shell.
        subprocess.run(  # noqa: S603 # nosec B603
            [str(POSTGRES_BIN_PATH / tool), *args],
            check=True,
            user=self.run_as,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def stop_standby(self) -> None:
        self.pg("pg_ctl", "-D", str(self.standby_dir), "-w", "-m", "fast", "stop")


def _owned_dir(path: Path, run_as: str | None) -> Path:
    path.mkdir(mode=0o700)
    if run_as is not None:
        account = pwd.getpwnam(run_as)
        os.chown(path, account.pw_uid, account.pw_gid)
    return path


def _wait_for(conninfo: str, query: str, want: Any) -> None:
    deadline = time.monotonic() + 30
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while (found := conn.execute(query).fetchone()) != want:
            if time.monotonic() > deadline:
                pytest.fail(f"{query!r} gave {found}, not {want}")
            time.sleep(0.1)


@pytest.fixture
def pair() -> Iterator[Pair]:
    root = Path(tempfile.mkdtemp(prefix="croupier-replication-"))
    root.chmod(0o755)  # the server's account must reach its folders  # nosec B103
    run_as = SERVER_ACCOUNT if os.geteuid() == 0 else None
    primary = start_embedded_server(root / "primary", delete_on_exit=True)
    info = primary.get_postmaster_info()
    primary_socket, port = str(info.socket_dir), str(info.port)
    standby_dir = _owned_dir(root / "standby", run_as)
    standby_socket = _owned_dir(root / "standby-socket", run_as)
    pair = Pair(
        root=root,
        primary_url=primary.get_uri("postgres"),
        standby_url=f"postgresql://postgres@/postgres?host={standby_socket}&port={port}",
        standby_dir=standby_dir,
        run_as=run_as,
    )
    pair.pg("pg_basebackup", "-h", primary_socket, "-p", port, "-U", "postgres", "-D", str(standby_dir), "-R")
    options = f"-p {port} -k {standby_socket} -c listen_addresses=''"
    log = str(standby_socket / "standby.log")
    pair.pg("pg_ctl", "-D", str(standby_dir), "-w", "-l", log, "-o", options, "start")
    _wait_for(pair.primary_url, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", (1,))
    yield pair
    if (standby_dir / "postmaster.pid").exists():
        pair.stop_standby()
    # The primary's folder goes when this process ends (pgserver); the standby's is ours to remove.
    shutil.rmtree(standby_dir, ignore_errors=True)
    shutil.rmtree(standby_socket, ignore_errors=True)


@pytest.fixture(autouse=True)
def forget_the_lag() -> Iterator[None]:
    """The registry is the process's: no series of these servers is left for the next test."""
    REPLICATION_LAG.clear()
    yield
    REPLICATION_LAG.clear()


async def _runtime(url: str, tmp_path: Path, keyring_json: str) -> Runtime:
    database = Database.from_url(to_sqlalchemy_url(url))
    return await Runtime.start(make_settings(url, keyring_json, tmp_path), database=database)


def _lag() -> list[tuple[str, dict[str, str], float]]:
    return samples(generate_latest(REGISTRY).decode(), LAG)


async def test_the_primary_reports_its_standby_and_the_standby_its_replay(
    pair: Pair, tmp_path: Path, keyring_json: str
) -> None:
    primary = await _runtime(pair.primary_url, tmp_path, keyring_json)
    try:
        await migrate.upgrade(primary.database.engine)  # the tables the sampler reads, replicated too
        sampler = Sampler(primary)
        await sampler.sample()
        [(_, labels, seconds)] = _lag()
        assert labels["role"] == "primary"
        assert 0 <= seconds < 30

        standby_caught_up = "SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
        _wait_for(pair.standby_url, standby_caught_up, (True,))
        standby = await _runtime(pair.standby_url, tmp_path, keyring_json)
        try:
            await Sampler(standby).sample()
        finally:
            await standby.close()
        assert [(labels["role"], v) for _, labels, v in _lag()] == [("primary", seconds), ("replica", 0)]

        pair.stop_standby()
        _wait_for(pair.primary_url, "SELECT count(*) FROM pg_stat_replication", (0,))
        await sampler.sample()
        # The standby is gone: the primary's figure goes with it rather than staying frozen.
        assert [labels["role"] for _, labels, _ in _lag()] == ["replica"]
    finally:
        await primary.close()
