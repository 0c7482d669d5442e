"""The sandbox payment provider: a card vault, payments, refunds, payouts and signed webhooks.

It runs as its own HTTP service (``croupier sandbox psp``) so that Croupier's
payments domain talks to it exactly as it would to a real provider. Its state
lives in memory and disappears with the process.
"""

from croupier.sandbox.psp.app import create_psp_app
from croupier.sandbox.psp.config import PspConfig

__all__ = ["PspConfig", "create_psp_app"]
