"""deploy/kubernetes: plain manifests (Kustomize layout), validated against the Kubernetes API's own
schemas (the kubernetes-validate package), and read for the promises an operator relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from croupier.kit.settings import Settings
from tests.deploy.support import DOCKERFILE, KUBERNETES, load_yaml

# The oldest and newest Kubernetes minor releases the manifests are checked against.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
MANIFESTS = sorted(p for p in KUBERNETES.rglob("*.yaml") if p.name != "kustomization.yaml")
KUSTOMIZATIONS = sorted(KUBERNETES.rglob("kustomization.yaml"))
SECRET_NAME = "croupier-secrets"


def _manifest(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(KUBERNETES / relative)
    return loaded


def _pod(relative: str) -> dict[str, Any]:
    pod: dict[str, Any] = _manifest(relative)["spec"]["template"]["spec"]
    return pod


WORKLOADS = ("app/deployment-api.yaml", "app/deployment-worker.yaml", "migrate/job.yaml")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_every_manifest_is_valid_for_the_kubernetes_api(manifest: Path, version: str) -> None:
    kubernetes_validate.validate(load_yaml(manifest), version, strict=True)


def test_every_manifest_belongs_to_a_kustomization_and_every_listed_resource_exists() -> None:
    listed: set[Path] = set()
    for kustomization in KUSTOMIZATIONS:
        document = load_yaml(kustomization)
        assert document["kind"] in {"Kustomization", "Component"}
        for resource in document["resources"]:
            path = (kustomization.parent / resource).resolve()
            assert path.exists(), f"{kustomization}: {resource}"
            if path.is_file():
                listed.add(path)
            else:
                assert (path / "kustomization.yaml").exists(), resource
    assert listed == {m.resolve() for m in MANIFESTS}


def test_the_api_probes_readiness_on_readyz_and_liveness_on_healthz_after_startup() -> None:
    (container,) = _pod("app/deployment-api.yaml")["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config = _manifest("config/configmap.yaml")["data"]
    assert ports == {
        "http": Settings.model_fields["port"].default,
        "metrics": int(config["CROUPIER_METRICS_PORT"]),
    }


def test_the_api_drains_before_it_stops() -> None:
    pod = _pod("app/deployment-api.yaml")
    (container,) = pod["containers"]
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    # The grace period covers the drain and a graceful shutdown after it.
    assert pod["terminationGracePeriodSeconds"] >= int(command[1]) + 30
    strategy = _manifest("app/deployment-api.yaml")["spec"]["strategy"]["rollingUpdate"]
    assert strategy["maxUnavailable"] == 0


@pytest.mark.parametrize("workload", WORKLOADS)
def test_every_workload_runs_unprivileged_on_a_read_only_root_with_bounded_resources(workload: str) -> None:
    pod = _pod(workload)
    image_user = next(
        line.split()[1] for line in DOCKERFILE.read_text().splitlines() if line.startswith("USER ")
    )
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert f"{pod['securityContext']['runAsUser']}:{pod['securityContext']['runAsGroup']}" == image_user
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"]:
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert set(container["resources"]) == {"requests", "limits"}
        # The writable places are volumes: the data folder and /tmp.
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/var/lib/croupier", "/tmp"} <= mounts  # noqa: S108 - paths in the pod, not here


@pytest.mark.parametrize("workload", WORKLOADS)
def test_secrets_come_as_files_from_the_existing_secret(workload: str) -> None:
    pod = _pod(workload)
    (secret_volume,) = [v for v in pod["volumes"] if "secret" in v]
    assert secret_volume["secret"]["secretName"] == SECRET_NAME
    files = {item["path"] for item in secret_volume["secret"]["items"]}
    config = _manifest("config/configmap.yaml")["data"]
    (container,) = pod["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == secret_volume["name"]]
    assert {f"{mount['mountPath']}/{f}" for f in files} == {
        config["PGPASSWORD_FILE"],
        config["CROUPIER_KEYRING_FILE"],
    }
    for env in container.get("env", []):
        assert "valueFrom" not in env, "no secret in the environment"


def test_the_configuration_names_only_variables_croupier_reads_and_holds_no_secret() -> None:
    config = _manifest("config/configmap.yaml")["data"]
    for variable in config:
        if variable.startswith("CROUPIER_"):
            assert variable.removeprefix("CROUPIER_").lower() in Settings.model_fields, variable
    assert "@" in config["CROUPIER_DATABASE_URL"]
    assert ":" not in config["CROUPIER_DATABASE_URL"].split("//", 1)[1].split("@", 1)[0], "password in URL"
    assert not any(
        k in config for k in ("CROUPIER_KEYRING", "CROUPIER_METRICS_TOKEN", "CROUPIER_PSP_API_KEY")
    )


def test_jobs_run_in_the_worker_and_migrations_in_the_job() -> None:
    (api,) = _pod("app/deployment-api.yaml")["containers"]
    (worker,) = _pod("app/deployment-worker.yaml")["containers"]
    (migrate,) = _pod("migrate/job.yaml")["containers"]
    assert {"name": "CROUPIER_JOBS_WORKER", "value": "off"} in api["env"]
    assert worker["args"] == ["jobs", "worker"]
    assert migrate["args"] == ["db", "upgrade"]
    assert _pod("migrate/job.yaml")["restartPolicy"] == "Never"


def test_the_disruption_budget_service_and_autoscaler_select_the_api_replicas() -> None:
    api = _manifest("app/deployment-api.yaml")
    labels = api["spec"]["template"]["metadata"]["labels"]
    budget = _manifest("app/poddisruptionbudget.yaml")["spec"]
    service = _manifest("app/service.yaml")["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert service["selector"].items() <= labels.items()
    assert budget["maxUnavailable"] < api["spec"]["replicas"]
    autoscaler = _manifest("components/hpa/horizontalpodautoscaler.yaml")["spec"]
    assert autoscaler["scaleTargetRef"]["name"] == api["metadata"]["name"]
    assert autoscaler["minReplicas"] >= api["spec"]["replicas"]
