"""Responsible-gambling tests run against a live Croupier and the sandbox provider."""

from tests.payments.support import live

__all__ = ["live"]
