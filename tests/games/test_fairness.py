"""The provably fair stream: Stake's scheme, bit for bit, and the exact integer draws.

The known-answer vectors are bets verified on Stake's own calculation page
(stake.com/provably-fair/calculation?game=...&serverSeed=...&clientSeed=...&nonce=...),
as published with the open-source stake-provably-fair-api verifier.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
import re
from fractions import Fraction

import pytest

from croupier.games import cards, fairness
from croupier.games.engines import dice, roulette
from croupier.games.errors import InvalidSeed
from croupier.games.fairness import FairStream

from .stacked import Stacked, value_for

STAKE_BETS = [
    # server seed, client seed, nonce, first HMAC (cursor 0), dice roll, roulette pocket
    (
        "18e93f4a7b5b58d2569765766d1b6c3296bbd8430d6f20249044d72f14720159",
        "bb62964774",
        1,
        "c590d171e39b70404ee1fff2ce09c3e1090688e1320a9cd27f58b1ac3dfa8c92",
        "77.18",
        28,
    ),
    (
        "a9a09f7f84c9dc6d4f46f9b702d8e7e211e1fc219ac10e1145c4ca032eb000c6",
        "3c83fc7e07",
        3,
        "322ab22075326005adcf6abfb26f8ec77426ad03afff325946541dfb53fedc60",
        "19.59",
        7,
    ),
    (
        "a5022ccf5dd5a76d2014278e3d91d1dfc47c3f12e683ea0c8151fdc2f944beb1",
        "8b3ca8298c",
        54,
        "904e9ab7d196e089042c7f2de3ee9a8a33dc4f417d1450ab7edf8fc3b1e863c4",
        "56.37",
        20,
    ),
]
SEEDS = [bet[:3] for bet in STAKE_BETS]


@pytest.mark.parametrize("bet", STAKE_BETS)
def test_stake_verified_bets_reproduce(bet: tuple[str, str, int, str, str, int]) -> None:
    server, client, nonce, first_hmac, roll, pocket = bet
    assert fairness.digest(server, client, nonce, 0).hex() == first_hmac
    assert dice.play(dice.DiceBet(1, 5000, "under"), FairStream(server, client, nonce)).detail["roll"] == roll
    assert roulette.spin(FairStream(server, client, nonce)) == pocket


def test_stake_verified_floats_across_two_digests() -> None:
    server, client, nonce = SEEDS[0]
    expected = [
        0.771740999306, 0.889090552926, 0.308135983068, 0.804836504394, 0.035255961353,
        0.195474435110, 0.497447113506, 0.242104325909, 0.597233845852, 0.414248711662,
    ]  # fmt: skip
    got = list(itertools.islice(fairness.floats(server, client, nonce), 10))
    assert got == pytest.approx(expected, abs=1e-12)
    # The ninth float comes from cursor 1.
    assert fairness.digest(server, client, nonce, 1).hex() == (
        "98e4513c6a0c341d2c3323a84166c5c0f5be65b369787c8e633146b66e98ff67"
    )


def test_stake_verified_cards() -> None:
    """Stake's blackjack page deals these: Croupier's card order is Stake's."""
    server, client, nonce = SEEDS[0]
    stream = FairStream(server, client, nonce)
    dealt = [cards.label(cards.deal(stream)) for _ in range(10)]
    assert dealt == ["QD", "KS", "6D", "QH", "2H", "4S", "8H", "5D", "9C", "7H"]

    server, client, nonce = SEEDS[2]
    stream = FairStream(server, client, nonce)
    dealt = [cards.label(cards.deal(stream)) for _ in range(30)]
    assert dealt[:6] == ["9H", "QS", "2D", "KS", "4S", "8H"]
    assert dealt[25:] == ["JC", "10S", "KD", "QD", "9S"]


def test_stream_is_hmac_sha256_of_client_nonce_cursor_keyed_by_the_server_seed_text() -> None:
    server, client, nonce = fairness.new_server_seed(), fairness.new_client_seed(), 7
    stream = FairStream(server, client, nonce)
    for cursor in range(3):
        block = hmac.new(server.encode(), f"{client}:{nonce}:{cursor}".encode(), hashlib.sha256).digest()
        for group in range(8):
            b0, b1, b2, b3 = block[4 * group : 4 * group + 4]
            # The float as every published verifier writes it.
            assert stream.next_float() == b0 / 256 + b1 / 256**2 + b2 / 256**3 + b3 / 256**4


