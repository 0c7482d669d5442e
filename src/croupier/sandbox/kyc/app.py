"""``create_kyc_app(config)``: the sandbox KYC provider as one FastAPI application.

Applicant → documents → check → a signed webhook with the result, as Sumsub and Onfido
work. A check answers ``pending`` at once and sends ``check.pending``; after
``decision_delay`` seconds it decides from the documents and the applicant's data
and sends ``check.completed`` (``approved``, or ``rejected`` with ``retry`` or
``final``). Webhooks are signed like the payment sandbox's (HMAC-SHA256 over
``"<t>.<body>"``, header ``KYC-Signature``) and retried until a 2xx, in order per
applicant.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, cast

import httpx
import structlog
from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from croupier.payments.signatures import sign
from croupier.sandbox.kyc.documents import SEVERITY, Outcome, outcome_of

SIGNATURE_HEADER = "KYC-Signature"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
_log = structlog.get_logger("croupier.sandbox.kyc")
_LABELS = {Outcome.REJECT_RETRY: ["document_unreadable"], Outcome.REJECT_FINAL: ["document_forged"]}


@dataclass(frozen=True)
class KycSandboxConfig:
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    decision_delay: float = 0.2
    webhook_timeout: float = 5.0
    retry_max_backoff: float = 2.0
    retry_window: float = 600.0


@dataclass
class Document:
    id: str
    kind: str
    content_type: str
    size: int
    outcome: Outcome


@dataclass
class Check:
    id: str
    applicant_id: str
    external_id: str
    reference: str
    level: str
    status: str = "pending"
    result: str | None = None
    reject_type: str | None = None
    labels: list[str] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "applicant_id": self.applicant_id,
            "external_id": self.external_id,
            "reference": self.reference,
            "level": self.level,
            "status": self.status,
            "result": self.result,
            "reject_type": self.reject_type,
            "labels": self.labels,
        }


@dataclass
class Applicant:
    id: str
    external_id: str
    first_name: str
    last_name: str
    date_of_birth: date
    country: str
    webhook_url: str
    documents: list[Document] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    # Webhooks to this applicant's receiver go one at a time, in order.
    lane: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)


@dataclass
class Event:
    id: str
    type: str
    reference: str
    url: str
    body: bytes = field(repr=False)
    delivered: bool = False
    attempts: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "reference": self.reference,
            "delivered": self.delivered,
            "attempts": self.attempts,
        }


class ApplicantIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=64)
    first_name: str = Field(min_length=1, max_length=200)
    last_name: str = Field(min_length=1, max_length=200)
    date_of_birth: date
    country: str = Field(pattern=r"^[A-Z]{2}$")
    webhook_url: str = Field(pattern=r"^https?://", max_length=2000)


class CheckIn(BaseModel):
    level: str = Field(pattern=r"^(basic|full)$")
    reference: str = Field(min_length=1, max_length=64)
    address: str | None = Field(None, max_length=500)


class SandboxError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class KycState:
    def __init__(self, config: KycSandboxConfig) -> None:
        self.config = config
        self.applicants: dict[str, Applicant] = {}
        self.by_external: dict[str, Applicant] = {}
        self.checks: dict[str, Check] = {}
        self.events: dict[str, Event] = {}
        self.client: httpx.AsyncClient | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}{secrets.token_hex(4)}"

    def applicant(self, applicant_id: str) -> Applicant:
        found = self.applicants.get(applicant_id)
        if found is None:
            raise SandboxError(404, "applicant_not_found", "No such applicant.")
        return found

    def create_applicant(self, body: ApplicantIn) -> tuple[Applicant, bool]:
        """One applicant per external id: asking again answers the same one."""
        if body.external_id in self.by_external:
            return self.by_external[body.external_id], False
        applicant = Applicant(id=self.new_id("app"), **body.model_dump())
        self.applicants[applicant.id] = applicant
        self.by_external[applicant.external_id] = applicant
        return applicant, True

    def create_check(self, applicant: Applicant, body: CheckIn) -> Check:
        for existing in applicant.checks:
            if existing.reference == body.reference:
                return existing  # the same request again
        check = Check(
            id=self.new_id("chk"),
            applicant_id=applicant.id,
            external_id=applicant.external_id,
            reference=body.reference,
            level=body.level,
        )
        applicant.checks.append(check)
        self.checks[check.id] = check
        self.publish(applicant, "check.pending", check)
        self._spawn(self._decide_later(applicant, check, body.address))
        return check

    def _decide(self, applicant: Applicant, check: Check, address: str | None) -> Outcome:
        if _age(applicant.date_of_birth, date.today()) < 18:  # noqa: DTZ011 - the sandbox's own day
            check.labels = ["underage"]
            return Outcome.REJECT_FINAL
        if not (address or "").strip():
            check.labels = ["address_missing"]
            return Outcome.REJECT_RETRY
        if check.level == "basic":
            return Outcome.APPROVE
        newest = {d.kind: d for d in applicant.documents}
        if "identity_document" not in newest or "selfie" not in newest:
            check.labels = ["document_missing"]
            return Outcome.REJECT_RETRY
        worst = max((newest[k].outcome for k in ("identity_document", "selfie")), key=SEVERITY.index)
        check.labels = list(_LABELS.get(worst, []))
        return worst

    async def _decide_later(self, applicant: Applicant, check: Check, address: str | None) -> None:
        await asyncio.sleep(self.config.decision_delay)
        outcome = self._decide(applicant, check, address)
        if outcome == Outcome.PENDING:
            return
        check.status = "completed"
        check.result = "approved" if outcome == Outcome.APPROVE else "rejected"
        check.reject_type = {Outcome.REJECT_RETRY: "retry", Outcome.REJECT_FINAL: "final"}.get(outcome)
        self.publish(applicant, "check.completed", check)

    def publish(self, applicant: Applicant, event_type: str, check: Check) -> Event:
        event_id = self.new_id("evt")
        payload = {"id": event_id, "type": event_type, "created": int(time.time()), "data": check.public()}
        event = Event(
            id=event_id,
            type=event_type,
            reference=check.reference,
            url=applicant.webhook_url,
            body=json.dumps(payload, separators=(",", ":")).encode(),
        )
        self.events[event.id] = event
        self._spawn(self.deliver(applicant, event))
        return event

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, applicant: Applicant, event: Event) -> None:
        """Retry with backoff until a 2xx or the retry window closes; one at a time per applicant."""
        deadline, backoff = time.monotonic() + self.config.retry_window, 0.05
        async with applicant.lane:
            while time.monotonic() < deadline:
                event.attempts += 1
                headers = {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(self.config.webhook_secret.encode(), event.body),
                }
                if self.client is None:  # the lifespan opens it before any request
                    return
                try:
                    response = await self.client.post(event.url, content=event.body, headers=headers)
                    if response.is_success:
                        event.delivered = True
                        return
                    outcome = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                _log.info("kyc.webhook_failed", event_id=event.id, attempt=event.attempts, outcome=outcome)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.config.retry_max_backoff)


def _state(request: Request) -> KycState:
    return cast(KycState, request.app.state.kyc)


async def require_api_key(request: Request) -> None:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    expected = _state(request).config.api_key.encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(credential.strip().encode(), expected):
        raise SandboxError(401, "unauthorized", "A valid API key is required.")


State = Annotated[KycState, Depends(_state)]
api = APIRouter(prefix="/v1", tags=["server"], dependencies=[Depends(require_api_key)])
simulation = APIRouter(prefix="/sandbox", tags=["simulation"], dependencies=[Depends(require_api_key)])


@api.post("/applicants", status_code=201, summary="Create (or find, by external_id) an applicant")
async def create_applicant(body: ApplicantIn, state: State) -> JSONResponse:
    applicant, created = state.create_applicant(body)
    return JSONResponse({"id": applicant.id, "external_id": applicant.external_id}, 201 if created else 200)


@api.post("/applicants/{applicant_id}/documents", status_code=201, summary="Add a document")
async def add_document(
    applicant_id: str,
    state: State,
    kind: Annotated[str, Form(pattern=r"^(identity_document|selfie|proof_of_address)$")],
    file: Annotated[UploadFile, File()],
) -> JSONResponse:
    applicant = state.applicant(applicant_id)
    data = await file.read(MAX_DOCUMENT_BYTES + 1)
    if not data or len(data) > MAX_DOCUMENT_BYTES:
        raise SandboxError(422, "invalid_document", "The document is empty or too large.")
    document = Document(
        id=state.new_id("doc"),
        kind=kind,
        content_type=file.content_type or "application/octet-stream",
        size=len(data),
        outcome=outcome_of(data),
    )
    applicant.documents.append(document)
    return JSONResponse({"id": document.id, "kind": kind, "size": document.size}, 201)


@api.post("/applicants/{applicant_id}/checks", status_code=201, summary="Check the applicant")
async def create_check(applicant_id: str, body: CheckIn, state: State) -> JSONResponse:
    return JSONResponse(state.create_check(state.applicant(applicant_id), body).public(), 201)


@api.get("/checks/{check_id}")
async def get_check(check_id: str, state: State) -> JSONResponse:
    check = state.checks.get(check_id)
    if check is None:
        raise SandboxError(404, "check_not_found", "No such check.")
    return JSONResponse(check.public())


@simulation.get("/events", summary="Webhook events, oldest first, optionally for one reference")
async def list_events(state: State, reference: str | None = None) -> JSONResponse:
    found = [e.summary() for e in state.events.values() if reference in (None, e.reference)]
    return JSONResponse({"items": found})


@simulation.post("/events/{event_id}/redeliver", summary="Deliver an event once more, as it was")
async def redeliver(event_id: str, state: State) -> JSONResponse:
    event = state.events.get(event_id)
    if event is None:
        raise SandboxError(404, "event_not_found", "No such event.")
    applicant = next(
        a for a in state.applicants.values() if any(c.reference == event.reference for c in a.checks)
    )
    await state.deliver(applicant, event)
    return JSONResponse(event.summary())


def create_kyc_app(config: KycSandboxConfig) -> FastAPI:
    state = KycState(config)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        state.client = httpx.AsyncClient(
            timeout=config.webhook_timeout,
            follow_redirects=False,
            headers={"User-Agent": "croupier-sandbox-kyc"},
        )
        try:
            yield
        finally:
            for task in list(state.tasks):
                task.cancel()
            await asyncio.gather(*state.tasks, return_exceptions=True)
            await state.client.aclose()

    app = FastAPI(
        title="Croupier sandbox KYC provider",
        summary="In-memory applicants, documents and checks with signed webhooks, for development and tests.",
        lifespan=lifespan,
    )
    app.state.kyc = state

    @app.exception_handler(SandboxError)
    async def _refused(_: Request, exc: SandboxError) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)

    @app.get("/healthz", tags=["operations"], summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api)
    app.include_router(simulation)
    return app
