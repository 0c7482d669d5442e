"""What one sandbox provider process is told at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PspConfig:
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    payout_delay: float = 0.2
    refund_delay: float = 0.2
    # Payments of at least this amount (minor units) get a 3-D Secure challenge whatever the card.
    challenge_above: int | None = None
    webhook_timeout: float = 5.0
    retry_initial_backoff: float = 0.1
    retry_max_backoff: float = 2.0
    retry_window: float = 600.0
    # Attempts in flight at once across all receivers.
    delivery_concurrency: int = 8
