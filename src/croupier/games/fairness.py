"""The provably fair random stream, exactly as Stake publishes it.

Using the widespread scheme unchanged means players can check Croupier's rounds
with any third-party verifier they already trust.

- **Commitment.** The server seed is 64 hexadecimal characters from ``secrets``.
  Before it is used the player is shown ``SHA-256(seed)`` (of the seed's ASCII
  text, not of the bytes it spells); the seed itself is revealed when the player
  rotates to a new one.
- **Stream.** A bet is identified by (server seed, client seed, nonce). Its
  stream is the concatenation of ``HMAC-SHA256(key = server seed as ASCII,
  message = f"{client_seed}:{nonce}:{cursor}")`` for cursor = 0, 1, 2, ...
- **Floats.** Each 32-byte digest gives 8 groups of 4 bytes; group b0..b3 gives
  ``b0/256 + b1/256**2 + b2/256**3 + b3/256**4``, i.e. ``u32 / 2**32`` with u32
  the group read big-endian. A game takes floats in order. The *position* of a
  stream is the index of its next float: cursor ``position // 8``, group
  ``position % 8``.
- **Integers.** A game turns a float into one of n outcomes with
  ``floor(float * n)``. Croupier computes it as ``(u32 * n) >> 32``, which is the
  same number in exact integer arithmetic, so no result depends on how a
  platform rounds floating point.

The client seed is the player's contribution. It is restricted to 1-64
printable ASCII characters without spaces (Stake accepts any string): non-ASCII
text has several byte encodings (NFC/NFD), and spaces are trimmed by forms, so
either could make a verifier hash something else than Croupier did. A colon is
allowed: nonce and cursor are decimal integers, so the message still reads
unambiguously from the right.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import struct
from collections.abc import Iterator
from typing import Protocol

from croupier.games.errors import InvalidSeed

FLOATS_PER_DIGEST = 8
U32_SPACE = 2**32
CLIENT_SEED_MAX_LENGTH = 64
# The nonce is a bet counter stored in a signed 64-bit column.
MAX_NONCE = 2**63 - 1

_SERVER_SEED = re.compile(r"[0-9a-f]{64}")
_CLIENT_SEED = re.compile(rf"[\x21-\x7e]{{1,{CLIENT_SEED_MAX_LENGTH}}}")
_WORDS = struct.Struct(">8I")


def new_server_seed() -> str:
    return secrets.token_hex(32)


def hash_server_seed(server_seed: str) -> str:
    check_server_seed(server_seed)
    return hashlib.sha256(server_seed.encode("ascii")).hexdigest()


def new_client_seed() -> str:
    """The default client seed, for players who do not choose their own."""
    return secrets.token_hex(16)


def check_server_seed(server_seed: str) -> None:
    if not isinstance(server_seed, str) or not _SERVER_SEED.fullmatch(server_seed):
        raise InvalidSeed("the server seed must be 64 lowercase hexadecimal characters")


def check_client_seed(client_seed: str) -> None:
    if not isinstance(client_seed, str) or not _CLIENT_SEED.fullmatch(client_seed):
        raise InvalidSeed(
            f"the client seed must be 1 to {CLIENT_SEED_MAX_LENGTH} printable ASCII characters without spaces"
        )


def check_nonce(nonce: int) -> None:
    if isinstance(nonce, bool) or not isinstance(nonce, int) or not 0 <= nonce <= MAX_NONCE:
        raise InvalidSeed(f"the nonce must be an integer from 0 to {MAX_NONCE}")


def check_seeds(server_seed: str, client_seed: str, nonce: int) -> None:
    check_server_seed(server_seed)
    check_client_seed(client_seed)
    check_nonce(nonce)


def digest(server_seed: str, client_seed: str, nonce: int, cursor: int) -> bytes:
    """One 32-byte block of the stream (unchecked: callers check the seeds once)."""
    message = f"{client_seed}:{nonce}:{cursor}".encode("ascii")
    return hmac.digest(server_seed.encode("ascii"), message, "sha256")


def digests(server_seed: str, client_seed: str, nonce: int, cursor: int = 0) -> Iterator[bytes]:
    """The raw stream, block after block, from ``cursor`` on (endless)."""
    check_seeds(server_seed, client_seed, nonce)
    while True:
        yield digest(server_seed, client_seed, nonce, cursor)
        cursor += 1


def floats(server_seed: str, client_seed: str, nonce: int) -> Iterator[float]:
    """The bet's floats in [0, 1), in the order games consume them (endless)."""
    stream = FairStream(server_seed, client_seed, nonce)
    while True:
        yield stream.next_float()


def u32_to_float(u32: int) -> float:
    # Exact: a double holds any 32-bit integer divided by a power of two.
    return u32 / U32_SPACE


def scale(u32: int, n: int) -> int:
    """``floor((u32 / 2**32) * n)``, exactly."""
    return (u32 * n) >> 32


def preimages(low: int, high: int, n: int) -> int:
    """How many of the 2**32 values of u32 give ``low <= scale(u32, n) < high``.

    ``scale(u, n) >= k`` exactly when ``u >= ceil(k * 2**32 / n)``. Unless n is a
    power of two, the n outcomes get either floor(2**32 / n) or ceil(2**32 / n)
    values each: a deviation from uniform below n / 2**32, which the engines'
    exact RTP figures include.
    """
    if not 0 <= low <= high <= n:
        raise ValueError("need 0 <= low <= high <= n")
    return _first_u32(high, n) - _first_u32(low, n)


def _first_u32(k: int, n: int) -> int:
    return -(-k * U32_SPACE // n)


class FloatSource(Protocol):
    """What an engine draws from: the bet's stream, or a stacked one in tests."""

    @property
    def position(self) -> int: ...

    def next_u32(self) -> int: ...


def draw(source: FloatSource, n: int) -> int:
    """The next outcome among n, as ``floor(float * n)``."""
    if n < 1:
        raise ValueError("n must be positive")
    return scale(source.next_u32(), n)


class FairStream:
    """A bet's stream, readable from any position (a multi-step round resumes where it stopped)."""

    __slots__ = ("_cursor", "_key", "_position", "_prefix", "_words")

    def __init__(self, server_seed: str, client_seed: str, nonce: int, position: int = 0) -> None:
        check_seeds(server_seed, client_seed, nonce)
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            raise ValueError("the position must be a non-negative integer")
        self._key = server_seed.encode("ascii")
        self._prefix = f"{client_seed}:{nonce}:"
        self._position = position
        self._cursor = -1
        self._words: tuple[int, ...] = ()

    @property
    def position(self) -> int:
        return self._position

    def next_u32(self) -> int:
        cursor, group = divmod(self._position, FLOATS_PER_DIGEST)
        if cursor != self._cursor:
            block = hmac.digest(self._key, f"{self._prefix}{cursor}".encode("ascii"), "sha256")
            self._words = _WORDS.unpack(block)
            self._cursor = cursor
        self._position += 1
        return self._words[group]

    def next_float(self) -> float:
        return u32_to_float(self.next_u32())
