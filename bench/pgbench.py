"""pgbench, as the wallet benchmark runs it: the embedded server's own binary, a per-transaction
log for the latency percentiles, and the figures it prints."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from wallet_http import Measurement


def pg_tool(name: str) -> str:
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


def threads_for(clients: int) -> int:
    return max(1, min(clients, os.cpu_count() or 1))


def run_pgbench(
    label: str, uri: str, *, scripts: list[str], clients: int, seconds: float, logs: Path
) -> Measurement:
    """``pgbench SCRIPTS`` at ``clients`` for ``seconds``: transactions/s and each transaction's latency.

    ``scripts`` are pgbench's own options naming what to run (``--builtin=…``, ``--file=…@weight``).
    """
    logs.mkdir(parents=True)
    run = subprocess.run(
        [
            pg_tool("pgbench"),
            *scripts,
            f"--client={clients}",
            f"--jobs={threads_for(clients)}",
            f"--time={round(seconds)}",
            "--log",
            "--log-prefix=tx",
            uri,
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        cwd=logs,
    )
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"pgbench failed ({label}):\n{run.stdout}\n{run.stderr[-3000:]}")
    tps = float(found.group(1))
    # Per-transaction log lines: client_id transaction_no time_us script_no time_epoch time_us_part
    latencies = [
        int(line.split()[2]) / 1e6
        for path in logs.iterdir()
        for line in path.read_text().splitlines()
        if line
    ]
    failed = re.search(r"number of failed transactions: (\d+)", run.stdout)
    return Measurement(
        label,
        operations=round(tps * seconds),
        seconds=seconds,
        latencies=latencies,
        errors=int(failed.group(1)) if failed else 0,
    )
