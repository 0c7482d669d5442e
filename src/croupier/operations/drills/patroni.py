"""``croupier drill patroni``: the leader dies under load; Patroni promotes its synchronous standby.

The failover drill's promises, with Patroni doing the promotion as it does in production
(``deploy/patroni/patroni.yml``): one etcd and two Patroni members on loopback, in
``synchronous_mode``, with a short leader lock (``ttl``) so that the drill is quick. The leader's
Patroni and its postmaster are SIGKILLed together (a host lost); the drill only watches: the lock
expires, the synchronous standby's Patroni promotes it, and the Croupier nodes (on the multi-host
URL of both members) find it on their own.

PostgreSQL comes from the same binaries as ``Cluster`` (``bin_dir``). As root, etcd, Patroni and
PostgreSQL run as the embedded mode's unprivileged user. Patroni and etcd are found on PATH: the
Debian packages ``patroni`` and ``etcd-server``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess  # nosec B404 - starts etcd and Patroni with argument lists, never a shell
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from croupier.kit.commands import fail
from croupier.kit.errors import CroupierError
from croupier.kit.logging import configure_logging
from croupier.kit.processes import free_port
from croupier.kit.settings import get_settings
from croupier.operations.drills.cli import app
from croupier.operations.drills.failover import (
    LoadPlan,
    NodesOption,
    PlayersOption,
    multi_host_url,
    plan_from_options,
    rehearse,
)
from croupier.operations.drills.nodes import NodeFailed, stop_session
from croupier.operations.drills.report import DrillReport, print_and_exit
from croupier.operations.drills.support import scratch_folder
from croupier.operations.postgres import (
    SUPERUSER,
    Binaries,
    Cluster,
    hand_over,
    server_user,
    short_socket_dir,
)

# The programs the drill starts, and the Debian packages that ship them.
PACKAGES = {"patroni": "patroni", "etcd": "etcd-server"}
SCOPE = "croupier-drill"
# Short timings for a drill (production: ttl 30, loop_wait 10, retry_timeout 10): the leader lock
# expires 10 s after its holder stops renewing it.
TTL_SECONDS = 10
LOOP_WAIT_SECONDS = 1
RETRY_TIMEOUT_SECONDS = 5
READY_WITHIN_SECONDS = 120.0
# Clients repeat a request for longer than the lock takes to expire and the standby to be promoted.
CLIENT_RETRY_SECONDS = 4.0 * TTL_SECONDS
NEW_LEADER_WITHIN_SECONDS = 6.0 * TTL_SECONDS
STOP_WITHIN_SECONDS = 30.0
POLL_SECONDS = 0.05


class PatroniDrillError(CroupierError):
    code = "patroni_drill_failed"
    status = 500
    title = "The Patroni drill could not set up its cluster"


def find_programs() -> dict[str, str]:
    """``patroni`` and ``etcd`` on PATH, or exit 1 naming the Debian packages to install."""
    found = {name: shutil.which(name) for name in PACKAGES}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        fail(
            f"the patroni drill needs Patroni and etcd: install the Debian packages"
            f" {' and '.join(PACKAGES.values())} (not found on PATH: {', '.join(missing)})"
        )
    return {name: path for name, path in found.items() if path is not None}


def _environment(home: Path) -> dict[str, str]:
    """A bare environment: none of the operator's ``PATRONI_*`` or ``ETCD_*`` settings (they would
    override the drill's own configuration and could point at production)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8"}


