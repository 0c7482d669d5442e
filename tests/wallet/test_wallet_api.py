"""The wallet HTTP API: my balances and my statement, never anyone else's."""

from __future__ import annotations

import uuid

import httpx
import pytest

from croupier.kit.runtime import Runtime
from croupier.wallet import service as wallet
from tests.factories import signed_in_player
from tests.wallet.support import bet, cash, deposit, later


async def transactions(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str | int
) -> httpx.Response:
    return await client.get("/v1/wallet/transactions", params=params, headers=headers)


class TestBalances:
    async def test_a_player_without_money_has_no_balances(self, client: httpx.AsyncClient) -> None:
        player = await signed_in_player(client)

        response = await client.get("/v1/wallet", headers=player.headers)

        assert response.status_code == 200
        assert response.json() == {"balances": []}

    async def test_balances_per_currency_in_minor_units_with_the_exponent(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        player_id = uuid.UUID(player.id)
        await deposit(runtime, player_id, 12_345, "EUR")
        await deposit(runtime, player_id, 500, "EUR", book=wallet.PlayerBook.BONUS)
        await deposit(runtime, player_id, 7_000, "JPY")
        await deposit(runtime, player_id, 1_500, "KWD")
        await deposit(runtime, player_id, 2_500_000, "BTC")
        async with runtime.database.unit_of_work() as session:
            await wallet.hold(
                session, source="test", key="h", account=cash(player_id), amount=345, expires_at=later()
            )

        response = await client.get("/v1/wallet", headers=player.headers)

        assert response.status_code == 200
        assert response.json() == {
            "balances": [
                {"currency": "BTC", "exponent": 8, "available": 2_500_000, "held": 0, "bonus": 0},
                {"currency": "EUR", "exponent": 2, "available": 12_000, "held": 345, "bonus": 500},
                {"currency": "JPY", "exponent": 0, "available": 7_000, "held": 0, "bonus": 0},
                {"currency": "KWD", "exponent": 3, "available": 1_500, "held": 0, "bonus": 0},
            ]
        }

    async def test_the_wallet_needs_a_session(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/v1/wallet")).status_code == 401
        assert (await client.get("/v1/wallet/transactions")).status_code == 401


class TestTransactions:
    async def test_entries_newest_first_page_by_page(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        player_id = uuid.UUID(player.id)
        await deposit(runtime, player_id, 1_000)
        for amount in (10, 20, 30, 40):
            await bet(runtime, player_id, amount)

        first = await transactions(client, player.headers, limit=3)
        assert first.status_code == 200
        page = first.json()
        assert [(i["kind"], i["amount"], i["balance_after"]) for i in page["items"]] == [
            ("bet", -40, 900),
            ("bet", -30, 940),
            ("bet", -20, 970),
        ]
        assert page["items"][0]["currency"] == "EUR"
        assert page["items"][0]["exponent"] == 2
        assert page["items"][0]["book"] == "cash"
        assert page["next_cursor"]

        second = (await transactions(client, player.headers, limit=3, cursor=page["next_cursor"])).json()
        assert [(i["kind"], i["amount"]) for i in second["items"]] == [("bet", -10), ("deposit", 1_000)]
        assert second["next_cursor"] is None

    async def test_an_exactly_full_last_page_has_no_next_cursor(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await deposit(runtime, uuid.UUID(player.id), 1_000)
        await bet(runtime, uuid.UUID(player.id), 1)

        page = (await transactions(client, player.headers, limit=2)).json()

        assert len(page["items"]) == 2
        assert page["next_cursor"] is None

    async def test_a_player_never_sees_another_players_entries(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        alice, bob = await signed_in_player(client), await signed_in_player(client)
        await deposit(runtime, uuid.UUID(alice.id), 1_000)
        for _ in range(3):
            await bet(runtime, uuid.UUID(alice.id), 10)

        alices = (await transactions(client, alice.headers, limit=2)).json()
        bobs = (await transactions(client, bob.headers)).json()

        assert len(alices["items"]) == 2
        assert bobs == {"items": [], "next_cursor": None}
        assert (await client.get("/v1/wallet", headers=bob.headers)).json() == {"balances": []}
        # Alice's cursor is bound to Alice: Bob cannot page through her statement with it.
        stolen = await transactions(client, bob.headers, cursor=alices["next_cursor"])
        assert stolen.status_code == 422
        assert stolen.json()["code"] == "invalid_cursor"

    async def test_the_cursor_does_not_reveal_entry_ids(
        self, client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player = await signed_in_player(client)
        await deposit(runtime, uuid.UUID(player.id), 1_000)
        await bet(runtime, uuid.UUID(player.id), 1)

        page = (await transactions(client, player.headers, limit=1)).json()

        assert "id" not in page["items"][0]
        assert not page["next_cursor"].isdigit()

    @pytest.mark.parametrize(
        "params",
        [
            pytest.param({"cursor": "not-a-cursor"}, id="garbage-cursor"),
            pytest.param({"cursor": "1"}, id="a-bare-id"),
            pytest.param({"limit": 0}, id="limit-zero"),
            pytest.param({"limit": 101}, id="limit-too-large"),
            pytest.param({"page": 2}, id="an-unknown-parameter"),
        ],
    )
    async def test_bad_paging_is_a_422(self, client: httpx.AsyncClient, params: dict[str, str | int]) -> None:
        player = await signed_in_player(client)

        response = await transactions(client, player.headers, **params)

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
