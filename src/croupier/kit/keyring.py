"""Versioned key-encryption keys and the other long-lived secrets, kept outside the database.

The keyring is a small JSON document::

    {"kek": {"1": "<base64 32 bytes>", "2": "..."},
     "blind_index_key": "<base64 32 bytes>",
     "audit_key": "<base64 32 bytes>"}

The newest KEK version wraps new data keys; every listed version unwraps. It is
read from ``CROUPIER_KEYRING`` (inline) or ``CROUPIER_KEYRING_FILE``. With no
database configured either, a development keyring is generated in the data
folder, loudly. A file-backed keyring is re-read when the file changes, so a
running service picks up ``croupier keys rotate`` without a restart.

The keyring is infrastructure: the field cipher (``crypto``) and the audit
chain (``audit``) both read their keys from here, so neither depends on the other.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.db import shared_context
from croupier.kit.errors import CroupierError
from croupier.kit.settings import Settings

KEY_BYTES = 32
DEV_KEYRING_NAME = "dev-keyring.json"
_RELOAD_INTERVAL_SECONDS = 1.0
_SHARED_KEY = "keyring"


class KeyringError(CroupierError):
    code = "keyring_error"
    status = 500
    title = "Key management error"


@dataclass(frozen=True)
class Keyring:
    keks: dict[int, bytes]
    blind_index_key: bytes
    audit_key: bytes

    @property
    def current_version(self) -> int:
        return max(self.keks)

    @property
    def current_kek(self) -> bytes:
        return self.keks[self.current_version]

    def kek(self, version: int) -> bytes:
        try:
            return self.keks[version]
        except KeyError:
            raise KeyringError(f"KEK version {version} is not in the keyring") from None

    @classmethod
    def generate(cls) -> Keyring:
        return cls(
            keks={1: secrets.token_bytes(KEY_BYTES)},
            blind_index_key=secrets.token_bytes(KEY_BYTES),
            audit_key=secrets.token_bytes(KEY_BYTES),
        )

    def with_new_version(self) -> Keyring:
        keks = dict(self.keks)
        keks[self.current_version + 1] = secrets.token_bytes(KEY_BYTES)
        return Keyring(keks=keks, blind_index_key=self.blind_index_key, audit_key=self.audit_key)

    def without_version(self, version: int) -> Keyring:
        if version == self.current_version:
            raise KeyringError("the newest KEK version cannot be retired")
        keks = {v: k for v, k in self.keks.items() if v != version}
        return Keyring(keks=keks, blind_index_key=self.blind_index_key, audit_key=self.audit_key)

    def to_json(self) -> str:
        doc = {
            "kek": {str(v): _b64(k) for v, k in sorted(self.keks.items())},
            "blind_index_key": _b64(self.blind_index_key),
            "audit_key": _b64(self.audit_key),
        }
        return json.dumps(doc, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            doc: Any = json.loads(text)
            keks = {int(v): _unb64(k) for v, k in doc["kek"].items()}
            ring = cls(
                keks=keks,
                blind_index_key=_unb64(doc["blind_index_key"]),
                audit_key=_unb64(doc["audit_key"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyringError("the keyring is not valid JSON of the documented shape") from exc
        keys = [*ring.keks.values(), ring.blind_index_key, ring.audit_key]
        if not ring.keks or any(len(k) != KEY_BYTES for k in keys):
            raise KeyringError("every key must be 32 bytes and at least one KEK must exist")
        return ring

    def __repr__(self) -> str:  # never print key material
        return f"Keyring(versions={sorted(self.keks)})"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def write_keyring_file(path: Path, ring: Keyring) -> None:
    """Replace the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(ring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


class KeyringSource:
    """Where the keyring comes from, and the latest copy of it."""

    def __init__(self, *, path: Path | None = None, inline: str | None = None) -> None:
        if (path is None) == (inline is None):
            raise KeyringError("a keyring comes from exactly one of a file or an inline value")
        self.path = path
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._mtime = 0.0
        self._ring = Keyring.from_json(inline) if inline is not None else self._read()

    @property
    def writable(self) -> bool:
        return self.path is not None

    def _read(self) -> Keyring:
        if self.path is None:
            raise KeyringError("an inline keyring has no file to read")
        try:
            self._mtime = self.path.stat().st_mtime
            return Keyring.from_json(self.path.read_text())
        except FileNotFoundError:
            raise KeyringError(f"keyring file {self.path} does not exist") from None

    def current(self) -> Keyring:
        if self.path is not None and time.monotonic() - self._checked_at > _RELOAD_INTERVAL_SECONDS:
            with self._lock:
                self._checked_at = time.monotonic()
                if self.path.stat().st_mtime != self._mtime:
                    self._ring = self._read()
        return self._ring

    def replace(self, ring: Keyring) -> None:
        if self.path is None:
            raise KeyringError(
                "an inline keyring (CROUPIER_KEYRING) cannot be changed by Croupier: "
                "use a keyring file, or update the secret store and restart"
            )
        write_keyring_file(self.path, ring)
        with self._lock:
            self._ring = self._read()


def load_keyring(settings: Settings) -> KeyringSource:
    if settings.keyring is not None:
        return KeyringSource(inline=settings.keyring.get_secret_value())
    if settings.keyring_file is not None:
        return KeyringSource(path=settings.keyring_file)
    if not settings.embedded:
        raise KeyringError(
            "CROUPIER_DATABASE_URL is set, so keys must be supplied: set CROUPIER_KEYRING_FILE "
            "or CROUPIER_KEYRING (create one with `croupier keys generate`)"
        )
    path = settings.data_dir.resolve() / DEV_KEYRING_NAME
    generated = not path.exists()
    if generated:
        write_keyring_file(path, Keyring.generate())
    _warn_development_keys(path, generated=generated)
    return KeyringSource(path=path)


_warned = False


def _warn_development_keys(path: Path, *, generated: bool) -> None:
    """Once per process: `croupier serve` loads the keyring before uvicorn starts and again
    in the app it serves, and the warning is about the keys, not about each load."""
    global _warned  # noqa: PLW0603 - a process-wide fact, deliberately
    if _warned:
        return
    _warned = True
    what = "generated development keys" if generated else "using development keys"
    sys.stderr.write(
        "\n" + "!" * 78 + "\n"
        "!! DEVELOPMENT KEYS IN USE\n"
        f"!! {what} in {path}\n"
        "!! Anyone who can read that file can read every player's personal data.\n"
        "!! For real players set CROUPIER_DATABASE_URL and CROUPIER_KEYRING_FILE.\n" + "!" * 78 + "\n\n"
    )


def bind_keyring(shared: dict[str, object], source: KeyringSource) -> None:
    """Make the keyring reachable from every session the database opens."""
    shared[_SHARED_KEY] = source


def keyring_of(session: AsyncSession) -> Keyring:
    source = shared_context(session).get(_SHARED_KEY)
    if not isinstance(source, KeyringSource):
        raise TypeError("session has no keyring bound; open sessions through Runtime.database")
    return source.current()
