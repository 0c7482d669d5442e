"""The raw stream passes a statistical battery: Debian's ``dieharder``, as testing laboratories run it.

**Samples.** Two 16 MiB samples (134 million bits each) of one fixed seed pair's
stream, the two ways games read it: *across bets*, the first block (cursor 0)
of nonces 0, 1, 2, ... (what single-float games such as dice and roulette use),
and *within a bet*, the blocks of nonce 0 for cursors 0, 1, 2, ... (what
blackjack's later cards use). Dieharder reads unsigned 32-bit words in the
machine's byte order; each word it sees is the u32 behind one float.

**Battery.** Every dieharder test rated "Good" whose data fits a sample: the
Diehard tests, NIST SP 800-22's monobit, runs and serial tests, and Brown's
permutations, lagged-sum and KS tests. Each runs as its own dieharder process
reading a sample through a pipe (a pipe never rewinds; a test that would read
past the end is an error).

**Verdict.** Each test runs once (``-p 1``): its p-value is then the test's own,
uniform for a good generator. (With a few psamples, dieharder's second-level KS
p-values are not uniform, piling up near 1, so they would not give a sound
threshold.) A p-value fails when it lies in either tail beyond ``FAMILY_ALPHA``
split over all the p-values (Bonferroni), so the battery wrongly fails a good
generator with probability below 0.1 %; with the fixed seed pair the run is
deterministic. A stream whose ones are 1.6 % likelier must fail it: the check
can fail.

Dieharder is Debian's ``dieharder`` package (CI installs it). Without it the
test is skipped locally and fails in CI.
"""

from __future__ import annotations

import array
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from croupier.games import fairness

pytestmark = pytest.mark.slow

SERVER_SEED = hashlib.sha256(b"croupier rng battery").hexdigest()
CLIENT_SEED = "rng-battery"
SAMPLE_BLOCKS = 2**19  # 16 MiB of 32-byte blocks
FAMILY_ALPHA = 0.001

# Each reads 4-13 MiB, a few of them for dieharder's own speed measurement.
BATTERY = {
    0: "diehard_birthdays",
    1: "diehard_operm5",
    2: "diehard_rank_32x32",
    3: "diehard_rank_6x8",
    4: "diehard_bitstream",
    8: "diehard_count_1s_str",
    9: "diehard_count_1s_byt",
    10: "diehard_parking_lot",
    11: "diehard_2dsphere",
    12: "diehard_3dsphere",
    13: "diehard_squeeze",
    15: "diehard_runs",
    16: "diehard_craps",
    100: "sts_monobit",
    101: "sts_runs",
    102: "sts_serial",
    202: "rgb_permutations",
    203: "rgb_lagged_sum",
    204: "rgb_kstest_test",
}


@dataclass(frozen=True)
class PValue:
    sample: str
    test: str
    value: float


def dieharder() -> str:
    found = shutil.which("dieharder")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("dieharder is missing: CI must `apt-get install dieharder`")
        pytest.skip("dieharder is not installed (Debian package dieharder)")
    return found


def as_dieharder_words(blocks: Iterator[bytes]) -> bytes:
    words = array.array("I")
    assert words.itemsize == 4
    words.frombytes(b"".join(blocks))
    if sys.byteorder == "little":
        words.byteswap()  # the stream's groups are big-endian; dieharder reads native words
    return words.tobytes()


@pytest.fixture(scope="module")
def samples() -> dict[str, bytes]:
    dieharder()
    across = (fairness.digest(SERVER_SEED, CLIENT_SEED, nonce, 0) for nonce in range(SAMPLE_BLOCKS))
    within = (fairness.digest(SERVER_SEED, CLIENT_SEED, 0, cursor) for cursor in range(SAMPLE_BLOCKS))
    return {"across bets": as_dieharder_words(across), "within a bet": as_dieharder_words(within)}


def run_test(number: int, name: str, sample: bytes) -> list[float]:
    process = subprocess.Popen(  # noqa: S603 - a fixed program and arguments
        [dieharder(), "-g", "200", "-d", str(number), "-p", "1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    view = memoryview(sample)
    written = 0
    try:
        while written < len(sample):
            process.stdin.write(view[written : written + 2**16])
            written += 2**16
        process.stdin.close()
    except BrokenPipeError:
        pass  # the test has read all it needs
    output = process.stdout.read().decode()
    process.wait()
    if written >= len(sample):
        pytest.fail(f"{name} needs more than the sample")
    values = []
    for line in output.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) == 6 and fields[0] == name and fields[5] in ("PASSED", "WEAK", "FAILED"):
            values.append(float(fields[4]))
    assert values, output
    return values


def battery(samples: dict[str, bytes]) -> list[PValue]:
    return [
        PValue(sample_name, name, value)
        for sample_name, sample in samples.items()
        for number, name in BATTERY.items()
        for value in run_test(number, name, sample)
    ]


def failures(values: list[PValue]) -> list[PValue]:
    tail = FAMILY_ALPHA / 2 / len(values)
    return [value for value in values if not tail <= value.value <= 1 - tail]


def test_the_stream_passes_the_battery(samples: dict[str, bytes]) -> None:
    values = battery(samples)
    assert len(values) == 2 * (len(BATTERY) - 3 + 2 + 2 + 30)  # runs and craps give 2, sts_serial 30
    assert failures(values) == []


def test_a_biased_stream_fails_the_battery(samples: dict[str, bytes]) -> None:
    good = np.frombuffer(samples["across bets"], dtype=np.uint32)
    # A bit is forced on where five other words all have it on: ones become 1.6 % likelier.
    mask = np.roll(good, 1) & np.roll(good, 2) & np.roll(good, 3) & np.roll(good, 4) & np.roll(good, 5)
    failed = failures(battery({"biased": (good | mask).tobytes()}))
    assert {"sts_monobit", "sts_serial"} <= {value.test for value in failed}
