"""`croupier risk evaluate LABELS`: precision and recall of the alerts per typology."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.risk.alerts import raise_alert
from croupier.risk.typologies import Typology
from tests.cli_support import acroupier, env_for, refused, succeeded, usage_error
from tests.wallet.support import make_player

pytestmark = pytest.mark.slow  # each case runs the console script

ATO, MULTI, STRUCT, VELOCITY, ANOMALY = (
    Typology.ACCOUNT_TAKEOVER,
    Typology.MULTI_ACCOUNTING,
    Typology.STRUCTURING,
    Typology.VELOCITY,
    Typology.ANOMALY,
)


@dataclass
class Case:
    """Players by label (their position in the list is their name), alerts as (player, typology)."""

    labels: list[str]
    alerts: list[tuple[int, Typology]]
    # typology → (labelled, alerted, detected, precision, recall)
    expected: dict[str, tuple[int, int, int, float | None, float | None]]
    unlabelled_alerts: list[Typology] = field(default_factory=list)


CASES = {
    "every fraudster alerted and no one else": Case(
        labels=["honest", "honest", ATO, ATO],
        alerts=[(2, ATO), (3, ATO)],
        expected={ATO: (2, 2, 2, 1.0, 1.0), "overall": (2, 2, 2, 1.0, 1.0)},
    ),
    "a false alarm on an honest player and a missed fraudster": Case(
        labels=["honest", ATO, ATO, "honest"],
        alerts=[(0, ATO), (1, ATO)],
        expected={ATO: (2, 2, 1, 0.5, 0.5), "overall": (2, 2, 1, 0.5, 0.5)},
    ),
    "an alert of the wrong typology is a miss for one and a false alarm for the other": Case(
        labels=[STRUCT, VELOCITY, "honest"],
        alerts=[(0, VELOCITY), (1, VELOCITY)],
        expected={
            STRUCT: (1, 0, 0, None, 0.0),
            VELOCITY: (1, 2, 1, 0.5, 1.0),
            "overall": (2, 2, 1, 0.5, 0.5),
        },
    ),
    "several alerts on one player count once": Case(
        labels=[MULTI, MULTI, MULTI, "honest"],
        alerts=[(0, MULTI), (0, MULTI), (0, MULTI), (1, MULTI)],
        expected={MULTI: (3, 2, 2, 1.0, 2 / 3), "overall": (3, 2, 2, 1.0, 2 / 3)},
    ),
    "alerts on players outside the labels are not counted": Case(
        labels=[ATO, "honest"],
        alerts=[(0, ATO)],
        unlabelled_alerts=[ATO, ATO, VELOCITY],
        expected={ATO: (1, 1, 1, 1.0, 1.0), "overall": (1, 1, 1, 1.0, 1.0)},
    ),
    "a typology nobody was labelled with has its own row, outside the overall figures": Case(
        labels=[ATO, "honest"],
        alerts=[(0, ATO), (1, ANOMALY), (0, ANOMALY)],
        expected={
            ATO: (1, 1, 1, 1.0, 1.0),
            ANOMALY: (0, 2, 0, 0.0, None),
            "overall": (1, 1, 1, 1.0, 1.0),
        },
    ),
    "no alerts at all: recall 0, precision undefined": Case(
        labels=[ATO, STRUCT, "honest"],
        alerts=[],
        expected={
            ATO: (1, 0, 0, None, 0.0),
            STRUCT: (1, 0, 0, None, 0.0),
            "overall": (2, 0, 0, None, 0.0),
        },
    ),
}


async def _alert(runtime: Runtime, player_id: uuid.UUID, typology: Typology) -> None:
    async with runtime.database.unit_of_work() as session:
        await raise_alert(
            session,
            player_id=player_id,
            typology=typology,
            source="rule:test@1",
            score=0.9,
            reasons=["test"],
            event_ids=[],
            dedupe_key=f"test:{uuid.uuid4()}",
        )


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.mark.parametrize("name", list(CASES))
async def test_precision_and_recall_per_typology(
    name: str, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    case = CASES[name]
    players = [await make_player(runtime) for _ in case.labels]
    for index, typology in case.alerts:
        await _alert(runtime, players[index], typology)
    for typology in case.unlabelled_alerts:
        await _alert(runtime, await make_player(runtime), typology)
    labels = _write(
        tmp_path / "labels.jsonl",
        [
            {"player_id": str(p), "typology": str(t), "email": f"p{n}@example.com"}
            for n, (p, t) in enumerate(zip(players, case.labels, strict=True))
        ],
    )
    result = json.loads(
        succeeded(await acroupier("risk", "evaluate", str(labels), "--json", env=env_for(settings)))
    )
    assert result["players"] == len(case.labels)
    assert result["honest"] == case.labels.count("honest")
    rows = {row["typology"]: row for row in [*result["typologies"], result["overall"]]}
    assert set(rows) == set(case.expected)
    for typology, (labelled, alerted, detected, precision, recall) in case.expected.items():
        row = rows[typology]
        assert (row["labelled"], row["alerted"], row["detected"]) == (labelled, alerted, detected), typology
        assert row["precision"] == pytest.approx(precision), typology
        assert row["recall"] == pytest.approx(recall), typology


async def test_the_table_shows_each_typology_and_the_overall_figures(
    runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    fraudster, honest = await make_player(runtime), await make_player(runtime)
    await _alert(runtime, fraudster, ATO)
    await _alert(runtime, honest, ATO)
    labels = _write(
        tmp_path / "labels.jsonl",
        [
            {"player_id": str(fraudster), "typology": "account_takeover"},
            {"player_id": str(honest), "typology": "honest"},
        ],
    )
    out = succeeded(await acroupier("risk", "evaluate", str(labels), env=env_for(settings)))
    assert "2 labelled players, 1 honest" in out
    assert [line.split() for line in out.splitlines()[2:]] == [
        ["account_takeover", "1", "2", "1", "0.500", "1.000"],
        ["overall", "1", "2", "1", "0.500", "1.000"],
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json\n", "Line 1: expected a JSON object"),
        ('{"typology": "honest"}\n', "Line 1: expected a JSON object with a player_id"),
        ('{"player_id": "nope", "typology": "honest"}\n', "Line 1:"),
        ('{"player_id": "00000000-0000-4000-8000-000000000001", "typology": "honest"}\n[1]\n', "Line 2:"),
        (
            '{"player_id": "00000000-0000-4000-8000-000000000002", "typology": "laundering"}\n',
            "Line 1: unknown typology",
        ),
    ],
)
async def test_a_malformed_labels_file_is_refused_naming_the_line(
    content: str, reason: str, settings: Settings, tmp_path: Path
) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text(content)
    refused(await acroupier("risk", "evaluate", str(labels), env=env_for(settings)), reason)


async def test_a_player_labelled_twice_differently_is_refused(settings: Settings, tmp_path: Path) -> None:
    player = str(uuid.uuid4())
    labels = _write(
        tmp_path / "labels.jsonl",
        [{"player_id": player, "typology": "honest"}, {"player_id": player, "typology": "structuring"}],
    )
    refused(
        await acroupier("risk", "evaluate", str(labels), env=env_for(settings)),
        "Line 2: the player is labelled twice",
    )


async def test_a_missing_labels_file_is_a_usage_error(settings: Settings, tmp_path: Path) -> None:
    usage_error(
        await acroupier("risk", "evaluate", str(tmp_path / "none.jsonl"), env=env_for(settings)),
        "does not exist",
    )
