"""Events tests: a live Croupier next to the sandbox provider for the payment events, and a
registered studio for the third-party game events."""

from tests.payments.support import live
from tests.providers.conftest import studio, studio_key

__all__ = ["live", "studio", "studio_key"]
