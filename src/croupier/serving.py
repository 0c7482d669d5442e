"""The app as ``croupier serve`` has uvicorn load it in every worker.

A worker first asks to end with its supervisor (``kit.supervision``), then imports the app:
the import takes seconds, and a supervisor killed during them must not leave it orphaned.
"""

from croupier.kit.supervision import end_with_supervisor

end_with_supervisor()

from fastapi import FastAPI  # noqa: E402 - after the line above, on purpose

from croupier import api  # noqa: E402
from croupier.kit.logging import configure_logging  # noqa: E402
from croupier.kit.settings import get_settings  # noqa: E402


def create_app() -> FastAPI:
    """The app of a serving process: SIGTERM drains it before uvicorn stops it, and the heap
    it holds once started is frozen (``kit.heap``).

    Logging is configured again: a worker is a fresh interpreter (``spawn``), and without
    it would print its logs unscrubbed, not as JSON, to stdout.
    """
    configure_logging(get_settings().log_level)
    return api.create_app(drain_on_sigterm=True, freeze_heap=True)
