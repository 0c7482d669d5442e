"""Keep secrets out of logs and the audit trail.

Two nets: values under a sensitive key are replaced whatever they look like,
and values that look like a secret (a card number passing the Luhn check, a
bearer credential, a Croupier token) are replaced wherever they appear.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

_SENSITIVE_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|otp|authori[sz]ation|cookie|api[_-]?key|private[_-]?key"
    r"|^kek|^dek|data[_-]?key|card[_-]?number|^pan$|cvv|cvc|recovery|signature|credential",
    re.IGNORECASE,
)
_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_CROUPIER_TOKEN = re.compile(r"\bcr[a-z]_[A-Za-z0-9_-]{16,}")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _mask_pan(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return "[REDACTED-PAN]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def scrub_text(text: str) -> str:
    text = _DIGIT_RUN.sub(_mask_pan, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _CROUPIER_TOKEN.sub(REDACTED, text)


@functools.lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    # Cached: every log line asks again for the same few keys.
    return bool(_SENSITIVE_KEY.search(key))


def scrub(value: Any) -> Any:
    """Return a copy of ``value`` with secrets replaced, recursing into containers."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if isinstance(k, str) and is_sensitive_key(k) else scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value
