"""A worker of ``croupier serve`` with several workers ends when its supervisor does.

uvicorn's workers are ``multiprocessing`` children of the supervisor. When the supervisor
is killed outright (SIGKILL, the OOM killer) nothing stops them: they keep the port, their
event consumer and job worker, each retrying a database that may be gone, orphaned. On
Linux the kernel sends a signal to a process whose parent dies (``PR_SET_PDEATHSIG``); a
worker asks for SIGKILL. Not SIGTERM: uvicorn acts on that only once startup is over, and a
worker still starting (retrying its database) would linger. Ending outright loses nothing
acknowledged: every request's writes are one transaction, rolled back unless committed.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def end_with_supervisor() -> bool:
    """In a worker process on Linux, be killed when the supervisor dies; whether that was arranged.

    A process that is not a ``multiprocessing`` child (``croupier serve`` with one worker, a
    test) is left alone: its parent is a shell or a service manager, whose exit must not stop it.
    """
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    # The supervisor may have died before the call, and then no signal will ever come.
    if os.getppid() != parent.pid:
        os.kill(os.getpid(), signal.SIGKILL)
    return True
