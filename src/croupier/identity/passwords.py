"""Password policy (OWASP ASVS 5.0 §6.2) and argon2id hashing (appendix C).

No composition rules; 8 to 128 characters after Unicode NFKC normalisation;
refused when among the 10,000 most common passwords. Hashing runs in a worker
thread so a sign-in never stalls the event loop for other requests.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files

import anyio.to_thread
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from croupier.kit.errors import CroupierError
from croupier.kit.settings import Settings

MIN_LENGTH = 8
MAX_LENGTH = 128


class WeakPassword(CroupierError):
    code = "weak_password"
    status = 422
    title = "Password not accepted"


@cache
def common_passwords() -> frozenset[str]:
    text = files("croupier.identity").joinpath("data/common-passwords.txt").read_text()
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def check_policy(password: str, *, context: tuple[str, ...] = ()) -> str:
    """Return the normalised password or raise ``WeakPassword`` saying why."""
    password = normalise(password)
    if any(not ch.isprintable() for ch in password):
        raise WeakPassword("Passwords may use any printable character, but no control characters.")
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Use at most {MAX_LENGTH} characters.")
    folded = password.casefold()
    if folded in common_passwords():
        raise WeakPassword("This password is among the most common ones; choose another.")
    if any(part and part.casefold() in folded for part in context if len(part) >= 4):
        raise WeakPassword("The password must not contain your email address or name.")
    return password


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verified against when the account does not exist, so that unknown
        # accounts cost the same time as wrong passwords.
        self._decoy = self._hasher.hash("croupier-decoy-password")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, normalise(password))

    async def verify(self, stored: str | None, password: str) -> bool:
        candidate = normalise(password)[: MAX_LENGTH * 4]

        def _verify() -> bool:
            try:
                return self._hasher.verify(stored or self._decoy, candidate) and stored is not None
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(_verify)

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
