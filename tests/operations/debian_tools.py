"""The Debian packages the drills start: skipped locally when missing, a failure in CI (``.ci/run``
installs them)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

PACKAGES = {
    "haproxy": "/usr/sbin/haproxy",
    "redis-server": "/usr/bin/redis-server",
    "patroni": "/usr/bin/patroni",
    "etcd": "/usr/bin/etcd",
}
# Where the Debian package is not named after the program.
PACKAGE_OF = {"etcd": "etcd-server"}


def require(tool: str) -> str:
    """The path of ``tool`` (a key of ``PACKAGES``), or skip the test (fail it in CI)."""
    found = shutil.which(tool) or (PACKAGES[tool] if Path(PACKAGES[tool]).exists() else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(
                f"{tool} is missing: CI must install it (`apt-get install {PACKAGE_OF.get(tool, tool)}`)"
            )
        pytest.skip(f"{tool} is not installed")
    return found
