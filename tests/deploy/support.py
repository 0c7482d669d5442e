"""What the deployment tests share: the repository's files, read as the tools that use them read them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "compose.yaml"
DOCKERFILE = REPO / "Dockerfile"
LOCK_FILE = REPO / "requirements.lock"
BUILD_LOCK_FILE = REPO / "deploy" / "requirements-build.lock"
KUBERNETES = REPO / "deploy" / "kubernetes"
HAPROXY_COMPOSE_CONFIG = REPO / "deploy" / "haproxy" / "compose.cfg"
PROMETHEUS_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
PROMETHEUS_RULES = REPO / "deploy" / "prometheus" / "alerts.yml"
RUNBOOK = REPO / "docs" / "operations.md"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def debian_tool(name: str, package: str) -> str:
    """A Debian package's command: skipped locally without it, failed in CI (which installs it)."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: CI must install it (`apt-get install {package}`)")
        pytest.skip(f"{name} is not installed (Debian package {package})")
    return found
