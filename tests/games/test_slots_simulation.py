"""A million spins of Croupier Classic, driven by the real HMAC stream, land where the maths says.

One bet per nonce (0 to 999 999) with a fixed seed pair, exactly as players'
bets use the stream: the five reel stops are the first five floats of each bet.
The stops are turned into pays with numpy, through a table built from the
engine's own line rule; the first spins are replayed through ``slots.play`` to
show the fast path and the engine agree. The simulated RTP and hit frequency
must lie within 4 standard errors of the exact figures, the standard error
coming from the exact per-spin variance.
"""

from __future__ import annotations

import hashlib
import itertools
import math

import numpy as np
import pytest

from croupier.games import fairness
from croupier.games.engines import slots

SERVER_SEED = hashlib.sha256(b"croupier slots simulation").hexdigest()
CLIENT_SEED = "slots-simulation"
SPINS = 1_000_000
REPLAYED = 2_000


def simulate(machine_code: str, spins: int) -> np.ndarray:
    """Each spin's total pay, in line bets."""
    machine = slots.MACHINES[machine_code]
    symbols = sorted(machine.symbols)
    code = {symbol: index for index, symbol in enumerate(symbols)}
    base = len(symbols)
    reels = len(machine.reels)
    # Every possible line, as a number in base len(symbols), to its multiple.
    table = np.zeros(base**reels, dtype=np.int64)
    for number, shown in enumerate(itertools.product(symbols, repeat=reels)):
        table[number] = machine.line_pay(shown)[2]

    blob = b"".join(fairness.digest(SERVER_SEED, CLIENT_SEED, nonce, 0) for nonce in range(spins))
    words = np.frombuffer(blob, dtype=">u4").reshape(spins, fairness.FLOATS_PER_DIGEST).astype(np.uint64)
    strips = [np.array([code[symbol] for symbol in strip], dtype=np.int64) for strip in machine.reels]
    stops = [((words[:, reel] * len(strip)) >> 32).astype(np.int64) for reel, strip in enumerate(strips)]

    total = np.zeros(spins, dtype=np.int64)
    for payline in machine.paylines:
        line_number = np.zeros(spins, dtype=np.int64)
        for reel, row in enumerate(payline):
            strip = strips[reel]
            line_number = line_number * base + strip[(stops[reel] + row) % len(strip)]
        total += table[line_number]
    return total


@pytest.fixture(scope="module")
def pays() -> np.ndarray:
    return simulate("classic", SPINS)


def test_the_fast_path_is_the_engine(pays: np.ndarray) -> None:
    bet = slots.SlotsBet(machine="classic", line_bet=1)
    for nonce in range(REPLAYED):
        outcome = slots.play(bet, fairness.FairStream(SERVER_SEED, CLIENT_SEED, nonce))
        assert outcome.payout == pays[nonce], nonce


def test_simulated_rtp_is_within_4_standard_errors(pays: np.ndarray) -> None:
    sheet = slots.par_sheet("classic")
    lines = len(slots.MACHINES["classic"].paylines)
    simulated = float(pays.sum()) / (lines * SPINS)
    error = sheet.standard_deviation / math.sqrt(SPINS)
    assert abs(simulated - float(sheet.rtp)) < 4 * error, (simulated, float(sheet.rtp), error)


def test_simulated_hit_frequency_is_within_4_standard_errors(pays: np.ndarray) -> None:
    expected = float(slots.par_sheet("classic").hit_frequency)
    simulated = float(np.count_nonzero(pays)) / SPINS
    error = math.sqrt(expected * (1 - expected) / SPINS)
    assert abs(simulated - expected) < 4 * error, (simulated, expected, error)
