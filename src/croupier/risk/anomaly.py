"""The streaming anomaly score: river's Half-Space Trees over per-player normalised features.

One global model, not one per player: a Half-Space Trees forest is tens of kilobytes, too
much to keep (and rewrite) per player and event. Per-player behaviour still drives the
score, because each feature is relative to the player's own history (the amount against
their mean stake and last deposit, the hours since their deposit). The model lives in the
consumer's process, learns from every scored event, and is checkpointed into
``risk_models`` every ``CHECKPOINT_EVERY`` events (and restored from there on start), so a
restart loses at most that much learning. The checkpoint is a pickle, so it is sealed: an
HMAC-SHA256 under a key derived from the keyring's current KEK (kept outside the database)
covers it, and a checkpoint whose seal does not verify (written by anyone who could only
write the table, or sealed under a KEK since retired) is never unpickled: the model starts
afresh.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import pickle  # nosec B403 - the engine's own checkpoint, see above
from collections.abc import Mapping
from typing import Any

from river import anomaly

from croupier.kit.keyring import Keyring

CHECKPOINT_EVERY = 200
MODEL_NAME = "half_space_trees"


def new_model() -> anomaly.HalfSpaceTrees:
    return anomaly.HalfSpaceTrees(n_trees=10, height=6, window_size=100, seed=11)


def observation(kind: str, values: Mapping[str, Any]) -> dict[str, float]:
    """An event as the model sees it: every feature scaled into [0, 1]."""
    amount = float(values.get("amount") or 0.0)
    mean = float(values.get("stake_mean") or 0.0)
    deposit = float(values.get("last_deposit_amount") or 0.0)
    hours = float(values.get("hours_since_deposit") or 0.0)
    return {
        "amount": min(math.log1p(amount) / 20.0, 1.0),
        "vs_mean": min((amount / mean) / 50.0, 1.0) if mean > 0 else 0.0,
        "vs_deposit": min((amount / deposit) / 10.0, 1.0) if deposit > 0 else 0.0,
        "recent_deposit": 1.0 if hours < 1 else 0.0,
        "deposit": 1.0 if kind.startswith("deposit") else 0.0,
        "withdrawal": 1.0 if kind.startswith("withdrawal") else 0.0,
    }


class Scorer:
    """The model, with a count of what it has seen since its last checkpoint."""

    def __init__(self, model: anomaly.HalfSpaceTrees | None = None, seen: int = 0) -> None:
        self.model = model or new_model()
        self.seen = seen
        self.unsaved = 0

    @classmethod
    def restore(cls, sealed: bytes, seen: int, *, keyring: Keyring) -> Scorer:
        """The checkpointed model if its seal verifies; a fresh one otherwise."""
        state = _unseal(sealed, keyring)
        if state is None:
            return cls()
        return cls(pickle.loads(state), seen)  # noqa: S301  # nosec B301 - sealed by this engine, verified above

    def dump(self, *, keyring: Keyring) -> bytes:
        self.unsaved = 0
        return _seal(pickle.dumps(self.model), keyring)

    def score_and_learn(self, x: Mapping[str, float]) -> float:
        # Until the first window has filled, every score is noise: answer 0.
        warm = self.seen >= 2 * self.model.window_size
        score = float(self.model.score_one(dict(x))) if warm else 0.0  # type: ignore[no-untyped-call]
        self.model.learn_one(dict(x))  # type: ignore[no-untyped-call]
        self.seen += 1
        self.unsaved += 1
        return min(max(score, 0.0), 1.0)

    @property
    def due(self) -> bool:
        return self.unsaved >= CHECKPOINT_EVERY


_SEAL_VERSION = 4  # bytes holding the KEK version
_SEAL_MAC = 32


def _seal_key(keyring: Keyring, version: int) -> bytes:
    return hmac.new(keyring.kek(version), b"croupier/risk-model-checkpoint/v1", hashlib.sha256).digest()


def _seal(state: bytes, keyring: Keyring) -> bytes:
    version = keyring.current_version
    head = version.to_bytes(_SEAL_VERSION, "big")
    mac = hmac.new(_seal_key(keyring, version), head + state, hashlib.sha256).digest()
    return head + mac + state


def _unseal(sealed: bytes, keyring: Keyring) -> bytes | None:
    head, mac, state = (
        sealed[:_SEAL_VERSION],
        sealed[_SEAL_VERSION : _SEAL_VERSION + _SEAL_MAC],
        sealed[_SEAL_VERSION + _SEAL_MAC :],
    )
    version = int.from_bytes(head, "big")
    if len(sealed) <= _SEAL_VERSION + _SEAL_MAC or version not in keyring.keks:
        return None
    expected = hmac.new(_seal_key(keyring, version), head + state, hashlib.sha256).digest()
    return state if hmac.compare_digest(mac, expected) else None
