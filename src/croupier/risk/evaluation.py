"""Detection quality: alerts compared with ground-truth labels, precision and recall per typology.

A label says what one player's account was used for: ``honest`` or a typology.
For each typology T, among the labelled players only (alerts on anyone else are
not the evaluation's business):

- alerted: players with at least one alert of typology T;
- labelled: players labelled T;
- precision = |alerted ∩ labelled| / |alerted|, recall = |alerted ∩ labelled| / |labelled|
  (undefined, None, when the denominator is 0).

``overall`` adds up the counts of the typologies that were labelled (a
micro-average). Alerts of typologies nobody was labelled with (the anomaly model,
sanctions) are counted in their own rows, which have no recall.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.errors import CroupierError
from croupier.risk import evaluation_repository
from croupier.risk.typologies import Typology

HONEST = "honest"
OVERALL = "overall"
_KNOWN = {HONEST, *(str(t) for t in Typology)}


class InvalidLabels(CroupierError):
    code = "invalid_labels"
    status = 422
    title = "The labels file is not valid"


@dataclass(frozen=True)
class GroundTruth:
    player_id: uuid.UUID
    typology: str


@dataclass(frozen=True)
class Score:
    typology: str
    labelled: int
    alerted: int
    detected: int  # alerted and labelled

    @property
    def precision(self) -> float | None:
        return self.detected / self.alerted if self.alerted else None

    @property
    def recall(self) -> float | None:
        return self.detected / self.labelled if self.labelled else None

    def as_dict(self) -> dict[str, object]:
        return {
            "typology": self.typology,
            "labelled": self.labelled,
            "alerted": self.alerted,
            "detected": self.detected,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass(frozen=True)
class Evaluation:
    players: int
    honest: int
    scores: list[Score]  # per typology, then OVERALL last

    @property
    def overall(self) -> Score:
        return self.scores[-1]


def read_labels(path: Path) -> list[GroundTruth]:
    """Parse a labels file (JSON lines: ``player_id``, ``typology``, …); raises ``InvalidLabels``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidLabels(f"Cannot read {path}: {type(exc).__name__}.") from None
    return parse_labels(text.splitlines())


def parse_labels(lines: Iterable[str]) -> list[GroundTruth]:
    found: dict[uuid.UUID, GroundTruth] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            player_id = uuid.UUID(str(record["player_id"]))
            typology = str(record["typology"])
        except (ValueError, KeyError, TypeError):
            raise InvalidLabels(
                f"Line {number}: expected a JSON object with a player_id (UUID) and a typology."
            ) from None
        if typology not in _KNOWN:
            raise InvalidLabels(
                f"Line {number}: unknown typology; expected one of {', '.join(sorted(_KNOWN))}."
            )
        if player_id in found and found[player_id].typology != typology:
            raise InvalidLabels(f"Line {number}: the player is labelled twice, differently.")
        found[player_id] = GroundTruth(player_id, typology)
    return list(found.values())


def score(truth: Sequence[GroundTruth], alerts: Iterable[tuple[uuid.UUID, str]]) -> Evaluation:
    """Precision and recall per typology from labels and (player, typology) alert pairs."""
    labelled: dict[str, set[uuid.UUID]] = defaultdict(set)
    for item in truth:
        if item.typology != HONEST:
            labelled[item.typology].add(item.player_id)
    known = {item.player_id for item in truth}
    alerted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for player_id, typology in alerts:
        if player_id in known:
            alerted[typology].add(player_id)
    scores = [
        Score(
            typology=typology,
            labelled=len(labelled[typology]),
            alerted=len(alerted[typology]),
            detected=len(labelled[typology] & alerted[typology]),
        )
        for typology in _ordered(set(labelled) | set(alerted))
    ]
    counted = [s for s in scores if s.labelled]
    overall = Score(
        typology=OVERALL,
        labelled=sum(s.labelled for s in counted),
        alerted=sum(s.alerted for s in counted),
        detected=sum(s.detected for s in counted),
    )
    return Evaluation(
        players=len(truth),
        honest=sum(1 for item in truth if item.typology == HONEST),
        scores=[*scores, overall],
    )


async def evaluate(session: AsyncSession, *, truth: Sequence[GroundTruth]) -> Evaluation:
    """Score the alerts in the database against ``truth``."""
    pairs = await evaluation_repository.alerted_typologies(session, [item.player_id for item in truth])
    return score(truth, pairs)


def _ordered(typologies: set[str]) -> list[str]:
    order = [str(t) for t in Typology]
    return sorted(typologies, key=lambda t: (order.index(t) if t in order else len(order), t))
