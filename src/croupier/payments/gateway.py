"""The process's payment provider, built once from settings, and the relay's wake-up call."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.db import after_commit, shared_context
from croupier.kit.errors import CroupierError
from croupier.kit.runtime import Runtime
from croupier.payments.provider import PaymentProvider
from croupier.payments.psp_http import HttpPspProvider

_PROVIDER = "payments.provider"
WAKE_KEY = "payments.wake"


class PaymentsNotConfigured(CroupierError):
    code = "payments_not_configured"
    status = 503
    title = "Payments are not configured"


def provider_of(runtime: Runtime) -> PaymentProvider:
    provider: PaymentProvider | None = runtime.extras.get(_PROVIDER)
    if provider is None:
        settings = runtime.settings
        if settings.psp_api_key is None or settings.psp_webhook_secrets is None:
            raise PaymentsNotConfigured(
                "Set CROUPIER_PSP_API_KEY and CROUPIER_PSP_WEBHOOK_SECRETS to take payments."
            )
        secrets = [s.strip().encode() for s in settings.psp_webhook_secrets.get_secret_value().split(",")]
        provider = runtime.extras[_PROVIDER] = HttpPspProvider(
            settings.psp_url,
            settings.psp_api_key.get_secret_value(),
            [s for s in secrets if s],
            tolerance_seconds=settings.psp_webhook_tolerance_seconds,
            max_amount=settings.psp_max_amount,
        )
    return provider


def wake_submissions(session: AsyncSession) -> None:
    """Once this transaction commits, nudge the process's submission relay (if it runs)."""
    shared = shared_context(session)

    async def _wake() -> None:
        wake: Callable[[], None] | None = shared.get(WAKE_KEY)
        if wake is not None:
            wake()

    after_commit(session, WAKE_KEY, _wake)
