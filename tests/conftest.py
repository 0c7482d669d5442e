"""Test harness: real PostgreSQL, schema built by the real migrations.

The server is the embedded one (pgserver) unless CROUPIER_TEST_DATABASE_URL
names another. The migrations run once into a template database; every test
gets its own copy of it (CREATE DATABASE ... TEMPLATE), so tests commit for
real, run in parallel, and never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing

from croupier.api import create_app
from croupier.kit import migrate
from croupier.kit.db import Database
from croupier.kit.embedded import start_embedded_server, to_sqlalchemy_url
from croupier.kit.keyring import Keyring
from croupier.kit.runtime import Runtime
from croupier.kit.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, Settings

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
pytest_plugins = ["tests.psp_sandbox", "tests.kyc_sandbox"]
TEST_IP = "198.51.100.7"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0] + "/" + name
    return base + ("?" + query if query else "")


@pytest.fixture(scope="session")
def pg_admin_url(request: pytest.FixtureRequest) -> Iterator[str]:
    configured = os.environ.get("CROUPIER_TEST_DATABASE_URL")
    if configured:
        yield _libpq(to_sqlalchemy_url(configured))
        return
    # One server per test run, shared by the xdist workers, outside pytest's
    # rotating temp folders; pgserver deletes it when the last worker exits.
    run = getattr(request.config, "workerinput", {}).get("testrunuid") or f"{os.getpid()}"
    root = Path(tempfile.gettempdir()) / "croupier-test-pg" / run
    server = start_embedded_server(root, delete_on_exit=True)
    yield server.get_uri("postgres")


@pytest.fixture(scope="session")
def template_name(pg_admin_url: str, worker_id: str) -> Iterator[str]:

    name = f"croupier_template_{worker_id}_{os.getpid()}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    database = Database.from_url(to_sqlalchemy_url(_with_database(pg_admin_url, name)))

    async def _migrate() -> None:
        await migrate.upgrade(database.engine)
        await database.dispose()

    asyncio.run(_migrate())
    yield name
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


def _copy_of_template(pg_admin_url: str, template_name: str) -> Iterator[str]:
    name = f"croupier_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    yield to_sqlalchemy_url(_with_database(pg_admin_url, name))
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(pg_admin_url: str, template_name: str) -> Iterator[str]:
    """A database of the test's own."""
    yield from _copy_of_template(pg_admin_url, template_name)


@pytest.fixture(scope="module")
def module_database_url(pg_admin_url: str, template_name: str) -> Iterator[str]:
    """A database shared by a module's tests (for a live server the module starts once)."""
    yield from _copy_of_template(pg_admin_url, template_name)


@pytest.fixture(scope="session")
def keyring_json() -> str:
    return Keyring.generate().to_json()


@pytest.fixture
def settings(database_url: str, keyring_json: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, keyring_json, tmp_path)


def make_settings(database_url: str, keyring_json: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database_url,
        "keyring": keyring_json,
        "data_dir": data_dir,
        # The OWASP minimum: compliant, and fast enough for hundreds of sign-ins.
        "argon2_memory_kib": ARGON2_MIN_MEMORY_KIB,
        "argon2_time_cost": ARGON2_MIN_TIME_COST,
        "argon2_parallelism": 1,
        "ip_sign_in_rate": "1000/minute",
        # A shared, busy test machine can keep a burst of sign-ins (each hashing with its
        # connection held) queued past the production bound; tests of the bound set their own.
        "database_pool_timeout_seconds": 30,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = await Runtime.start(settings)
    yield rt
    await rt.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(TEST_IP, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def no_dependency_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    """FastAPI's dependency solving fails loudly: whatever still answers did not use it
    (the bet paths, ``kit.hot_routes``)."""

    async def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("FastAPI solved dependencies")

    monkeypatch.setattr(fastapi_routing, "solve_dependencies", refuse)
