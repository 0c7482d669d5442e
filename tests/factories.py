"""Plain functions that create players and sessions through the public API.

Registration answers the same for every address, so a new player's id and the
link that confirms its address come from the mail it was sent: read from the
outbox (sealed, so through the app's runtime) as its owner would read it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from croupier.kit.runtime import Runtime
from croupier.mail.models import OutgoingMail
from croupier.mail.service import open_mail

PASSWORD = "correct horse battery staple"
LINK_TOKEN = re.compile(r"token=(cr[a-z]_[A-Za-z0-9_-]+)")


def player_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "email": f"player-{uuid.uuid4().hex[:10]}@example.com",
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1990-12-10",
        "country": "MT",
    }
    data.update(overrides)
    return data


@dataclass
class SignedIn:
    id: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def runtime_of(client: httpx.AsyncClient) -> Runtime:
    """The runtime of the app an in-process client talks to; a served app's callers pass theirs."""
    transport = client._transport
    if not isinstance(transport, httpx.ASGITransport):
        raise TypeError("a client of a served app: pass runtime= (one on the same database and keyring)")
    runtime = transport.app.state.runtime  # type: ignore[attr-defined]
    assert isinstance(runtime, Runtime)
    return runtime


async def mailed_link(runtime: Runtime, to: str, template: str = "verify_email") -> tuple[str, str]:
    """The player id and link token of the newest ``template`` mail to ``to``, sent or not."""
    async with runtime.database.unit_of_work() as session:
        rows = await session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.template == template)
            .order_by(OutgoingMail.created_at.desc())
        )
        for row in rows:
            opened = await open_mail(session, row)
            if opened.to.casefold() == to.casefold():
                found = LINK_TOKEN.search(opened.body)
                assert found, opened.body
                return str(row.player_id), found.group(1)
    raise AssertionError(f"no {template} mail to {to}")


async def verify_email(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/v1/players/verify-email", json={"token": token})


async def register(
    client: httpx.AsyncClient, *, runtime: Runtime | None = None, verified: bool = True, **overrides: Any
) -> tuple[str, dict[str, Any]]:
    """Register through the API and, unless ``verified=False``, confirm the address with the mailed link."""
    data = player_data(**overrides)
    response = await client.post("/v1/players", json=data)
    assert response.status_code == 202, response.text
    player_id, token = await mailed_link(runtime or runtime_of(client), data["email"])
    if verified:
        confirmed = await verify_email(client, token)
        assert confirmed.status_code == 204, confirmed.text
    return player_id, data


async def sign_in(
    client: httpx.AsyncClient,
    email: str,
    password: str = PASSWORD,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    body = {"email": email, "password": password, **extra}
    return await client.post("/v1/sessions", json=body, headers=headers)


async def signed_in_player(
    client: httpx.AsyncClient, *, runtime: Runtime | None = None, verified: bool = True, **overrides: Any
) -> SignedIn:
    player_id, data = await register(client, runtime=runtime, verified=verified, **overrides)
    response = await sign_in(client, data["email"], data["password"])
    assert response.status_code == 201, response.text
    return SignedIn(
        id=player_id, email=data["email"], password=data["password"], token=response.json()["token"]
    )
