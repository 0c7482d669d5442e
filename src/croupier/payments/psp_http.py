"""The adapter for Croupier's provider protocol over HTTP (``croupier sandbox psp`` speaks it).

JSON over HTTPS with a bearer API key; creating calls carry ``Idempotency-Key``;
webhooks are signed with HMAC-SHA256 (``croupier.payments.signatures``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import structlog

from croupier.kit.tracing import propagate
from croupier.payments import signatures
from croupier.payments.provider import (
    CardDetails,
    PaymentMethodInvalid,
    ProviderEvent,
    ProviderPayment,
    ProviderRefused,
    ProviderTransfer,
    ProviderUnavailable,
    WebhookMalformed,
    WebhookSignatureInvalid,
)

_log = structlog.get_logger("croupier.payments")
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
MAX_EVENT_BYTES = 64 * 1024
# The protocol's amounts are JSON numbers: above 2**53 - 1 they lose precision in many parsers.
PROTOCOL_MAX_AMOUNT = 2**53 - 1


class HttpPspProvider:
    name = "psp"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        webhook_secrets: list[bytes],
        *,
        tolerance_seconds: int = signatures.DEFAULT_TOLERANCE_SECONDS,
        max_amount: int = PROTOCOL_MAX_AMOUNT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.max_amount = min(max_amount, PROTOCOL_MAX_AMOUNT)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=TIMEOUT,
            transport=transport,
            follow_redirects=False,
            event_hooks={"request": [propagate]},
        )
        self._secrets = webhook_secrets
        self._tolerance = tolerance_seconds

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, *, key: str | None = None, body: Any = None) -> Any:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            response = await self._http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            _log.warning(
                "psp_unreachable",
                path=path.split("/")[2] if path.count("/") > 1 else path,
                error=type(exc).__name__,
            )
            raise ProviderUnavailable("The payment provider could not be reached; try again.") from None
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            # A 401 means Croupier's own credentials are wrong: an outage, not the player's fault.
            _log.warning("psp_error", status=response.status_code)
            raise ProviderUnavailable("The payment provider failed; try again.")
        try:
            document = response.json()
        except ValueError:
            raise ProviderUnavailable("The payment provider answered nonsense.") from None
        if response.status_code >= 400:
            code = document.get("error") if isinstance(document, dict) else None
            raise ProviderRefused(str(code or f"http_{response.status_code}"))
        return document

    async def card(self, token: str) -> CardDetails:
        if not token.isascii() or not 4 <= len(token) <= 128 or "/" in token:
            raise PaymentMethodInvalid("That payment token is not one the provider issued.")
        try:
            doc = await self._call("GET", f"/v1/tokens/{token}")
        except ProviderRefused:
            raise PaymentMethodInvalid("That payment token is not one the provider issued.") from None
        return CardDetails(
            token=str(doc["token"]),
            brand=str(doc["brand"]),
            bin=str(doc["bin"]),
            last4=str(doc["last4"]),
            exp_month=int(doc["exp_month"]),
            exp_year=int(doc["exp_year"]),
            fingerprint=str(doc["fingerprint"]),
        )

    async def create_payment(
        self,
        *,
        key: str,
        amount: int,
        currency: str,
        token: str,
        reference: str,
        webhook_url: str,
        return_url: str | None,
    ) -> ProviderPayment:
        body: dict[str, Any] = {
            "amount": amount,
            "currency": currency,
            "token": token,
            "reference": reference,
            "webhook_url": webhook_url,
        }
        if return_url:
            body["return_url"] = return_url
        return payment_from(await self._call("POST", "/v1/payments", key=key, body=body))

    async def create_refund(
        self, *, key: str, payment_id: str, amount: int, reference: str, webhook_url: str
    ) -> ProviderTransfer:
        body = {
            "payment_id": payment_id,
            "amount": amount,
            "reference": reference,
            "webhook_url": webhook_url,
        }
        return transfer_from(await self._call("POST", "/v1/refunds", key=key, body=body))

    async def create_payout(
        self, *, key: str, amount: int, currency: str, token: str, reference: str, webhook_url: str
    ) -> ProviderTransfer:
        body = {
            "amount": amount,
            "currency": currency,
            "token": token,
            "reference": reference,
            "webhook_url": webhook_url,
        }
        return transfer_from(await self._call("POST", "/v1/payouts", key=key, body=body))

    def parse_event(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        if len(body) > MAX_EVENT_BYTES:
            raise WebhookMalformed("The event is too large.")
        try:
            signatures.verify(
                self._secrets, body, headers.get(signatures.SIGNATURE_HEADER), tolerance=self._tolerance
            )
        except signatures.SignatureError as exc:
            raise WebhookSignatureInvalid(f"Webhook refused: {exc}.") from None
        try:
            doc = json.loads(body)
            event = ProviderEvent(
                id=_text(doc["id"]), type=_text(doc["type"]), object=dict(doc["data"]["object"]), raw=doc
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookMalformed("The body is not an event document.") from exc
        return event


def _text(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 128:
        raise ValueError("expected a short string")
    return value


def payment_from(doc: Mapping[str, Any]) -> ProviderPayment:
    action = doc.get("next_action") or {}
    return ProviderPayment(
        id=_text(doc["id"]),
        status=_text(doc["status"]),
        amount=int(doc["amount"]),
        currency=_text(doc["currency"]),
        reference=_text(doc["reference"]),
        failure_code=doc.get("failure_code"),
        challenge_url=action.get("url") if isinstance(action, dict) else None,
    )


def transfer_from(doc: Mapping[str, Any]) -> ProviderTransfer:
    return ProviderTransfer(
        id=_text(doc["id"]),
        status=_text(doc["status"]),
        amount=int(doc["amount"]),
        currency=_text(doc.get("currency") or "XXX"),
        reference=_text(doc["reference"]),
        failure_code=doc.get("failure_code"),
    )
