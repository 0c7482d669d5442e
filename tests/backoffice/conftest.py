"""The four-eyes tests run against a live Croupier (and, for withdrawals, the sandbox provider)."""

from tests.backoffice.support import desk

__all__ = ["desk"]
