"""``create_register_app(config)``: the sandbox register as one FastAPI application.

Like GAMSTOP's v2 API: ``POST /v2`` with the ``X-API-Key`` header and a form body of
``firstName``, ``lastName``, ``dateOfBirth`` (YYYY-MM-DD), ``email``, ``postcode`` (and
optionally ``mobile``); the answer is in the ``X-Exclusion`` header (``Y``, ``N`` or ``P``)
with an ``X-Unique-Id`` for the check. A wrong key is 403, a missing field 400.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Literal
from urllib.parse import parse_qs

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

# postcode and mobile are sent too, and may be empty.
REQUIRED = ("firstName", "lastName", "dateOfBirth", "email")
_BY_PREFIX = (("excluded", "Y"), ("lapsed", "P"), ("outage", "outage"))


@dataclass(frozen=True)
class RegisterConfig:
    api_key: str


@dataclass
class _State:
    overrides: dict[str, str] = field(default_factory=dict)
    checks: list[dict[str, str]] = field(default_factory=list)

    def answer(self, email: str) -> str:
        folded = email.strip().casefold()
        if folded in self.overrides:
            return self.overrides[folded]
        local = folded.split("@", maxsplit=1)[0]
        return next((answer for prefix, answer in _BY_PREFIX if local.startswith(prefix)), "N")


class Override(BaseModel):
    answer: Literal["Y", "N", "P", "outage"]


def create_register_app(config: RegisterConfig) -> FastAPI:
    state = _State()
    app = FastAPI(
        title="Croupier sandbox self-exclusion register",
        summary="A national self-exclusion register shaped like GAMSTOP's, for development and tests.",
    )

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v2", summary="Is this person self-excluded?")
    async def check(
        request: Request, api_key: Annotated[str | None, Header(alias="X-API-Key")] = None
    ) -> Response:
        if api_key is None or not secrets.compare_digest(api_key, config.api_key):
            return JSONResponse({"message": "Invalid API key"}, status_code=403)
        # The form parsed by hand (urlencoded, as the register takes it): no multipart parser needed.
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode(), max_num_fields=20).items()}
        missing = [name for name in REQUIRED if not form.get(name)]
        if missing:
            return JSONResponse({"message": f"Missing: {', '.join(missing)}"}, status_code=400)
        answer = state.answer(form["email"])
        # Only what a test needs to see that a check arrived, and with which postcode; never the
        # whole person.
        state.checks.append({"email": form["email"], "postcode": form.get("postcode", ""), "answer": answer})
        if answer == "outage":
            return JSONResponse({"message": "Service unavailable"}, status_code=503)
        return Response(status_code=200, headers={"X-Exclusion": answer, "X-Unique-Id": str(uuid.uuid4())})

    @app.put("/sandbox/people/{email}", tags=["sandbox"], summary="Set one address's answer")
    async def override(email: str, body: Override) -> dict[str, str]:
        state.overrides[email.strip().casefold()] = body.answer
        return {"email": email, "answer": body.answer}

    @app.get(
        "/sandbox/checks",
        tags=["sandbox"],
        summary="The checks received, oldest first: address, postcode (empty if none) and answer",
    )
    async def checks() -> list[dict[str, str]]:
        return state.checks

    return app
