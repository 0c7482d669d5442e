"""Hub88 seamless-wallet load for the wallet benchmark: a studio's signed bet + win pairs.

The studio is registered, and its players' game tokens issued, through the service layer on the
benchmark's database (as ``croupier providers add`` and ``croupier providers token`` do). Bodies are
signed before the clock starts: RSA signing is the studio's CPU, not Croupier's, and client and server
share the machine's cores. ``bench/wallet.py`` drives it.
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lean_http import LeanClient
from wallet_http import Failed, Measurement, Operation, closed_loop

from croupier.audit.service import Actor
from croupier.kit.runtime import Runtime
from croupier.providers import registry, tokens

PROVIDER = "bench-studio"
GAME = "clt_dragonrising"
CURRENCY = "EUR"
EUR_CENT = 1_000  # Hub88 amounts are 1/100000 of the currency
STAKE = 100 * EUR_CENT  # one euro, as the service-layer and dice measurements stake


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def sign(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


async def register_studio(runtime: Runtime, key: rsa.RSAPrivateKey) -> None:
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    async with runtime.database.unit_of_work() as session:
        await registry.add(
            session,
            name=PROVIDER,
            public_key_pem=pem,
            games=[GAME],
            stake_limits=None,
            actor=Actor.operator("bench"),
        )


async def issue_tokens(runtime: Runtime, players: Sequence[uuid.UUID]) -> list[str]:
    """A game token per player; issued just before use, as a bet must come within minutes of issue."""
    issued = []
    async with runtime.database.unit_of_work() as session:
        for player_id in players:
            token = await tokens.issue_for_testing(
                session,
                provider_name=PROVIDER,
                player_id=player_id,
                currency=CURRENCY,
                game_code=GAME,
                actor=Actor.operator("bench"),
            )
            issued.append(token.token)
    return issued


@dataclass(frozen=True)
class Pair:
    bet: bytes
    bet_signature: str
    win: bytes
    win_signature: str


class Studio:
    """Builds and signs one player's bet + win pairs; counts what signing cost."""

    def __init__(self, key: rsa.RSAPrivateKey, player_id: uuid.UUID, token: str, rng: random.Random) -> None:
        self.key, self.player_id, self.token, self.rng = key, player_id, token, rng
        self.signatures = 0
        self.signing_seconds = 0.0

    def _sign(self, body: dict[str, object]) -> tuple[bytes, str]:
        raw = json.dumps(body).encode()
        t0 = time.perf_counter()
        signed = sign(self.key, raw)
        self.signing_seconds += time.perf_counter() - t0
        self.signatures += 1
        return raw, signed

    def pair(self) -> Pair:
        """The bodies tests/providers/support.py sends, a win of 1 to 200 cents paying the bet."""
        bet_uuid, round_id = str(uuid.uuid4()), uuid.uuid4().hex[:16]
        common = self._common(round_id)
        bet = self._bet(common, bet_uuid)
        win = {
            **common,
            "request_uuid": str(uuid.uuid4()),
            "transaction_uuid": str(uuid.uuid4()),
            "supplier_transaction_id": str(uuid.uuid4()),
            "round_closed": True,
            "reference_transaction_uuid": bet_uuid,
            "amount": self.rng.randint(1, 200) * EUR_CENT,
        }
        return Pair(*self._sign(bet), *self._sign(win))

    def bet(self) -> tuple[bytes, str]:
        """A bet of a round of its own, signed: ``(body, signature)``."""
        return self._sign(self._bet(self._common(uuid.uuid4().hex[:16]), str(uuid.uuid4())))

    def _bet(self, common: dict[str, object], bet_uuid: str) -> dict[str, object]:
        return {
            **common,
            "request_uuid": str(uuid.uuid4()),
            "transaction_uuid": bet_uuid,
            "supplier_transaction_id": str(uuid.uuid4()),
            "round_closed": False,
            "is_free": False,
            "amount": STAKE,
        }

    def _common(self, round_id: str) -> dict[str, object]:
        return {
            "user": str(self.player_id),
            "token": self.token,
            "supplier_user": f"cg_{self.player_id.hex[:8]}",
            "round": round_id,
            "reward_uuid": None,
            "is_aggregated": False,
            "game_code": GAME,
            "currency": CURRENCY,
            "bet": "zero",
            "meta": {"selection": "home_team", "odds": 2.5},
        }


@dataclass
class Hub88Result:
    pairs: Measurement
    requests: Measurement
    presigned: int  # signatures made before the clock started
    inline: int  # signatures made during the run, when a client used up its signed pairs
    signing_ms: float  # mean client CPU per signature


async def measure_bet_win(
    url: str,
    key: rsa.RSAPrivateKey,
    players: Sequence[uuid.UUID],
    game_tokens: Sequence[str],
    *,
    pairs_per_client: int,
    seconds: float,
    warmup: float,
    label: str,
) -> Hub88Result:
    studios = [
        Studio(key, p, t, random.Random(n)) for n, (p, t) in enumerate(zip(players, game_tokens, strict=True))
    ]
    signed = [deque(s.pair() for _ in range(pairs_per_client)) for s in studios]
    presigned = sum(s.signatures for s in studios)
    clients = [LeanClient(f"{url}/providers/hub88/{PROVIDER}") for _ in studios]

    async def post(http: LeanClient, path: str, raw: bytes, signature: str) -> float:
        headers = {"Content-Type": "application/json", "X-Hub88-Signature": signature}
        t0 = time.perf_counter()
        response = await http.post(path, raw, headers)
        elapsed = time.perf_counter() - t0
        status = response.json().get("status") if response.status == 200 else response.status
        if status != "RS_OK":
            raise Failed(f"{path}: {status} {response.body[:200]!r}")
        return elapsed

    def operation(http: LeanClient, studio: Studio, queue: deque[Pair]) -> Operation:
        async def bet_and_win() -> list[float]:
            # Signed inline only when the pre-signed pairs run out; counted and reported.
            pair = queue.popleft() if queue else studio.pair()
            return [
                await post(http, "/transaction/bet", pair.bet, pair.bet_signature),
                await post(http, "/transaction/win", pair.win, pair.win_signature),
            ]

        return bet_and_win

    try:
        pairs, request_latencies = await closed_loop(
            label,
            [operation(h, s, q) for h, s, q in zip(clients, studios, signed, strict=True)],
            seconds,
            warmup,
        )
    finally:
        for http in clients:
            await http.aclose()
    signatures = sum(s.signatures for s in studios)
    requests = Measurement(
        label.replace("bet + win pairs", "bet or win requests"),
        len(request_latencies),
        pairs.seconds,
        request_latencies,
        errors=pairs.errors,
    )
    return Hub88Result(
        pairs=pairs,
        requests=requests,
        presigned=presigned,
        inline=signatures - presigned,
        signing_ms=sum(s.signing_seconds for s in studios) / max(1, signatures) * 1000,
    )
