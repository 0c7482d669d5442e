"""Plain functions that create players and sessions through the public API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"


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


async def register(client: httpx.AsyncClient, **overrides: Any) -> tuple[str, dict[str, Any]]:
    data = player_data(**overrides)
    response = await client.post("/v1/players", json=data)
    assert response.status_code == 201, response.text
    return response.json()["id"], data


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


async def signed_in_player(client: httpx.AsyncClient, **overrides: Any) -> SignedIn:
    player_id, data = await register(client, **overrides)
    response = await sign_in(client, data["email"], data["password"])
    assert response.status_code == 201, response.text
    return SignedIn(
        id=player_id, email=data["email"], password=data["password"], token=response.json()["token"]
    )
