"""The register adapter: a person in, ``Y``, ``N`` or ``P`` out, as GAMSTOP's API v2 answers.

``POST {register_url}/v2`` with ``X-API-Key`` and a form body (``firstName``, ``lastName``,
``dateOfBirth``, ``email``, ``postcode``); the answer is the ``X-Exclusion`` response header.
Anything else (a time-out, a refused connection, a status other than 200, a missing or
unknown header) is ``UNAVAILABLE``: the caller decides what an outage means. Nothing about
the person is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import httpx
import structlog

from croupier.kit.settings import Settings
from croupier.kit.tracing import propagate

_log = structlog.get_logger("croupier.register")


class Answer(StrEnum):
    EXCLUDED = "Y"  # self-excluded now: no gambling
    NOT_REGISTERED = "N"
    PREVIOUSLY = "P"  # self-excluded before, no longer
    UNAVAILABLE = "unavailable"  # the register did not answer


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    date_of_birth: date
    email: str
    postcode: str | None  # None: none on file; sent empty


@dataclass(frozen=True)
class Verdict:
    answer: Answer
    unique_id: str | None = None  # the register's id for the check, for an audit of it


def configured(settings: Settings) -> bool:
    return settings.register_api_key is not None


async def ask(settings: Settings, person: Person) -> Verdict:
    """The register's answer about ``person``; ``UNAVAILABLE`` when it gives none in time."""
    if settings.register_api_key is None:
        raise RuntimeError("the register is not configured")
    form = {
        "firstName": person.first_name,
        "lastName": person.last_name,
        "dateOfBirth": person.date_of_birth.isoformat(),
        "email": person.email,
        "postcode": person.postcode or "",
    }
    headers = {"X-API-Key": settings.register_api_key.get_secret_value()}
    try:
        async with httpx.AsyncClient(
            timeout=settings.register_timeout_seconds, event_hooks={"request": [propagate]}
        ) as http:
            response = await http.post(f"{settings.register_url.rstrip('/')}/v2", data=form, headers=headers)
    except httpx.HTTPError as exc:
        _log.warning("register_unavailable", reason=type(exc).__name__)
        return Verdict(Answer.UNAVAILABLE)
    value = response.headers.get("X-Exclusion", "")
    if response.status_code != 200 or value not in {
        Answer.EXCLUDED,
        Answer.NOT_REGISTERED,
        Answer.PREVIOUSLY,
    }:
        _log.warning("register_unavailable", reason=f"status {response.status_code}")
        return Verdict(Answer.UNAVAILABLE)
    return Verdict(Answer(value), response.headers.get("X-Unique-Id"))
