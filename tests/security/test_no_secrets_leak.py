"""Passwords, session tokens and card numbers never reach the logs or the audit trail.

The app is driven through its public API with distinctive secrets placed where
a careless log line would pick them up, then every structured log line and
every audit row is searched for them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator

import httpx
import pytest
import structlog

from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.scrub import luhn_valid
from tests.factories import player_data
from tests.sql import sql


def _luhn_card() -> str:
    """A fresh, Luhn-valid 16-digit card number nobody else uses."""
    body = "4" + "".join(secrets.choice("0123456789") for _ in range(14))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


class Logs:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def start(self) -> None:
        """Configure production logging. From the test body: the logger binds the
        sys.stderr of the moment, and pytest-asyncio gives the body another
        capture stream than its fixtures."""
        configure_logging("debug")
        self._capsys.readouterr()

    def text(self) -> str:
        out = self._capsys.readouterr()
        return out.out + out.err


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[Logs]:
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield Logs(capsys)
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


async def _audit_rows(runtime: Runtime) -> list[str]:
    rows = await sql(runtime, "SELECT row_to_json(a)::text FROM audit_events a ORDER BY seq")
    return [row[0] for row in rows]


async def test_no_secret_reaches_the_logs_or_the_audit_trail(
    client: httpx.AsyncClient, runtime: Runtime, logs: Logs
) -> None:
    logs.start()
    card = _luhn_card()
    spaced_card = " ".join(card[i : i + 4] for i in range(0, 16, 4))
    password = f"Opal-{secrets.token_hex(8)}-Lantern"
    wrong_password = f"Quartz-{secrets.token_hex(8)}-Kettle"
    agent = {"User-Agent": f"TestBrowser/1.0 (card {spaced_card})"}

    data = player_data(password=password, first_name=f"Card{card}", last_name="Tester")
    response = await client.post("/v1/players", json=data, headers={**agent, "X-Request-Id": card})
    assert response.status_code == 202, response.text

    # Refused registrations must not echo the password either.
    refused = await client.post("/v1/players", json={**data, "country": "ZZ"}, headers=agent)
    assert refused.status_code == 422
    assert password not in refused.text
    weak = await client.post("/v1/players", json=player_data(password=card), headers=agent)
    assert weak.status_code in (202, 422)
    assert card not in weak.text

    wrong = await client.post(
        "/v1/sessions", json={"email": data["email"], "password": wrong_password}, headers=agent
    )
    assert wrong.status_code == 401
    unknown = await client.post(
        "/v1/sessions", json={"email": f"{card}@example.com", "password": password}, headers=agent
    )
    assert unknown.status_code == 401
    signed_in = await client.post(
        "/v1/sessions", json={"email": data["email"], "password": password}, headers=agent
    )
    assert signed_in.status_code == 201
    token = signed_in.json()["token"]

    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/v1/me", headers=bearer)).status_code == 200
    assert (await client.get("/v1/sessions", headers=bearer)).status_code == 200
    garbled = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}x"})
    assert garbled.status_code == 401
    # The token itself in a header a log or the audit trail might copy.
    signed_out = await client.delete(
        "/v1/sessions/current", headers={**bearer, "User-Agent": f"agent {token}"}
    )
    assert signed_out.status_code == 204

    log_text = logs.text()
    rows = await _audit_rows(runtime)
    audit_text = "\n".join(rows)

    # Both places were written to, so the search below means something.
    assert '"event": "http_request"' in log_text
    assert '"event": "audit"' in log_text
    assert len(rows) >= 5
    assert "[REDACTED-PAN]" in audit_text  # the user agent was recorded, masked
    assert "[REDACTED-PAN]" in log_text  # the request id was logged, masked

    for secret in (password, wrong_password, token, token[4:], card, spaced_card):
        assert secret not in log_text, f"{secret!r} was logged"
        assert secret not in audit_text, f"{secret!r} is in the audit trail"
