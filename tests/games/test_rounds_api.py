"""Playing rounds over HTTP: the bet, its provably fair outcome and its money in one step,
idempotent, limited, and checkable by anyone once the seed is revealed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from croupier.games.cli import app as fairness_app
from croupier.games.engines import GAMES
from croupier.games.schemas import VerifyRequest
from croupier.games.verify import verify_round
from croupier.kit.runtime import Runtime
from croupier.wallet import books
from tests.factories import SignedIn, signed_in_player
from tests.mail.helpers import invoke
from tests.sql import sql
from tests.wallet.support import deposit

DICE = {"stake": 100, "currency": "EUR", "target": 49.5, "direction": "under"}


async def funded(client: httpx.AsyncClient, runtime: Runtime, amount: int = 100_000) -> SignedIn:
    player = await signed_in_player(client)
    await deposit(runtime, uuid.UUID(player.id), amount, "EUR")
    return player


async def bet(
    client: httpx.AsyncClient, player: SignedIn, game: str, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    headers = {**player.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    return await client.post(f"/v1/games/{game}/rounds", json=body, headers=headers)


async def available(client: httpx.AsyncClient, player: SignedIn) -> tuple[int, int]:
    [balance] = (await client.get("/v1/wallet", headers=player.headers)).json()["balances"]
    return balance["available"], balance["held"]


async def books_balance(runtime: Runtime) -> None:
    async with runtime.database.unit_of_work() as session:
        assert await books.check_books(session) == []


async def open_blackjack(
    client: httpx.AsyncClient, player: SignedIn, stake: int = 100
) -> tuple[dict[str, Any], int]:
    """A blackjack round waiting for a decision (a natural settles at once, so deal again), and the
    player's available funds just before it was dealt."""
    for _ in range(20):
        before, _ = await available(client, player)
        played = (await bet(client, player, "blackjack", {"currency": "EUR", "stake": stake})).json()
        if played["status"] == "open":
            return played, before
    pytest.fail("twenty naturals in a row")


