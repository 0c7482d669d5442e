"""A Hub88 client as a studio would write it from Hub88's operator documentation, and the set-up it needs.

Requests are JSON bodies signed with RSA-SHA256 (PKCS#1 v1.5), base64, in the
``X-Hub88-Signature`` header; amounts are integers in 1/100000 of the currency.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from croupier.audit.service import Actor
from croupier.kit.runtime import Runtime
from croupier.providers import registry, tokens
from croupier.wallet import books
from croupier.wallet import service as wallet
from croupier.wallet.service import PlayerAccount
from tests.sql import sql
from tests.wallet.support import deposit, make_player

GAME = "clt_dragonrising"
OTHER_GAME = "clt_othergame"
UNIT = 100_000  # Hub88 units per unit of currency
EUR_CENT = 1_000  # Hub88 units per euro cent


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sign(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def uid() -> str:
    return str(uuid.uuid4())


@dataclass
class Player:
    id: uuid.UUID
    token: str
    currency: str = "EUR"

    @property
    def user(self) -> str:
        return str(self.id)


@dataclass
class Studio:
    """One registered provider and the HTTP client it calls Croupier's wallet with."""

    http: httpx.AsyncClient
    runtime: Runtime
    name: str
    key: rsa.RSAPrivateKey
    game: str = GAME
    last_request_uuid: str = field(default="")

    @property
    def base(self) -> str:
        return f"/providers/hub88/{self.name}"

    async def post(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        content: bytes | None = None,
        signature: str | None = None,
        signed: bool = True,
        provider: str | None = None,
    ) -> dict[str, Any]:
        raw = content if content is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Hub88-Signature"] = signature if signature is not None else sign(self.key, raw)
        base = f"/providers/hub88/{provider}" if provider is not None else self.base
        response = await self.http.post(f"{base}/{path}", content=raw, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        answer: dict[str, Any] = response.json()
        return answer

    def _request(self, player: Player, **fields: Any) -> dict[str, Any]:
        self.last_request_uuid = uid()
        return {"user": player.user, "request_uuid": self.last_request_uuid, **fields}

    async def info(self, player: Player, **overrides: Any) -> dict[str, Any]:
        return await self.post("user/info", {**self._request(player), **overrides})

    async def balance(self, player: Player, **overrides: Any) -> dict[str, Any]:
        body = self._request(player, token=player.token, game_code=self.game)
        return await self.post("user/balance", {**body, **overrides})

    def bet_body(self, player: Player, amount: int, **overrides: Any) -> dict[str, Any]:
        body = self._request(
            player,
            transaction_uuid=uid(),
            supplier_transaction_id=uid(),
            token=player.token,
            supplier_user=f"cg_{player.id.hex[:8]}",
            round_closed=False,
            round="rNEMwgzJAOZ6eR3V",
            reward_uuid=None,
            is_free=False,
            is_aggregated=False,
            game_code=self.game,
            currency=player.currency,
            bet="zero",
            amount=amount,
            meta={"selection": "home_team", "odds": 2.5},
        )
        return {**body, **overrides}

    async def bet(self, player: Player, amount: int, **overrides: Any) -> dict[str, Any]:
        return await self.post("transaction/bet", self.bet_body(player, amount, **overrides))

    def win_body(self, player: Player, amount: int, bet_uuid: str, **overrides: Any) -> dict[str, Any]:
        body = self.bet_body(player, amount, round_closed=True, reference_transaction_uuid=bet_uuid)
        body.pop("is_free")
        return {**body, **overrides}

    async def win(self, player: Player, amount: int, bet_uuid: str, **overrides: Any) -> dict[str, Any]:
        return await self.post("transaction/win", self.win_body(player, amount, bet_uuid, **overrides))

    def rollback_body(self, player: Player, reference: str, **overrides: Any) -> dict[str, Any]:
        body = self._request(
            player,
            transaction_uuid=uid(),
            supplier_transaction_id=uid(),
            token=player.token,
            round_closed=True,
            round="rNEMwgzJAOZ6eR3V",
            reference_transaction_uuid=reference,
            game_code=self.game,
            meta={},
        )
        return {**body, **overrides}

    async def rollback(self, player: Player, reference: str, **overrides: Any) -> dict[str, Any]:
        return await self.post("transaction/rollback", self.rollback_body(player, reference, **overrides))

    # ------------------------------------------------------------ the casino's side

    async def player(self, funds: int = 10_000, currency: str = "EUR") -> Player:
        """A player with ``funds`` minor units of cash and a token for this studio."""
        player_id = await make_player(self.runtime)
        if funds:
            await deposit(self.runtime, player_id, funds, currency)
        return Player(id=player_id, token=await self.token(player_id, currency), currency=currency)

    async def token(self, player_id: uuid.UUID, currency: str = "EUR") -> str:
        async with self.runtime.database.unit_of_work() as session:
            issued = await tokens.issue_for_testing(
                session,
                provider_name=self.name,
                player_id=player_id,
                currency=currency,
                game_code=self.game,
                actor=Actor.operator("test"),
            )
        return issued.token

    async def cash(self, player: Player) -> int:
        """The player's available cash in minor units, from the ledger."""
        async with self.runtime.database.unit_of_work() as session:
            return await wallet.lock_available(session, PlayerAccount(player.id, player.currency))

    async def sql(self, statement: str, **params: Any) -> list[Any]:
        return await sql(self.runtime, statement, **params)

    async def books_balance(self) -> None:
        async with self.runtime.database.unit_of_work() as session:
            assert await books.check_books(session) == []


async def register(
    runtime: Runtime,
    name: str,
    key: rsa.RSAPrivateKey,
    *,
    games: tuple[str, ...] = (GAME, OTHER_GAME),
    **limits: Any,
) -> None:
    async with runtime.database.unit_of_work() as session:
        await registry.add(
            session,
            name=name,
            public_key_pem=public_pem(key),
            games=games,
            stake_limits=limits or None,
            actor=Actor.operator("test"),
        )
