"""The app as ``croupier serve`` has uvicorn load it in every worker.

A worker first asks to end with its supervisor (``kit.supervision``), then imports the app:
the import takes seconds, and a supervisor killed during them must not leave it orphaned.
"""

from croupier.kit.supervision import end_with_supervisor

end_with_supervisor()

from croupier.api import create_app  # noqa: E402 - after the line above, on purpose

__all__ = ["create_app"]