class TestDice:
    async def test_a_round_moves_stake_and_payout_and_answers_the_contract(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        seeds = (await client.get("/v1/fairness/seeds", headers=player.headers)).json()

        response = await bet(client, player, "dice", DICE)

        assert response.status_code == 201, response.text
        played = response.json()
        assert {"id", "roll", "payout", "nonce", "client_seed", "server_seed_hash"} <= set(played)
        assert (played["nonce"], played["client_seed"]) == (seeds["nonce"], seeds["client_seed"])
        assert played["server_seed_hash"] == seeds["server_seed_hash"]
        assert 0 <= played["roll"] <= 100
        assert played["payout"] == (200 if played["roll"] < 49.5 else 0)  # 99 / 49.5 = 2.0000 x
        assert await available(client, player) == (100_000 - 100 + played["payout"], 0)
        assert (await client.get("/v1/fairness/seeds", headers=player.headers)).json()["nonce"] == seeds[
            "nonce"
        ] + 1
        await books_balance(runtime)

    async def test_the_revealed_seed_recomputes_every_round(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        put = await client.put(
            "/v1/fairness/client-seed", json={"client_seed": "my-lucky-seed"}, headers=player.headers
        )
        assert put.json()["client_seed"] == "my-lucky-seed"
        played = [(await bet(client, player, "dice", DICE)).json() for _ in range(5)]

        rotated = (await client.post("/v1/fairness/seeds/rotate", headers=player.headers)).json()

        seed = rotated["revealed_server_seed"]
        assert hashlib.sha256(seed.encode()).hexdigest() == played[0]["server_seed_hash"]
        assert rotated["server_seed_hash"] != played[0]["server_seed_hash"]
        assert [p["nonce"] for p in played] == [0, 1, 2, 3, 4]
        for round_ in played:
            bet_body = {k: v for k, v in DICE.items() if k != "currency"}
            outcome = verify_round("dice", seed, "my-lucky-seed", round_["nonce"], bet=bet_body)
            assert (float(outcome.detail["roll"]), outcome.payout) == (round_["roll"], round_["payout"])  # type: ignore[arg-type]
            checked = await client.post(
                "/v1/fairness/verify",
                json={
                    "game": "dice",
                    "server_seed": seed,
                    "client_seed": "my-lucky-seed",
                    "nonce": round_["nonce"],
                    "bet": bet_body,
                },
            )
            assert checked.json()["payout"] == round_["payout"]
            shown = (await client.get(f"/v1/rounds/{round_['id']}", headers=player.headers)).json()
            assert shown["server_seed"] == seed
        fresh = (await bet(client, player, "dice", DICE)).json()
        assert (fresh["nonce"], fresh["server_seed_hash"]) == (0, rotated["server_seed_hash"])

    async def test_a_new_client_seed_does_not_restart_the_nonce(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        await bet(client, player, "dice", DICE)

        put = await client.put(
            "/v1/fairness/client-seed", json={"client_seed": "again"}, headers=player.headers
        )

        assert put.json()["nonce"] == 1
        bad = await client.put(
            "/v1/fairness/client-seed", json={"client_seed": "has space"}, headers=player.headers
        )
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_client_seed")


class TestOtherGames:
    async def test_roulette_takes_several_wagers(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await funded(client, runtime)
        body = {
            "currency": "EUR",
            "wagers": [
                {"kind": "straight", "numbers": [17], "stake": 100},
                {"kind": "red", "stake": 200},
                {"kind": "dozen", "which": 2, "stake": 50},
            ],
        }

        played = (await bet(client, player, "roulette", body)).json()

        assert played["stake"] == 350
        assert await available(client, player) == (100_000 - 350 + played["payout"], 0)
        await books_balance(runtime)

    async def test_slots_stake_the_line_bet_on_every_line(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        games = {g["code"]: g for g in (await client.get("/v1/games")).json()["items"]}

        played = (
            await bet(client, player, "slots", {"currency": "EUR", "machine": "classic", "line_bet": 10})
        ).json()

        assert played["stake"] == 10 * 10  # the line bet on each of Croupier Classic's 10 lines
        assert 90 < float(games["slots"]["rtp"]) < 99
        assert await available(client, player) == (100_000 - played["stake"] + played["payout"], 0)

    async def test_the_catalogue_shows_rtp_edge_and_limits(self, client: httpx.AsyncClient) -> None:
        games = {g["code"]: g for g in (await client.get("/v1/games")).json()["items"]}

        assert set(games) == {"dice", "roulette", "slots", "blackjack"}
        assert games["roulette"]["rtp"] == "97.2973"
        assert games["roulette"]["house_edge"] == "2.7027"
        assert games["dice"]["stake_limits"]["EUR"] == {"minimum": 10, "maximum": 100_000}
        assert games["blackjack"]["multi_step"] is True


class TestBlackjack:
    async def test_the_stake_is_held_until_the_round_settles(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        played, before = await open_blackjack(client, player, 1_000)
        held = 1_000
        while played["status"] == "open":
            assert await available(client, player) == (before - held, held)
            assert len(played["table"]["dealer"]) == 1  # the hole card stays face down
            action = "double" if "double" in played["table"]["actions"] and held == 1_000 else "stand"
            headers = {**player.headers, "Idempotency-Key": str(uuid.uuid4())}
            response = await client.post(
                f"/v1/rounds/{played['id']}/actions", json={"action": action}, headers=headers
            )
            assert response.status_code == 200, response.text
            if action == "double":
                held += 1_000
            played = response.json()

        assert played["status"] == "settled"
        assert played["stake"] == held
        assert await available(client, player) == (before - held + played["payout"], 0)
        late = await client.post(
            f"/v1/rounds/{played['id']}/actions",
            json={"action": "hit"},
            headers={**player.headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert (late.status_code, late.json()["code"]) == (409, "round_finished")
        await books_balance(runtime)

    async def test_the_seed_is_not_revealed_while_a_round_is_open(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        await open_blackjack(client, player)

        response = await client.post("/v1/fairness/seeds/rotate", headers=player.headers)

        assert (response.status_code, response.json()["code"]) == (409, "round_in_progress")

    async def test_a_repeated_action_is_applied_once(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        played, _ = await open_blackjack(client, player)
        headers = {**player.headers, "Idempotency-Key": "hit-1"}

        first = await client.post(
            f"/v1/rounds/{played['id']}/actions", json={"action": "hit"}, headers=headers
        )
        again = await client.post(
            f"/v1/rounds/{played['id']}/actions", json={"action": "hit"}, headers=headers
        )
        other = await client.post(
            f"/v1/rounds/{played['id']}/actions", json={"action": "stand"}, headers=headers
        )

        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["actions"] == first.json()["actions"] == ["hit"]
        assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")

    async def test_not_enough_money_deals_nothing_and_takes_no_nonce(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime, amount=50)

        response = await bet(client, player, "blackjack", {"currency": "EUR", "stake": 100})

        assert (response.status_code, response.json()["code"]) == (422, "insufficient_funds")
        assert response.json()["detail"] == "Not enough available EUR for this stake."
        assert (await client.get("/v1/fairness/seeds", headers=player.headers)).json()["nonce"] == 0
        assert await sql(runtime, "SELECT count(*) FROM game_rounds") == [(0,)]
        assert await sql(runtime, "SELECT count(*) FROM ledger_holds") == [(0,)]
        assert await available(client, player) == (50, 0)

    async def test_a_double_beyond_the_funds_is_refused_and_the_round_goes_on(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        for _ in range(20):  # a fresh player each time, so that a natural's payout cannot fund the double
            player = await funded(client, runtime, amount=150)
            played = (await bet(client, player, "blackjack", {"currency": "EUR", "stake": 100})).json()
            if played["status"] == "open":
                break
        else:
            pytest.fail("twenty naturals in a row")
        assert "double" in played["table"]["actions"]

        response = await client.post(
            f"/v1/rounds/{played['id']}/actions",
            json={"action": "double"},
            headers={**player.headers, "Idempotency-Key": str(uuid.uuid4())},
        )

        assert (response.status_code, response.json()["code"]) == (422, "insufficient_funds")
        shown = (await client.get(f"/v1/rounds/{played['id']}", headers=player.headers)).json()
        assert (shown["status"], shown["stake"], shown["actions"]) == ("open", 100, [])
        assert await available(client, player) == (50, 100)


class TestRefusals:
    async def test_idempotency(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await funded(client, runtime)

        first = await bet(client, player, "dice", DICE, key="round-1")
        again = await bet(client, player, "dice", DICE, key="round-1")
        other = await bet(client, player, "dice", {**DICE, "stake": 200}, key="round-1")
        keyless = await client.post("/v1/games/dice/rounds", json=DICE, headers=player.headers)

        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
        assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
        assert (keyless.status_code, keyless.json()["code"]) == (400, "idempotency_key_required")
        assert await available(client, player) == (100_000 - 100 + first.json()["payout"], 0)

    async def test_concurrent_attempts_with_one_key_play_one_round(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)

        answers = await asyncio.gather(*(bet(client, player, "dice", DICE, key="same") for _ in range(6)))

        assert {response.status_code for response in answers} == {201}
        assert len({response.json()["id"] for response in answers}) == 1
        assert sum(response.headers.get("idempotent-replayed") == "true" for response in answers) == 5
        # One nonce taken, one transfer: the attempts that lost the race left nothing behind.
        assert (await client.get("/v1/fairness/seeds", headers=player.headers)).json()["nonce"] == 1
        assert await sql(runtime, "SELECT count(*) FROM ledger_transfers WHERE source = 'games'") == [(1,)]
        assert await available(client, player) == (100_000 - 100 + answers[0].json()["payout"], 0)
        await books_balance(runtime)

    async def test_not_enough_money_plays_nothing_and_takes_no_nonce(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime, amount=50)

        response = await bet(client, player, "dice", DICE)

        assert (response.status_code, response.json()["code"]) == (422, "insufficient_funds")
        assert (await client.get("/v1/fairness/seeds", headers=player.headers)).json()["nonce"] == 0
        assert await sql(runtime, "SELECT count(*) FROM game_rounds") == [(0,)]
        # A round's transfer key is new with each round: its refusal is not kept.
        assert await sql(runtime, "SELECT count(*) FROM ledger_transfers WHERE source = 'games'") == [(0,)]
        assert await sql(runtime, "SELECT count(*) FROM domain_events WHERE kind IN ('bet', 'win')") == [(0,)]

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            ({**DICE, "stake": 5}, 422, "stake_below_minimum"),
            ({**DICE, "stake": 100_001}, 422, "stake_limit_exceeded"),
            ({**DICE, "currency": "SEK"}, 422, "currency_not_offered"),
            ({**DICE, "target": 99.5}, 422, "invalid_bet"),
            ({**DICE, "direction": "sideways"}, 422, "invalid_bet"),
            ({**DICE, "stake": 10.5}, 422, "invalid_bet"),
            ({**DICE, "stake": "100"}, 422, "invalid_bet"),
            ({**DICE, "extra": 1}, 422, "invalid_bet"),
            ({k: v for k, v in DICE.items() if k != "currency"}, 422, "invalid_bet"),
        ],
    )
    async def test_bad_bets_are_refused_before_money_moves(
        self, client: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], status: int, code: str
    ) -> None:
        player = await funded(client, runtime)

        response = await bet(client, player, "dice", body)

        assert (response.status_code, response.json()["code"]) == (status, code), response.text
        assert await available(client, player) == (100_000, 0)

    async def test_an_unknown_game_is_not_found(self, client: httpx.AsyncClient, runtime: Runtime) -> None:
        player = await funded(client, runtime)

        response = await bet(client, player, "craps", DICE)

        assert (response.status_code, response.json()["code"]) == (404, "unknown_game")

    async def test_verify_refuses_what_is_not_a_round(self, client: httpx.AsyncClient) -> None:
        body = {
            "game": "dice",
            "server_seed": "zz",
            "client_seed": "c",
            "nonce": 0,
            "bet": {"stake": 1, "target": 50, "direction": "under"},
        }

        response = await client.post("/v1/fairness/verify", json=body)

        assert (response.status_code, response.json()["code"]) == (422, "invalid_seed")
        unknown = await client.post("/v1/fairness/verify", json={**body, "game": "craps"})
        assert (unknown.status_code, unknown.json()["code"]) == (422, "validation_error")

    def test_verify_names_every_game_there_is(self) -> None:
        named = set(VerifyRequest.model_fields["game"].annotation.__args__)  # type: ignore[union-attr]
        assert named == set(GAMES)


class TestOwnership:
    async def test_a_player_sees_only_their_own_rounds(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        owner, other = await funded(client, runtime), await funded(client, runtime)
        played = [(await bet(client, owner, "dice", DICE)).json() for _ in range(3)]

        assert (await client.get(f"/v1/rounds/{played[0]['id']}", headers=other.headers)).status_code == 404
        acted = await client.post(
            f"/v1/rounds/{played[0]['id']}/actions",
            json={"action": "hit"},
            headers={**other.headers, "Idempotency-Key": "x"},
        )
        assert acted.status_code == 404
        assert (await client.get("/v1/rounds", headers=other.headers)).json()["items"] == []
        first = (await client.get("/v1/rounds", params={"limit": 2}, headers=owner.headers)).json()
        rest = (
            await client.get(
                "/v1/rounds", params={"limit": 2, "before": first["next_before"]}, headers=owner.headers
            )
        ).json()
        assert [r["id"] for r in first["items"] + rest["items"]] == [p["id"] for p in reversed(played)]
        assert rest["next_before"] is None


class TestCommandLine:
    async def test_fairness_verify_recomputes_a_round_offline(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await funded(client, runtime)
        played = (await bet(client, player, "dice", DICE)).json()
        seed = (await client.post("/v1/fairness/seeds/rotate", headers=player.headers)).json()[
            "revealed_server_seed"
        ]

        result = await invoke(
            fairness_app,
            [
                "verify",
                "dice",
                "--server-seed",
                seed,
                "--client-seed",
                played["client_seed"],
                "--nonce",
                str(played["nonce"]),
                "--bet",
                '{"stake": 100, "target": 49.5, "direction": "under"}',
            ],
            runtime.settings,
        )

        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        assert shown["server_seed_hash"] == played["server_seed_hash"]
        assert (shown["payout"], float(shown["detail"]["roll"])) == (played["payout"], played["roll"])
