"""The KYC adapter over HTTP (``croupier sandbox kyc`` speaks it).

JSON with a bearer API key; documents go as multipart; webhooks are signed with
HMAC-SHA256 over ``"<t>.<body>"`` in ``KYC-Signature``, the scheme of the payment
provider's (``croupier.payments.signatures``). Documents are never logged: only the
path and the error's type are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import structlog

from croupier.compliance.kyc.provider import (
    ApplicantData,
    KycEvent,
    KycProviderRefused,
    KycProviderUnavailable,
    KycWebhookMalformed,
    KycWebhookSignatureInvalid,
    ProviderCheck,
)
from croupier.kit.tracing import propagate
from croupier.payments import signatures

_log = structlog.get_logger("croupier.kyc")
TIMEOUT = httpx.Timeout(30.0, connect=3.0)
SIGNATURE_HEADER = "KYC-Signature"
MAX_EVENT_BYTES = 64 * 1024


class HttpKycProvider:
    name = "kyc"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        webhook_secrets: list[bytes],
        *,
        tolerance_seconds: int = signatures.DEFAULT_TOLERANCE_SECONDS,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=TIMEOUT,
            follow_redirects=False,
            event_hooks={"request": [propagate]},
        )
        self._secrets = webhook_secrets
        self._tolerance = tolerance_seconds

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        step = path.rsplit("/", 1)[-1]
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            _log.warning("kyc_provider_unreachable", step=step, error=type(exc).__name__)
            raise KycProviderUnavailable("The identity-verification provider could not be reached.") from None
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            # A 401 means Croupier's own credentials are wrong: an outage, not the player's fault.
            _log.warning("kyc_provider_error", step=step, status=response.status_code)
            raise KycProviderUnavailable("The identity-verification provider failed; try again.")
        try:
            document = response.json()
        except ValueError:
            raise KycProviderUnavailable("The identity-verification provider answered nonsense.") from None
        if response.status_code >= 400:
            code = document.get("error") if isinstance(document, dict) else None
            raise KycProviderRefused(f"The provider refused it ({code or response.status_code}).")
        return document

    async def create_applicant(self, applicant: ApplicantData, *, webhook_url: str) -> str:
        body = {
            "external_id": applicant.external_id,
            "first_name": applicant.first_name,
            "last_name": applicant.last_name,
            "date_of_birth": applicant.date_of_birth.isoformat(),
            "country": applicant.country,
            "webhook_url": webhook_url,
        }
        return _id_of(await self._call("POST", "/v1/applicants", json=body))

    async def upload_document(self, *, applicant_id: str, kind: str, content_type: str, data: bytes) -> str:
        files = {"file": (f"{kind}", data, content_type)}
        doc = await self._call(
            "POST", f"/v1/applicants/{applicant_id}/documents", data={"kind": kind}, files=files
        )
        return _id_of(doc)

    async def create_check(
        self, *, applicant_id: str, level: str, reference: str, address: str | None
    ) -> ProviderCheck:
        body = {"level": level, "reference": reference, "address": address}
        answer = await self._call("POST", f"/v1/applicants/{applicant_id}/checks", json=body)
        try:
            return check_from(answer)
        except (ValueError, KeyError, TypeError):
            raise KycProviderUnavailable("The identity-verification provider answered nonsense.") from None

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> KycEvent:
        if len(body) > MAX_EVENT_BYTES:
            raise KycWebhookMalformed("The event is too large.")
        try:
            signatures.verify(self._secrets, body, headers.get(SIGNATURE_HEADER), tolerance=self._tolerance)
        except signatures.SignatureError as exc:
            raise KycWebhookSignatureInvalid(f"Webhook refused: {exc}.") from None
        try:
            doc = json.loads(body)
            return KycEvent(
                id=_text(doc["id"]),
                type=_text(doc["type"]),
                created=int(doc["created"]),
                check=check_from(doc["data"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise KycWebhookMalformed("The body is not an event document.") from exc


def _text(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ValueError("expected a short string")
    return value


def _id_of(doc: Any) -> str:
    try:
        return _text(doc["id"])
    except (ValueError, KeyError, TypeError):
        raise KycProviderUnavailable("The identity-verification provider answered nonsense.") from None


def _optional(value: Any) -> str | None:
    return None if value is None else _text(value)


def check_from(doc: Mapping[str, Any]) -> ProviderCheck:
    labels = doc.get("labels") or []
    if not isinstance(labels, list):
        raise TypeError("labels must be a list")
    return ProviderCheck(
        id=_text(doc["id"]),
        reference=_text(doc["reference"]),
        level=_text(doc["level"]),
        status=_text(doc["status"]),
        result=_optional(doc.get("result")),
        reject_type=_optional(doc.get("reject_type")),
        labels=tuple(_text(label) for label in labels[:10]),
    )
