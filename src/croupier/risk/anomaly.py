"""The streaming anomaly score: river's Half-Space Trees over per-player normalised features.

One global model, not one per player: a Half-Space Trees forest is tens of kilobytes, too
much to keep (and rewrite) per player and event. Per-player behaviour still drives the
score, because each feature is relative to the player's own history (the amount against
their mean stake and last deposit, the hours since their deposit). The model lives in the
consumer's process, learns from every scored event, and is checkpointed into
``risk_models`` every ``CHECKPOINT_EVERY`` events (and restored from there on start), so a
restart loses at most that much learning. The checkpoint is a pickle written and read only
by the engine itself, never taken from outside.
"""

from __future__ import annotations

import math
import pickle  # nosec B403 - the engine's own checkpoint, see above
from collections.abc import Mapping
from typing import Any

from river import anomaly

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
    def restore(cls, state: bytes, seen: int) -> Scorer:
        return cls(pickle.loads(state), seen)  # noqa: S301  # nosec B301 - the engine's own checkpoint

    def dump(self) -> bytes:
        self.unsaved = 0
        return pickle.dumps(self.model)

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
