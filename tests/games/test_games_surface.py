"""What a player reads about the games: plain words, and refusals that say what is accepted."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from croupier.games.engines import roulette, slots
from croupier.kit.runtime import Runtime
from tests.games.test_rounds_api import bet, funded


async def test_the_catalogue_names_no_code(client: httpx.AsyncClient) -> None:
    items = (await client.get("/v1/games")).json()["items"]
    texts = [str(item[field]) for item in items for field in ("name", "rtp_note")]

    # A call like `exact_rtp(bet)` or an identifier like `machine_rtp` means nothing to a player.
    assert [t for t in texts if re.search(r"\w\(|\b[a-z0-9]+_[a-z0-9_]+\b", t)] == []


async def test_the_catalogue_lists_every_slot_machine(client: httpx.AsyncClient) -> None:
    items = {item["code"]: item for item in (await client.get("/v1/games")).json()["items"]}

    assert all(f"({code})" in items["slots"]["rtp_note"] for code in slots.MACHINES)


UNKNOWN_CHOICES = {
    "roulette": (
        {"currency": "EUR", "wagers": [{"kind": "orphelins", "stake": 100}]},
        "'orphelins'",
        roulette.KINDS,
    ),
    "slots": ({"currency": "EUR", "machine": "jackpot", "line_bet": 10}, "'jackpot'", tuple(slots.MACHINES)),
}


@pytest.mark.parametrize("game", sorted(UNKNOWN_CHOICES))
async def test_an_unknown_choice_is_refused_with_the_accepted_ones(
    client: httpx.AsyncClient, runtime: Runtime, game: str
) -> None:
    body, unknown, accepted = UNKNOWN_CHOICES[game]
    player = await funded(client, runtime)

    response = await bet(client, player, game, body)

    assert (response.status_code, response.json()["code"]) == (422, "invalid_bet"), response.text
    detail = response.json()["detail"]
    assert unknown in detail
    assert all(choice in detail for choice in accepted), detail


def test_the_readme_lists_every_wager_kind_and_machine() -> None:
    games = (Path(__file__).parents[2] / "README.md").read_text().split("## Games", 1)[1]

    assert [k for k in (*roulette.KINDS, *slots.MACHINES) if f"`{k}`" not in games] == []