def test_a_stream_resumes_at_any_position() -> None:
    server, client, nonce = SEEDS[1]
    whole = FairStream(server, client, nonce)
    values = [whole.next_u32() for _ in range(30)]
    for position in (0, 1, 7, 8, 9, 16, 29):
        resumed = FairStream(server, client, nonce, position)
        assert resumed.position == position
        assert [resumed.next_u32() for _ in range(30 - position)] == values[position:]
        assert resumed.position == 30


def test_same_seeds_and_nonce_give_the_same_stream_and_any_change_another() -> None:
    server, client, nonce = SEEDS[0]

    def first(s: str, c: str, n: int) -> list[int]:
        stream = FairStream(s, c, n)
        return [stream.next_u32() for _ in range(16)]

    assert first(server, client, nonce) == first(server, client, nonce)
    assert first(server, client, nonce) != first(server, client, nonce + 1)
    assert first(server, client, nonce) != first(server, client + "x", nonce)
    assert first(server, client, nonce) != first(fairness.new_server_seed(), client, nonce)


def test_server_seed_commitment() -> None:
    seed = fairness.new_server_seed()
    assert re.fullmatch(r"[0-9a-f]{64}", seed)
    assert seed != fairness.new_server_seed()
    # The hash of the seed's text, as a player checks it with any SHA-256 tool.
    assert fairness.hash_server_seed(seed) == hashlib.sha256(seed.encode("ascii")).hexdigest()
    assert fairness.hash_server_seed("0" * 64) == (
        "60e05bd1b195af2f94112fa7197a5c88289058840ce7c6df9693756bc6250f55"
    )


@pytest.mark.parametrize("seed", ["", "0" * 63, "0" * 65, "G" * 64, "A" * 64, " " + "0" * 63])
def test_server_seeds_are_64_lowercase_hex(seed: str) -> None:
    with pytest.raises(InvalidSeed) as refused:
        fairness.check_server_seed(seed)
    assert refused.value.code == "invalid_seed"


@pytest.mark.parametrize("seed", ["a", "x" * 64, "My-Lucky:Seed#7", "~!@#$%^&*()_+{}|:<>?"])
def test_client_seeds_accepted(seed: str) -> None:
    fairness.check_client_seed(seed)


@pytest.mark.parametrize("seed", ["", "x" * 65, "has space", "tab\there", "new\nline", "caf\u00e9", "\x7f"])
def test_client_seeds_refused(seed: str) -> None:
    with pytest.raises(InvalidSeed):
        fairness.check_client_seed(seed)


def test_default_client_seed_is_valid_and_fresh() -> None:
    seed = fairness.new_client_seed()
    fairness.check_client_seed(seed)
    assert seed != fairness.new_client_seed()


@pytest.mark.parametrize("nonce", [-1, 2**63, True, 1.0])
def test_nonce_is_a_non_negative_64_bit_integer(nonce: object) -> None:
    with pytest.raises(InvalidSeed):
        FairStream("0" * 64, "client", nonce)  # type: ignore[arg-type]


def test_integer_draw_equals_floor_of_float_times_n_exactly() -> None:
    rng = random.Random(20261123)
    common = [0, 1, 2**31, 2**32 - 1, *(rng.getrandbits(32) for _ in range(2000))]
    for n in (2, 37, 52, 10001, 2**20 + 7):
        # The values either side of outcome boundaries too.
        edges = [value_for(k, n) + step for k in {1, n // 2, n - 1} for step in (-1, 0)]
        for u32 in common + edges:
            exact = Fraction(u32, 2**32) * n
            assert fairness.scale(u32, n) == exact.numerator // exact.denominator
            # ... and what a verifier computes in floating point agrees for these n.
            assert fairness.scale(u32, n) == int(fairness.u32_to_float(u32) * n)


def test_preimages_count_the_u32_values_of_each_outcome() -> None:
    n = 37
    counts = [fairness.preimages(k, k + 1, n) for k in range(n)]
    assert sum(counts) == 2**32
    assert set(counts) == {2**32 // n, 2**32 // n + 1}
    for k in range(n):
        first = value_for(k, n)
        assert fairness.scale(first, n) == k
        assert first == 0 or fairness.scale(first - 1, n) == k - 1
    # A power of two divides the space evenly: slot strips rely on it.
    assert {fairness.preimages(k, k + 1, 32) for k in range(32)} == {2**27}


def test_draw_reads_the_source_in_order() -> None:
    source = Stacked([value_for(5, 10), value_for(0, 10), value_for(9, 10)])
    assert [fairness.draw(source, 10) for _ in range(3)] == [5, 0, 9]
    assert source.position == 3
