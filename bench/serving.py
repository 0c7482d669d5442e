"""What the benchmark scripts share: starting `croupier serve` until `/readyz` answers, and
percentiles."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from croupier.kit.processes import croupier_command


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def spawn_until_ready(
    args: list[str], *, env: dict[str, str], cwd: Path, log: Path, url: str, timeout: float, own_group: bool
) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``croupier ARGS``; the process and the seconds until ``url/readyz`` answered 200.

    ``own_group`` starts it in a process group of its own, so its workers can be stopped with it.
    On failure the process is killed and the script exits with the end of the log.
    """
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*croupier_command(), *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=out,
            start_new_session=own_group,
        )
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"croupier serve exited with {process.returncode}; log: {tail(log)}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return process, time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=10)
    raise SystemExit(f"not ready within {timeout:.0f} s; log: {tail(log)}")
