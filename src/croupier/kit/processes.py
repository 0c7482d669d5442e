"""What starting a process of Croupier's own needs: its command line, and a free loopback port."""

from __future__ import annotations

import socket
import sys
from pathlib import Path


def croupier_command() -> list[str]:
    """The ``croupier`` script installed next to this Python, else the module: the same Croupier."""
    script = Path(sys.executable).with_name("croupier")
    return [str(script)] if script.exists() else [sys.executable, "-m", "croupier"]


def free_port() -> int:
    """A loopback port nothing listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
