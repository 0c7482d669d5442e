"""compose.yaml, the production-like stack, checked without a Docker engine: against the Compose
Specification's schema, for health and secrets, and with HAProxy's and Prometheus' own checkers."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from croupier.kit.settings import Settings
from tests.deploy.support import (
    COMPOSE_FILE,
    DOCKERFILE,
    HAPROXY_COMPOSE_CONFIG,
    PROMETHEUS_CONFIG,
    REPO,
    debian_tool,
    load_yaml,
)

BASH = shutil.which("bash") or "/bin/bash"
SCHEMA = Path(__file__).with_name("schemas") / "compose-spec.json"
NODES = ("croupier-1", "croupier-2", "croupier-3")
# A tag naming a patch release (postgres:17.6-bookworm, prom/prometheus:v3.5.0), never a moving one.
PATCH_PINNED = re.compile(r"^[\w./-]+:v?\d+\.\d+\.\d+(-[\w.]+)?$|^[\w./-]+:\d+\.\d+-[a-z]+$")
SECRET_NAMES = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|KEYRING$|DATABASE_URL")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(COMPOSE_FILE)
    return loaded


def _image_healthcheck() -> list[str]:
    line = DOCKERFILE.read_text().split("HEALTHCHECK", 1)[1].split("CMD", 1)[1].splitlines()[0]
    command: list[str] = json.loads(line)
    return command


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def test_the_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=str)
    assert not errors, [f"{e.json_path}: {e.message}" for e in errors]


def test_the_stack_has_every_part_of_a_production_deployment(compose: dict[str, Any]) -> None:
    assert set(_services(compose)) == {
        "postgres-primary",
        "postgres-replica",
        "redis",
        "migrate",
        *NODES,
        "worker",
        "haproxy",
        "prometheus",
        "grafana",
    }


def test_every_service_is_health_checked_or_waits_for_a_healthy_dependency(compose: dict[str, Any]) -> None:
    for name, service in _services(compose).items():
        healthcheck = service.get("healthcheck", {})
        checked = bool(healthcheck.get("test")) and not healthcheck.get("disable")
        conditions = [d.get("condition") for d in service.get("depends_on", {}).values()]
        waits = bool(conditions) and all(
            c in {"service_healthy", "service_completed_successfully"} for c in conditions
        )
        assert checked or waits, name
        for dependency in service.get("depends_on", {}):
            target = _services(compose)[dependency]
            if service["depends_on"][dependency]["condition"] == "service_healthy":
                assert target["healthcheck"].get("test"), f"{name} waits on {dependency}, which has no check"


def test_the_nodes_wait_for_migrations_share_redis_limits_and_leave_jobs_to_the_worker(
    compose: dict[str, Any],
) -> None:
    services = _services(compose)
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["worker"]["command"] == ["jobs", "worker"]
    for name in (*NODES, "worker"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["environment"]["CROUPIER_RATE_LIMIT_STORAGE"] == "async+redis://redis:6379"
        assert service.get("command") in (None, ["jobs", "worker"])
    for name in NODES:
        assert services[name]["environment"]["CROUPIER_JOBS_WORKER"] == "off"
        assert services[name]["healthcheck"]["test"] == ["CMD", *_image_healthcheck()]
    assert services["worker"]["environment"].get("CROUPIER_JOBS_WORKER", "on") == "on"


def test_croupier_is_configured_only_with_variables_it_reads(compose: dict[str, Any]) -> None:
    for name, service in _services(compose).items():
        for variable in service.get("environment", {}):
            if variable.startswith("CROUPIER_"):
                setting = variable.removeprefix("CROUPIER_").lower()
                assert setting in Settings.model_fields, f"{name}: {variable}"


def test_no_secret_is_written_in_the_compose_file(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    for name, service in _services(compose).items():
        for variable, value in service.get("environment", {}).items():
            if SECRET_NAMES.search(variable) and not variable.endswith("_FILE"):
                # The only secret-looking value allowed is a URL without a password.
                assert variable == "CROUPIER_DATABASE_URL", f"{name}: {variable}"
                assert re.match(r"^postgresql://[^:@/]+@", value), (
                    f"{name}: the database URL carries a password"
                )
            if variable.endswith("_FILE") and value.startswith("/run/secrets/"):
                secret = value.removeprefix("/run/secrets/")
                assert secret in service["secrets"], f"{name}: {variable} names a secret it is not given"
        for secret in service.get("secrets", []):
            assert secret in declared, f"{name}: undeclared secret {secret}"
    for secret in declared.values():
        assert set(secret) == {"file"}
        assert secret["file"].startswith("./secrets/")
    assert "/secrets/" in (REPO / ".gitignore").read_text().splitlines()


def test_every_image_is_pinned_to_a_patch_release(compose: dict[str, Any]) -> None:
    for name, service in _services(compose).items():
        if "build" in service:
            assert service["image"] == "${CROUPIER_IMAGE:-croupier:local}", name
            continue
        assert PATCH_PINNED.match(service["image"]), f"{name}: {service['image']}"
        assert not service["image"].endswith(":latest")


def test_every_file_the_stack_mounts_is_in_the_repository(compose: dict[str, Any]) -> None:
    for name, service in _services(compose).items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith("./"):
                continue
            assert (REPO / source).exists(), f"{name}: {source}"


def test_the_replica_follows_the_slot_the_primary_creates() -> None:
    primary = (REPO / "deploy" / "postgres" / "init-primary.sh").read_text()
    replica = (REPO / "deploy" / "postgres" / "start-replica.sh").read_text()
    (slot,) = re.findall(r"pg_create_physical_replication_slot\('(\w+)'\)", primary)
    assert f"--slot={slot}" in replica
    assert "--write-recovery-conf" in replica
    assert "host replication replicator" in primary
    for script in ("init-primary.sh", "start-replica.sh"):
        subprocess.run([BASH, "-n", REPO / "deploy" / "postgres" / script], check=True)  # noqa: S603 - our scripts


def _haproxy_servers() -> list[tuple[str, str]]:
    return re.findall(r"^\s+server (\S+) (\S+)", HAPROXY_COMPOSE_CONFIG.read_text(), re.MULTILINE)


def test_haproxy_balances_over_the_nodes_and_only_it_is_a_trusted_proxy(compose: dict[str, Any]) -> None:
    services = _services(compose)
    assert [server for server, _ in _haproxy_servers()] == list(NODES)
    assert [address for _, address in _haproxy_servers()] == [f"{node}:8000" for node in NODES]
    address = services["haproxy"]["networks"]["croupier"]["ipv4_address"]
    for node in NODES:
        assert services[node]["environment"]["CROUPIER_TRUSTED_PROXIES"] == address
    config = HAPROXY_COMPOSE_CONFIG.read_text()
    for promise in (
        "ssl-min-ver TLSv1.2",
        "option redispatch",
        "retries 3",
        "http-check send meth GET uri /readyz",
        "Strict-Transport-Security",
    ):
        assert promise in config
    ciphers = re.search(r"ssl-default-bind-ciphers (\S+)", config)
    assert ciphers is not None
    assert all(re.search(r"GCM|CHACHA20-POLY1305", c) for c in ciphers.group(1).split(":"))
    assert all(c.startswith("ECDHE-") for c in ciphers.group(1).split(":")), "forward secrecy"


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """A throwaway self-signed certificate and its key in one PEM, as the tls_certificate secret holds."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "tls.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return pem


