"""A rolling upgrade: the previous release's nodes keep serving while this release's migrations run,
then serve beside this release's nodes on the new schema.

That holds only if every migration of a release expands (adds tables, nullable columns, indexes)
and what the previous release still reads or writes is removed only a release later (contract).
``docs/operations.md`` ("Rolling upgrade") gives the rule; this test runs the previous release's
own code, taken from git, against each new migration.
"""

from __future__ import annotations

import ast
import asyncio
import io
import os
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from croupier.kit.embedded import to_sqlalchemy_url
from croupier.kit.migrate import MIGRATIONS
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from tests.cli_support import croupier, env_for
from tests.conftest import make_settings
from tests.factories import SignedIn, signed_in_player
from tests.test_serve_process import Server, stop_embedded_database
from tests.waiting import wait_until

pytestmark = pytest.mark.slow

# The release this one upgrades from; move it forward with every release.
PREVIOUS_RELEASE = "b1bdd540f32a655779a9e9cccac90e5ce3eccf95"
REPOSITORY = Path(__file__).resolve().parents[2]
DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}
# Operations that break the previous release's queries: allowed only in a migration that says
# `CONTRACT = True`, which may remove only what the previous release no longer uses.
DESTRUCTIVE_OPS = {"drop_column", "drop_table", "rename_table", "drop_constraint", "alter_column"}
DESTRUCTIVE_SQL = ("DROP COLUMN", "DROP TABLE", "RENAME", "ALTER COLUMN", "SET NOT NULL")


def _previous_release_files(*paths: str) -> bytes:
    try:
        return subprocess.run(  # noqa: S603 - git, with arguments fixed by this test
            ["git", "-C", str(REPOSITORY), "archive", PREVIOUS_RELEASE, *paths],  # noqa: S607
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        reason = f"the previous release {PREVIOUS_RELEASE[:12]} is not in this clone's history ({exc})"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The previous release's ``src`` folder: on PYTHONPATH, it runs instead of this release."""
    root = tmp_path_factory.mktemp("previous-release")
    with tarfile.open(fileobj=io.BytesIO(_previous_release_files("src"))) as archive:
        archive.extractall(root, filter="data")
    return root / "src"


def _new_migrations(previous_src: Path) -> list[Path]:
    before = {p.name for p in (previous_src / "croupier" / "migrations" / "versions").glob("*.py")}
    return sorted(p for p in (MIGRATIONS / "versions").glob("*.py") if p.name not in before)


def _destructive_steps(migration: Path) -> list[str]:
    """The calls in ``upgrade()`` that would break a query of the previous release."""
    tree = ast.parse(migration.read_text())
    upgrade = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")
    found = []
    for node in ast.walk(upgrade):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in DESTRUCTIVE_OPS:
            found.append(f"op.{node.func.attr}")
        if node.func.attr == "add_column" and _required_without_default(node):
            found.append("op.add_column of a NOT NULL column without a server default")
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found += [f"SQL {word}" for word in DESTRUCTIVE_SQL if word in arg.value.upper()]
    return found


def _required_without_default(add_column: ast.Call) -> bool:
    """The previous release's inserts leave out a column it does not know: it needs a default."""
    for column in ast.walk(add_column):
        if isinstance(column, ast.Call):
            keywords = {k.arg: k.value for k in column.keywords}
            required = (
                isinstance(keywords.get("nullable"), ast.Constant)
                and getattr(keywords["nullable"], "value", None) is False
            )
            if required and "server_default" not in keywords:
                return True
    return False


def _says_contract(migration: Path) -> bool:
    tree = ast.parse(migration.read_text())
    return any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CONTRACT" for t in n.targets)
        for n in tree.body
    )


def test_this_releases_migrations_only_expand_unless_they_say_they_contract(previous_release: Path) -> None:
    for migration in _new_migrations(previous_release):
        if not _says_contract(migration):
            assert _destructive_steps(migration) == [], f"{migration.name} removes or changes what exists"


@pytest.fixture
def empty_database(pg_admin_url: str) -> Iterator[str]:
    name = f"croupier_upgrade_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = pg_admin_url.partition("?")
    yield to_sqlalchemy_url(base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else ""))
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def upgrade_settings(empty_database: str, keyring_json: str, tmp_path: Path) -> Settings:
    return make_settings(empty_database, keyring_json, tmp_path / "commands")


def _previous_release_env(settings: Settings, previous_src: Path) -> dict[str, str]:
    return env_for(settings, PYTHONPATH=str(previous_src))


