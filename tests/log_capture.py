"""The service's own JSON logs, captured in a test: turn them on, read them as dicts."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from croupier.kit.logging import configure_logging


@pytest.fixture
def json_logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """The service's own JSON logging restored to the tests' after (``capture_json_logs`` turns it on)."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield capsys
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


def capture_json_logs(captured: pytest.CaptureFixture[str]) -> None:
    # Here, in the test: the captured stderr a logger prints to is the one of this phase.
    configure_logging("info")
    captured.readouterr()


def json_lines(captured: pytest.CaptureFixture[str]) -> tuple[str, list[dict[str, Any]]]:
    text = captured.readouterr().err
    return text, [json.loads(line) for line in text.splitlines() if line.startswith("{")]
