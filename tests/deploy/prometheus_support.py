"""What the deployment files are checked against: Croupier's own metric names, and promtool.

promtool comes with Debian's ``prometheus`` package: without it a test is skipped locally
and fails in CI, which installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess  # nosec B404 - promtool, a fixed local program, checks the rule files
from pathlib import Path

import pytest
from prometheus_client.metrics_core import Metric

import croupier.api  # noqa: F401 - every module that declares a metric, imported
from croupier.kit.metrics import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RUNBOOK = ROOT / "docs" / "operations.md"
# Series Prometheus itself writes for every target.
SCRAPE_SERIES = frozenset({"up"})

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
}
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_NAME = re.compile(r"(?<![\w:])[a-zA-Z_:][\w:]*")


def _series_of(family: Metric) -> set[str]:
    return {family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",))}


def croupier_series() -> set[str]:
    """Every series name Croupier's registry can serve."""
    return {name for family in REGISTRY.collect() for name in _series_of(family)}


def metric_names(expr: str) -> set[str]:
    """The series (and recording rules) an expression reads: ``croupier…`` names and ``up``."""
    bare = _QUOTED.sub('""', expr)
    # Range and offset durations ([5m], offset 1h) and label names inside {...} are not series.
    bare = re.sub(r"\{[^}]*\}", "{}", bare)
    bare = re.sub(r"\[[^\]]*\]", "[]", bare)
    return {n for n in _NAME.findall(bare) if n.startswith("croupier") or n in SCRAPE_SERIES}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing: CI must install it (`apt-get install prometheus`)")
        pytest.skip("promtool is not installed (Debian package prometheus)")
    return found


def run_promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A fixed program from PATH with arguments of the test's own; no shell.
    return subprocess.run(  # noqa: S603 # nosec B603
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