def _spawn(args: list[str], *, user: str | None, folder: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start ARGS in a session of its own (a terminal's Ctrl-C reaches only the drill, which then
    stops it), as USER when given, with its output in LOG."""
    with log.open("ab") as output:
        return subprocess.Popen(  # noqa: S603  # nosec B603 - etcd or Patroni found on PATH, arguments chosen here
            args,
            env=_environment(folder),
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=user,
            group=None if user is None else pwd.getpwnam(user).pw_gid,
            extra_groups=None if user is None else [],
        )


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


@dataclass
class Etcd:
    """One etcd member on loopback holding the leader lock; its data in FOLDER."""

    program: str
    folder: Path
    user: str | None
    client_port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    label = "etcd"

    @property
    def log(self) -> Path:
        return self.folder / "etcd.log"

    def start(self) -> None:
        (self.folder / "data").mkdir(parents=True, mode=0o700)
        self.log.touch()
        hand_over(self.folder, self.user)
        peer = f"http://127.0.0.1:{self.peer_port}"
        client = f"http://{self.endpoint}"
        self.process = _spawn(
            [
                self.program,
                "--name=drill",
                f"--data-dir={self.folder / 'data'}",
                f"--listen-client-urls={client}",
                f"--advertise-client-urls={client}",
                f"--listen-peer-urls={peer}",
                f"--initial-advertise-peer-urls={peer}",
                f"--initial-cluster=drill={peer}",
                f"--initial-cluster-token={SCOPE}-{secrets.token_hex(4)}",
                "--initial-cluster-state=new",
            ],
            user=self.user,
            folder=self.folder,
            log=self.log,
        )
        _wait_for(
            lambda: _get_json(f"{client}/health").get("health") == "true",
            what="etcd to answer /health",
            watched=[self],
        )

    def stop(self) -> None:
        stop_session(self.process, timeout=STOP_WITHIN_SECONDS)


@dataclass
class Member:
    """One Patroni member: its REST API, its PostgreSQL (a ``Cluster`` Patroni starts and stops)."""

    name: str
    program: str
    folder: Path
    cluster: Cluster
    rest_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    @property
    def label(self) -> str:
        return f"Patroni {self.name}"

    @property
    def log(self) -> Path:
        return self.folder / "patroni.log"

    def config(self, etcd: Etcd) -> dict[str, Any]:
        """Patroni's configuration: loopback only, trust authentication (a drill's throwaway data)."""
        postgres = f"127.0.0.1:{self.cluster.port}"
        return {
            "scope": SCOPE,
            "namespace": "/croupier-drill/",
            "name": self.name,
            "restapi": {
                "listen": f"127.0.0.1:{self.rest_port}",
                "connect_address": f"127.0.0.1:{self.rest_port}",
            },
            "etcd3": {"hosts": [etcd.endpoint]},
            "bootstrap": {
                "dcs": {
                    "ttl": TTL_SECONDS,
                    "loop_wait": LOOP_WAIT_SECONDS,
                    "retry_timeout": RETRY_TIMEOUT_SECONDS,
                    "maximum_lag_on_failover": 0,
                    # Not strict: the lone survivor must accept writes (production adds a third
                    # member or accepts that writes stop; see deploy/patroni/patroni.yml).
                    "synchronous_mode": True,
                    "postgresql": {
                        "use_pg_rewind": False,
                        "use_slots": True,
                        "parameters": {
                            "synchronous_commit": "on",
                            "wal_level": "replica",
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "hot_standby": "on",
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, "data-checksums", {"auth": "trust"}],
                "pg_hba": [
                    "local all all trust",
                    "host all all 127.0.0.1/32 trust",
                    "host replication all 127.0.0.1/32 trust",
                ],
            },
            "postgresql": {
                "listen": postgres,
                "connect_address": postgres,
                "data_dir": str(self.cluster.data_dir),
                "bin_dir": str(self.cluster.binaries.folder),
                "pgpass": str(self.folder / "pgpass"),
                "authentication": {
                    "superuser": {"username": SUPERUSER},
                    "replication": {"username": "replicator"},
                },
                "parameters": {
                    "unix_socket_directories": str(self.cluster.socket_dir),
                    "cluster_name": self.name,
                },
            },
        }

    def start(self, etcd: Etcd) -> None:
        self.folder.mkdir(parents=True)
        config = self.folder / "patroni.yml"
        config.write_text(json.dumps(self.config(etcd), indent=2))  # JSON is YAML
        self.log.touch()
        hand_over(self.folder, self.cluster.user)
        hand_over(self.cluster.socket_dir, self.cluster.user)
        self.process = _spawn(
            [self.program, str(config)], user=self.cluster.user, folder=self.folder, log=self.log
        )

    def is_leader(self) -> bool:
        """Patroni's own answer: 200 on ``GET /leader`` while this member holds the leader lock."""
        try:
            return httpx.get(f"{self.api}/leader", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def crash(self) -> None:
        """SIGKILL Patroni and its postmaster at once: the host is gone, nobody releases the lock."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):  # gone with Patroni's process group already
            self.cluster.kill()

    def stop(self) -> None:
        """Stop Patroni (which stops its PostgreSQL); then whatever PostgreSQL is left, at once."""
        stop_session(self.process, timeout=STOP_WITHIN_SECONDS)
        self.cluster.release(mode="immediate")


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=1)
    except httpx.TransportError:
        return {}
    if response.status_code != 200:
        return {}
    body = response.json()
    return body if isinstance(body, dict) else {}


def _wait_for(
    ready: Callable[[], bool],
    *,
    what: str,
    watched: Sequence[Etcd | Member],
    timeout: float = READY_WITHIN_SECONDS,
) -> None:
    """Poll READY; fail early when a WATCHED process exits, naming its log's last line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for each in watched:
            if each.process is not None and each.process.poll() is not None:
                raise PatroniDrillError(
                    f"{each.label} exited ({each.process.returncode}) while waiting for {what};"
                    f" its log ends: {_log_tail(each.log, 1)} (--keep keeps the logs)"
                )
        if ready():
            return
        time.sleep(POLL_SECONDS)
    last = "; ".join(f"{each.label}: {_log_tail(each.log, 1)}" for each in watched)
    raise PatroniDrillError(f"waited {timeout:.0f} s for {what}; last lines: {last} (--keep keeps the logs)")


def _roles(member: Member) -> dict[str, str]:
    """Each member's role as Patroni's ``GET /cluster`` tells it (leader, sync_standby, replica)."""
    members = _get_json(f"{member.api}/cluster").get("members", [])
    return {m["name"]: m["role"] for m in members if m.get("state") in {"running", "streaming"}}


def _start_members(etcd: Etcd, members: list[Member]) -> tuple[Member, Member]:
    """Both members bootstrapped: (leader, synchronous standby), replicating synchronously."""
    for member in members:
        member.start(etcd)
    first = members[0]
    _wait_for(
        lambda: sorted(_roles(first).values()) == ["leader", "sync_standby"],
        what="a leader and a synchronous standby",
        watched=members,
    )
    roles = _roles(first)
    leader = next(m for m in members if roles.get(m.name) == "leader")
    standby = next(m for m in members if roles.get(m.name) == "sync_standby")
    leader.cluster.wait_until("SELECT string_agg(sync_state, ',') FROM pg_stat_replication", "sync")
    return leader, standby


def _crash_and_wait_for_new_leader(leader: Member, standby: Member) -> None:
    """The drill breaks the leader and only watches: Patroni promotes the standby on its own."""
    leader.crash()
    _wait_for(
        standby.is_leader,
        what=f"Patroni to make {standby.name} the leader",
        watched=[standby],
        timeout=NEW_LEADER_WITHIN_SECONDS,
    )


def run(plan: LoadPlan, *, keep: bool = False) -> DrillReport:
    programs = find_programs()
    report = DrillReport("patroni")
    configure_logging("warning")  # the drill prints its report, not the service's log
    binaries = Binaries.find(get_settings().pg_bin)
    user = server_user()
    with scratch_folder("patroni", keep=keep) as folder:
        etcd = Etcd(programs["etcd"], folder / "etcd", user)
        members = [
            Member(
                name,
                programs["patroni"],
                folder / name,
                Cluster(
                    folder / name / "data", binaries, socket_dir=short_socket_dir(), user=user, name=name
                ),
            )
            for name in ("member-1", "member-2")
        ]
        try:
            etcd.start()
            started = time.monotonic()
            leader, standby = _start_members(etcd, members)
            report.measure("leader and sync standby ready seconds", round(time.monotonic() - started, 1))
            report.measure("leader before", leader.name)
            leader.cluster.sql("CREATE DATABASE croupier")
            rehearse(
                report,
                folder=folder,
                url=multi_host_url([m.cluster for m in members], "croupier"),
                fail_over=partial(_crash_and_wait_for_new_leader, leader, standby),
                load_plan=plan,
                takeover="new leader",
            )
            report.measure("leader after", standby.name if standby.is_leader() else "none")
        except (CroupierError, NodeFailed, RuntimeError) as exc:
            report.promise(False, str(getattr(exc, "detail", exc)).splitlines()[0])
        finally:
            for member in members:
                member.stop()
            etcd.stop()
    return report.finish()


@app.command("patroni")
def patroni_drill(  # noqa: PLR0917 - one parameter per command-line option
    nodes: NodesOption = 2,
    players: PlayersOption = 8,
    seconds: Annotated[float, typer.Option(min=15, max=3600, help="How long the load runs.")] = 40.0,
    kill_after: Annotated[
        float, typer.Option(min=1, help="Seconds of load before the leader is killed.")
    ] = 8.0,
    keep: Annotated[
        bool, typer.Option("--keep", help="Keep the members' data and logs for inspection.")
    ] = False,
    quick: Annotated[
        bool, typer.Option("--quick", help="A short run for CI: 25 s of load, 4 players, kill after 4 s.")
    ] = False,
) -> None:
    """Kill the Patroni leader under load; Patroni promotes its sync standby; count what players lost."""
    plan = plan_from_options(
        nodes=nodes,
        players=players,
        seconds=seconds,
        kill_after=kill_after,
        quick=quick,
        quick_seconds=25.0,
        retry_for=CLIENT_RETRY_SECONDS,
    )
    print_and_exit(run(plan, keep=keep))
