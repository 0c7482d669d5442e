"""The risk engine is tested against a live Croupier (the sandbox provider, the served event
consumer) and, for third-party bets, a studio calling its Hub88 wallet in process."""

from tests.payments.support import live
from tests.providers.conftest import studio, studio_key

__all__ = ["live", "studio", "studio_key"]
