"""``croupier serve`` as an operator runs it: a real process, real HTTP, the embedded database.

Each test starts the command as a subprocess with nothing configured but the data
folder, so it exercises what a first-time user gets: an embedded PostgreSQL created
in that folder, generated development keys (with a loud warning), migrations run
at start-up, and the same database found again on the next start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory

from croupier.kit.migrate import alembic_config
from croupier.kit.processes import croupier_command, free_port
from tests.factories import player_data

pytestmark = pytest.mark.slow

READY_WITHIN_SECONDS = 60.0
STOP_WITHIN_SECONDS = 30.0


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The caller's environment minus every CROUPIER_* variable, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
    env["CROUPIER_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def postmaster_pid(data_dir: Path) -> int | None:
    """The embedded PostgreSQL's pid, when it is running."""
    try:
        pid = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def stop_embedded_database(data_dir: Path) -> None:
    """Fast shutdown of a PostgreSQL our server left running (see the xfail below)."""
    pid = postmaster_pid(data_dir)
    if pid is None:
        return
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 15
    while postmaster_pid(data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.1)


class Server:
    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0
        # CROUPIER_* settings on top of the bare data folder.
        self.env: dict[str, str] = {}
        # What runs `serve`: this release's console script, unless a test runs another release.
        self.command = croupier_command()

    def start(self) -> None:
        self.spawned_at = time.monotonic()
        # Appended: one log tells the story of every run of the process.
        with self.log.open("ab") as stderr:
            self.process = subprocess.Popen(  # noqa: S603 - our own console script, fixed arguments
                [*self.command, "serve", "--port", str(self.port)],
                # No drain on SIGTERM unless a test asks for one (test_serve_shutdown).
                env=clean_env(self.data_dir, **{"CROUPIER_SHUTDOWN_DRAIN_SECONDS": "0", **self.env}),
                cwd=self.data_dir.parent,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )

    def wait_ready(self, timeout: float = READY_WITHIN_SECONDS) -> float:
        """Poll /readyz; return the seconds from spawning the process until it answered 200."""
        assert self.process is not None
        started = self.spawned_at
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                pytest.fail(f"serve exited with {self.process.returncode}:\n{self.stderr()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"not ready within {timeout:.0f} s:\n{self.stderr()}")

    def terminate(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_WITHIN_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not stop within {STOP_WITHIN_SECONDS:.0f} s of SIGTERM")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Outside pytest's temp tree: pytest resets that tree to mode 0700 whenever a
    # pytest run starts, which would lock the embedded server's own user out.
    root = Path(tempfile.mkdtemp(prefix="croupier-serve-"))
    root.chmod(0o755)
    folder = root / "data"
    yield folder
    stop_embedded_database(folder)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def servers(data_dir: Path, tmp_path: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def start(servers: list[Server], data_dir: Path) -> Server:
    server = Server(data_dir, data_dir.parent / f"serve-{len(servers)}.log")
    servers.append(server)
    server.start()
    return server


def run_croupier(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [*croupier_command(), *args],
        env=clean_env(data_dir),
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=READY_WITHIN_SECONDS,
        check=False,
    )


def test_serves_on_an_embedded_database_and_keeps_it_across_restarts(
    servers: list[Server], data_dir: Path, record_property: pytest.RecordProperty
) -> None:
    first = start(servers, data_dir)
    cold = first.wait_ready()
    record_property("cold_start_to_ready_seconds", round(cold, 2))
    print(f"cold start to /readyz 200: {cold:.2f} s")  # noqa: T201 - shown with -s / in the report
    assert cold < READY_WITHIN_SECONDS
    # Once, although serve loads the keyring before uvicorn starts and again in the app.
    assert first.stderr().count("DEVELOPMENT KEYS IN USE") == 1, first.stderr()
    assert (data_dir / "dev-keyring.json").stat().st_mode & 0o077 == 0, "keyring readable by others"
    # What the worker holds once started is left out of the collector's walks (kit.heap).
    frozen = [json.loads(line)["objects"] for line in first.stderr().splitlines() if '"heap_frozen"' in line]
    assert len(frozen) == 1, first.stderr()
    assert frozen[0] > 100_000

    # A second croupier process attaches to the same embedded server while serve runs.
    current = run_croupier(data_dir, "db", "current")
    assert current.returncode == 0, current.stderr
    assert current.stdout.strip() == head_revision()

    data = player_data()
    with httpx.Client(base_url=first.base_url, timeout=30) as http:
        assert http.post("/v1/players", json=data).status_code == 202
        signed_in = http.post("/v1/sessions", json={"email": data["email"], "password": data["password"]})
        assert signed_in.status_code == 201, signed_in.text
        token = signed_in.json()["token"]
        me = http.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["email"] == data["email"]

    code = first.terminate()
    # uvicorn shuts down gracefully on SIGTERM and then re-raises the signal, hence -SIGTERM.
    assert code in (0, -signal.SIGTERM), first.stderr()
    assert "Traceback" not in first.stderr()
    # Restart from a stopped database, as after a reboot (SIGTERM leaves it running today;
    # see the xfail below), so that the second start really finds the data on disk.
    stop_embedded_database(data_dir)
    assert postmaster_pid(data_dir) is None

    second = start(servers, data_dir)
    warm = second.wait_ready()
    record_property("warm_start_to_ready_seconds", round(warm, 2))
    print(f"warm start to /readyz 200: {warm:.2f} s")  # noqa: T201
    with httpx.Client(base_url=second.base_url, timeout=30) as http:
        again = http.post("/v1/sessions", json={"email": data["email"], "password": data["password"]})
        assert again.status_code == 201, again.text
        assert again.json()["previous_sign_in_at"] is not None
    assert second.terminate() in (0, -signal.SIGTERM)


def test_sigterm_also_stops_the_embedded_database(servers: list[Server], data_dir: Path) -> None:
    server = start(servers, data_dir)
    server.wait_ready()
    assert postmaster_pid(data_dir) is not None
    assert server.terminate() == 0
    deadline = time.monotonic() + 15
    while postmaster_pid(data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert postmaster_pid(data_dir) is None, "embedded PostgreSQL left running"


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = {int(child) for child in (task / "children").read_text().split()}
            except (FileNotFoundError, ProcessLookupError):
                continue
            todo.extend(children - found)
            found |= children
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's parent may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the kernel's parent-death signal is Linux's"
)
def test_workers_end_when_their_supervisor_is_killed(servers: list[Server], data_dir: Path) -> None:
    server = Server(data_dir, data_dir.parent / "serve.log")
    server.env = {"CROUPIER_WORKERS": "2"}
    servers.append(server)
    server.start()
    server.wait_ready()
    assert server.process is not None
    workers = {
        pid
        for pid in _descendants(server.process.pid)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    }
    assert len(workers) == 2, server.stderr()

    server.process.kill()  # no chance to stop its workers
    server.process.wait(timeout=10)

    deadline = time.monotonic() + STOP_WITHIN_SECONDS
    while {pid for pid in workers if _running(pid)} and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not {pid for pid in workers if _running(pid)}, "workers outlived their supervisor"


def _refuse(tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    data_dir = tmp_path / "data"
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    env = clean_env(data_dir, CROUPIER_DATABASE_URL=f"postgresql://croupier@127.0.0.1:{closed}/croupier")
    result = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [*croupier_command(), "serve", "--port", str(free_port())],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=READY_WITHIN_SECONDS,
        check=False,
    )
    return result, data_dir, cwd


def test_a_configured_database_without_keys_is_refused(tmp_path: Path) -> None:
    result, data_dir, cwd = _refuse(tmp_path)
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "CROUPIER_KEYRING_FILE" in message
    assert "croupier keys generate" in message
    # Nothing generated: no development keyring, no embedded database, no stray files.
    assert not data_dir.exists()
    assert list(cwd.iterdir()) == []
    assert "DEVELOPMENT KEYS" not in result.stderr


def test_the_refusal_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    result, _, _ = _refuse(tmp_path)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) <= 5, result.stderr
