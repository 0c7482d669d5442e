"""The monthly crash-recovery test: every drill, one after another, and one dated report.

Each drill runs as its own ``croupier drill NAME`` process, exactly as an operator runs it
alone, so a drill that crashes or hangs is a broken promise in the report rather than the end
of the test. The report (Markdown) keeps what each printed: its figures and, when a promise
broke, why.
"""

from __future__ import annotations

import os
import platform
import subprocess  # nosec B404 - its TimeoutExpired only: support.croupier runs the drills
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from croupier import __version__
from croupier.operations.drills import support

# A drill that has not finished by then is stopped and counted as broken.
DRILL_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class DrillRun:
    name: str
    exit_status: int
    seconds: float
    printed: str  # what the drill printed: its verdict line and figures
    complaints: str  # its standard error: why a promise broke, or how it failed

    @property
    def held(self) -> bool:
        return self.exit_status == 0


def run_drill(name: str, *, quick: bool) -> DrillRun:
    """``croupier drill NAME``, in a process of its own, with this process's environment.

    ``quick`` asks for the drill's short run (``--quick``, which only some drills have).
    """
    started = time.monotonic()
    try:
        done = support.croupier(
            "drill", name, *(["--quick"] if quick else []), env=os.environ, timeout=DRILL_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as expired:
        printed = expired.stdout if isinstance(expired.stdout, str) else ""
        return DrillRun(
            name, -1, time.monotonic() - started, printed, f"stopped after {DRILL_TIMEOUT_SECONDS} s"
        )
    return DrillRun(name, done.returncode, time.monotonic() - started, done.stdout, done.stderr)


def report_markdown(runs: list[DrillRun], *, started: datetime, quick: bool) -> str:
    held = all(run.held for run in runs)
    lines = [
        f"# Crash-recovery test, {started:%Y-%m-%d}",
        "",
        f"- Verdict: **{'every promise held' if held else 'PROMISES BROKEN'}**",
        f"- Croupier {__version__}, Python {platform.python_version()}, {platform.platform(terse=True)}",
        f"- Started {started:%Y-%m-%d %H:%M:%S} UTC; {'short (CI) runs' if quick else 'full runs'}",
        "",
        "| drill | result | seconds |",
        "|---|---|---|",
        *(f"| {run.name} | {'held' if run.held else 'BROKEN'} | {run.seconds:.0f} |" for run in runs),
    ]
    for run in runs:
        lines += ["", f"## {run.name}: {'held' if run.held else 'BROKEN'} (exit {run.exit_status})", ""]
        lines += ["```", run.printed.rstrip() or "(nothing printed)", "```"]
        if not run.held:
            lines += ["", "What went wrong:", "", "```", run.complaints.rstrip() or "(nothing said)", "```"]
    return "\n".join(lines) + "\n"


def write_report(folder: Path, markdown: str, *, started: datetime) -> Path:
    """``crash-recovery-YYYY-MM-DD.md`` in FOLDER; a second run the same day gets its time appended."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-recovery-{started:%Y-%m-%d}.md"
    if path.exists():
        path = folder / f"crash-recovery-{started:%Y-%m-%d-%H%M%S}.md"
    path.write_text(markdown)
    return path


def now() -> datetime:
    return datetime.now(UTC)