def test_haproxy_accepts_the_compose_configuration_as_it_is(certificate: Path) -> None:
    haproxy = debian_tool("haproxy", "haproxy")
    result = subprocess.run(  # noqa: S603 - Debian's haproxy, fixed arguments
        [haproxy, "-c", "-f", HAPROXY_COMPOSE_CONFIG],
        env={"TLS_CERTIFICATE": str(certificate), "PATH": "/usr/sbin:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The nodes' names resolve only on the compose network; nothing else may be amiss.
    warnings = [line for line in result.stderr.splitlines() if "[WARNING]" in line]
    assert all("could not resolve address" in w for w in warnings), warnings


def test_prometheus_scrapes_every_node_on_its_metrics_port(compose: dict[str, Any]) -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "croupier"]
    targets = [t for group in job["static_configs"] for t in group["targets"]]
    ports = {_services(compose)[node]["environment"]["CROUPIER_METRICS_PORT"] for node in NODES}
    assert targets == [f"{node}:{port}" for node in NODES for port in ports]
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    promtool = debian_tool("promtool", "prometheus")
    result = subprocess.run(  # noqa: S603 - Debian's promtool, fixed arguments
        [promtool, "check", "config", "--syntax-only", PROMETHEUS_CONFIG],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_grafana_is_provisioned_with_prometheus_and_the_dashboards_folder(compose: dict[str, Any]) -> None:
    provisioning = REPO / "deploy" / "grafana" / "provisioning"
    (source,) = load_yaml(provisioning / "datasources" / "prometheus.yml")["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    (provider,) = load_yaml(provisioning / "dashboards" / "croupier.yml")["providers"]
    mounts = dict(v.split(":")[:2] for v in _services(compose)["grafana"]["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
