"""A well-formed bet is answered without FastAPI's dependency solving (``kit.hot_routes``);
anything else still gets the framework's answer, refusal included."""

from __future__ import annotations

import httpx
import pytest

from croupier.kit.runtime import Runtime
from tests.games.test_rounds_api import DICE, bet, funded


async def test_a_well_formed_dice_bet_is_played_without_solving_dependencies(
    client: httpx.AsyncClient, runtime: Runtime, request: pytest.FixtureRequest
) -> None:
    player = await funded(client, runtime)
    request.getfixturevalue("no_dependency_solving")
    played = await bet(client, player, "dice", DICE)
    replayed = await bet(client, player, "dice", DICE, key=played.request.headers["Idempotency-Key"])

    assert played.status_code == 201, played.text
    assert replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json() == played.json()


async def test_a_bet_the_fast_path_does_not_take_gets_the_framework_s_refusal(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    player = await funded(client, runtime)

    no_key = await client.post("/v1/games/dice/rounds", json=DICE, headers=player.headers)
    two_keys = await client.post(
        "/v1/games/dice/rounds",
        json=DICE,
        headers=[*player.headers.items(), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
    )
    not_json = await client.post(
        "/v1/games/dice/rounds",
        content=b"stake=100",
        headers={
            **player.headers,
            "Idempotency-Key": "k",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    assert no_key.status_code == 400
    assert no_key.json()["code"] == "idempotency_key_required"
    # A repeated key is the framework's to read, as before: it plays under one of the two.
    assert two_keys.status_code == 201
    again = [await bet(client, player, "dice", DICE, key=key) for key in ("a", "b")]
    assert sorted(r.headers.get("Idempotent-Replayed", "false") for r in again) == ["false", "true"]
    assert not_json.status_code == 422
    assert not_json.headers["content-type"].startswith("application/problem+json")
