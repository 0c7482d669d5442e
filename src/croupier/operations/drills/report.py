"""What a drill measured, and which of its promises it found broken."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import typer

Figure = int | float | str


@dataclass
class DrillReport:
    name: str
    # Figures in the order they are printed: "requests failed" -> 0, "recovery seconds" -> 3.2.
    figures: dict[str, Figure] = field(default_factory=dict)
    # Each broken promise in a sentence ("2 acknowledged transfers lost"); empty means it held.
    broken: list[str] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    @property
    def held(self) -> bool:
        return not self.broken

    def measure(self, label: str, value: Figure) -> None:
        self.figures[label] = value

    def promise(self, kept: bool, broken_because: str) -> None:
        """Record a promise; when it was not kept, say why."""
        if not kept:
            self.broken.append(broken_because)

    def finish(self) -> DrillReport:
        self.finished_at = datetime.now(UTC)
        return self

    def lines(self) -> list[str]:
        width = max((len(label) for label in self.figures), default=0)
        shown = [f"{self.name}: {'held' if self.held else 'BROKEN'}"]
        shown += [f"  {label.ljust(width)}  {_shown(value)}" for label, value in self.figures.items()]
        shown += [f"  broken: {reason}" for reason in self.broken]
        return shown


def _shown(value: Figure) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def print_and_exit(report: DrillReport) -> None:
    """Print the figures; exit 1 when a promise was broken (the reasons on standard error)."""
    for line in report.lines():
        typer.echo(line)
    if not report.held:
        for reason in report.broken:
            typer.echo(f"croupier: {reason}", err=True)
        raise typer.Exit(1)
