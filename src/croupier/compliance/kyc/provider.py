"""The KYC provider adapter: what Croupier asks of an identity-verification service.

Applicant → documents → check, and the check's result later by a signed webhook
(Sumsub's and Onfido's shape). ``provider_http.HttpKycProvider`` speaks the protocol
``croupier sandbox kyc`` serves; a real provider is another adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from croupier.kit.errors import CroupierError


class KycProviderUnavailable(CroupierError):
    code = "kyc_provider_unavailable"
    status = 503
    title = "The identity-verification provider is unavailable; try again"


class KycProviderRefused(CroupierError):
    code = "kyc_provider_refused"
    status = 422
    title = "The identity-verification provider refused the request"


class KycWebhookSignatureInvalid(CroupierError):
    code = "webhook_signature_invalid"
    status = 401
    title = "Webhook signature invalid"


class KycWebhookMalformed(CroupierError):
    code = "webhook_malformed"
    status = 400
    title = "Webhook body malformed"


@dataclass(frozen=True)
class ApplicantData:
    external_id: str  # the player's id: the provider finds the same applicant again by it
    first_name: str
    last_name: str
    date_of_birth: date
    country: str


@dataclass(frozen=True)
class ProviderCheck:
    id: str
    reference: str  # Croupier's check id
    level: str
    status: str  # pending | completed
    result: str | None  # approved | rejected
    reject_type: str | None  # retry | final
    labels: tuple[str, ...]


@dataclass(frozen=True)
class KycEvent:
    id: str
    type: str  # check.pending | check.completed
    created: int
    check: ProviderCheck


class KycProvider(Protocol):
    name: str

    async def create_applicant(self, applicant: ApplicantData, *, webhook_url: str) -> str: ...

    async def upload_document(
        self, *, applicant_id: str, kind: str, content_type: str, data: bytes
    ) -> str: ...

    async def create_check(
        self, *, applicant_id: str, level: str, reference: str, address: str | None
    ) -> ProviderCheck: ...

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> KycEvent: ...
