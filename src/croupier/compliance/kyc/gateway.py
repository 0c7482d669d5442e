"""The process's KYC provider, built once from settings."""

from __future__ import annotations

from croupier.compliance.kyc.errors import KycNotConfigured
from croupier.compliance.kyc.provider import KycProvider
from croupier.compliance.kyc.provider_http import HttpKycProvider
from croupier.kit.runtime import Runtime

_PROVIDER = "kyc.provider"


def provider_of(runtime: Runtime) -> KycProvider:
    provider: KycProvider | None = runtime.extras.get(_PROVIDER)
    if provider is None:
        settings = runtime.settings
        if settings.kyc_api_key is None or settings.kyc_webhook_secrets is None:
            raise KycNotConfigured(
                "Set CROUPIER_KYC_API_KEY and CROUPIER_KYC_WEBHOOK_SECRETS to verify identities."
            )
        secrets = [s.strip().encode() for s in settings.kyc_webhook_secrets.get_secret_value().split(",")]
        provider = runtime.extras[_PROVIDER] = HttpKycProvider(
            settings.kyc_url,
            settings.kyc_api_key.get_secret_value(),
            [s for s in secrets if s],
            tolerance_seconds=settings.psp_webhook_tolerance_seconds,
        )
    return provider