def _previous_croupier(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the previous release's own command line, fixed arguments
        [sys.executable, "-m", "croupier", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Servers the test starts; each killed at the end."""
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()
        stop_embedded_database(server.data_dir)


def _node(nodes: list[Server], root: Path, settings: Settings, *, previous_src: Path | None) -> Server:
    data_dir = root / f"node-{len(nodes)}"
    data_dir.mkdir(parents=True)
    server = Server(data_dir, root / f"node-{len(nodes)}.log")
    server.env = {k: v for k, v in env_for(settings).items() if k.startswith("CROUPIER_")}
    server.env["CROUPIER_DATA_DIR"] = str(data_dir)
    server.env["CROUPIER_JOBS_WORKER"] = "off"
    if previous_src is not None:
        server.env["PYTHONPATH"] = str(previous_src)
        server.command = [sys.executable, "-m", "croupier"]
    nodes.append(server)
    server.start()
    return server


@dataclass
class Load:
    """Dice rounds from signed-in players, one node at a time or several; every answer kept."""

    players: list[SignedIn]
    # (node, when, status, round id) for every answer.
    answered: list[tuple[str, float, int, str | None]] = field(default_factory=list)

    async def play(self, http: httpx.AsyncClient, node: Server, stop: asyncio.Event) -> None:
        turn = 0
        while not stop.is_set():
            player = self.players[turn % len(self.players)]
            turn += 1
            headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
            response = await http.post(f"{node.base_url}/v1/games/dice/rounds", json=DICE, headers=headers)
            round_id = response.json().get("id") if response.status_code == 201 else None
            self.answered.append((node.base_url, time.monotonic(), response.status_code, round_id))


async def test_previous_release_nodes_serve_through_the_upgrade_and_beside_new_nodes(
    previous_release: Path,
    upgrade_settings: Settings,
    nodes: list[Server],
    tmp_path: Path,
) -> None:
    old_env = _previous_release_env(upgrade_settings, previous_release)
    migrated = _previous_croupier("db", "upgrade", env=old_env)
    assert migrated.returncode == 0, migrated.stderr

    old = _node(nodes, tmp_path, upgrade_settings, previous_src=previous_release)
    await asyncio.to_thread(old.wait_ready)
    runtime = await Runtime.start(upgrade_settings)
    try:
        async with httpx.AsyncClient(base_url=old.base_url, timeout=60) as http:
            players = [await signed_in_player(http, runtime=runtime) for _ in range(2)]
    finally:
        await runtime.close()
    for player in players:
        credit = ("wallet", "adjust", player.id, "1000000", "EUR", "--reason", "float")
        funded = _previous_croupier(*credit, env=old_env)
        assert funded.returncode == 0, funded.stderr

    load = Load(players)
    async with httpx.AsyncClient(timeout=60) as http:
        stop = asyncio.Event()
        playing = [asyncio.create_task(load.play(http, old, stop))]
        upgraded = await asyncio.to_thread(croupier, "db", "upgrade", env=env_for(upgrade_settings))
        upgraded_at = time.monotonic()
        assert upgraded.returncode == 0, upgraded.stderr

        new = _node(nodes, tmp_path, upgrade_settings, previous_src=None)
        await asyncio.to_thread(new.wait_ready)
        playing.append(asyncio.create_task(load.play(http, new, stop)))
        await wait_until(lambda: sum(a[0] == new.base_url for a in load.answered) >= 20, within=60)
        stop.set()
        await asyncio.gather(*playing)

        statuses = {status for _, _, status, _ in load.answered}
        assert statuses == {201}, [a for a in load.answered if a[2] != 201][:5]
        after_upgrade = [a for a in load.answered if a[0] == old.base_url and a[1] > upgraded_at]
        assert after_upgrade, "the previous release's node served nothing on the new schema"

        # Each node finds every round, whichever node played it, exactly as acknowledged.
        for node in (old, new):
            for player in players:
                listed = await http.get(f"{node.base_url}/v1/rounds?limit=100", headers=player.headers)
                assert listed.status_code == 200, listed.text
            for _, _, _, round_id in load.answered[:: max(1, len(load.answered) // 20)]:
                url = f"{node.base_url}/v1/rounds/{round_id}"
                found = [await http.get(url, headers=p.headers) for p in players]
                assert sorted(r.status_code for r in found) == [200, 404], round_id

    books = croupier("ledger", "check", env=env_for(upgrade_settings))
    assert books.returncode == 0, books.stdout + books.stderr
