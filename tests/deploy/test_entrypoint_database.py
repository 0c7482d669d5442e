"""The image's entrypoint against a PostgreSQL that demands a password: the password comes from the
file PGPASSWORD_FILE names, never from the URL, and a wrong one is refused without being shown."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from psycopg import sql

from croupier.kit.keyring import Keyring
from tests.cli_support import COMMAND_TIMEOUT_SECONDS
from tests.deploy.support import REPO

pytestmark = pytest.mark.slow

ENTRYPOINT = REPO / "deploy" / "docker" / "entrypoint.sh"
SH = shutil.which("sh") or "/bin/sh"
PASSWORD = "correct-horse-battery-staple-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def password_role(pg_admin_url: str) -> Iterator[str]:
    """A role of the test's own whose socket connections must give its password (scram-sha-256)."""
    role = f"deploy_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        row = conn.execute("SHOW hba_file").fetchone()
        assert row is not None
        hba = Path(row[0])
        if not os.access(hba, os.W_OK):
            pytest.skip("the test server's pg_hba.conf is not writable here")
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), PASSWORD))
        # First match wins: this role alone must authenticate, whatever the lines below allow.
        ours = f"local all {role} scram-sha-256\nhost all {role} all scram-sha-256\n"
        with _locked(hba):
            hba.write_text(ours + hba.read_text())
            conn.execute("SELECT pg_reload_conf()")
        try:
            yield role
        finally:
            with _locked(hba):
                hba.write_text(hba.read_text().replace(ours, ""))
                conn.execute("SELECT pg_reload_conf()")
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@contextmanager
def _locked(hba: Path) -> Iterator[None]:
    """The test workers share the server: one edits its pg_hba.conf at a time."""
    with (hba.parent / "pg_hba.conf.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _entrypoint(
    pg_admin_url: str, role: str, tmp_path: Path, password_file: Path | None
) -> subprocess.CompletedProcess[str]:
    socket_dir = parse_qs(urlsplit(pg_admin_url).query)["host"][0]
    keyring = tmp_path / "keyring.json"
    keyring.write_text(Keyring.generate().to_json())
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "CROUPIER_ENVIRONMENT": "production",
        "CROUPIER_DATA_DIR": str(tmp_path / "data"),
        # As in compose.yaml and the Kubernetes ConfigMap: a user, no password.
        "CROUPIER_DATABASE_URL": f"postgresql://{role}@/postgres?host={socket_dir}",
        "CROUPIER_KEYRING_FILE": str(keyring),
    }
    if password_file is not None:
        env["PGPASSWORD_FILE"] = str(password_file)
    return subprocess.run(  # noqa: S603 - the image's entrypoint script, fixed arguments
        [SH, ENTRYPOINT, "db", "current"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )


def test_croupier_signs_in_to_postgresql_with_the_password_from_the_secret_file(
    pg_admin_url: str, password_role: str, tmp_path: Path
) -> None:
    secret = tmp_path / "db_password"
    secret.write_text(PASSWORD)
    result = _entrypoint(pg_admin_url, password_role, tmp_path, secret)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "empty"  # connected: the postgres database has no Croupier schema


def test_a_wrong_password_is_refused_and_never_shown(
    pg_admin_url: str, password_role: str, tmp_path: Path
) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("not-the-password-" + uuid.uuid4().hex)
    result = _entrypoint(pg_admin_url, password_role, tmp_path, secret)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("croupier: "), result.stderr
    assert secret.read_text() not in result.stdout + result.stderr


def test_without_the_password_file_croupier_cannot_sign_in(
    pg_admin_url: str, password_role: str, tmp_path: Path
) -> None:
    result = _entrypoint(pg_admin_url, password_role, tmp_path, None)
    assert result.returncode == 1, result.stdout + result.stderr
