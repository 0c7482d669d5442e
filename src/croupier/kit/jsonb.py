"""Values in the form a JSONB column stores and returns them, exactly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain(value: Any) -> Any:
    """Mappings (str keys) and lists of strings, integers, booleans and None; anything else as text.

    What goes in must come back unchanged: the audit chain hashes an entry before it is
    stored and again after it is read, and idempotent requests are compared by hash.
    Floats are therefore text: JSONB keeps numbers as ``numeric``, so ``1e20`` reads
    back as an integer and ``-0.0`` as ``0.0``. NUL characters are dropped, from keys
    too: PostgreSQL text cannot hold them.
    """
    if isinstance(value, Mapping):
        return {_text(str(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return _text(value)
    if value is None or isinstance(value, bool | int):
        return value
    return _text(str(value))


def _text(value: str) -> str:
    return value.replace("\x00", "")
