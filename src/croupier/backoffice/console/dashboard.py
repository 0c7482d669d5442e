"""The dashboard's figures: money in and out, GGR, active players, the risk desk's queue.

Aggregates only, read through the reports and risk domains' own functions (the reports are
audited as read, under the viewer's name, like any other reading of them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor
from croupier.backoffice.console.charts import Series, bar_chart
from croupier.compliance.reports.service import Period, ReportName, build
from croupier.kit.clock import utcnow
from croupier.kit.settings import Settings
from croupier.risk import casework
from croupier.risk.gaming_day import gaming_day_of

DEFAULT_DAYS = 14


@dataclass(frozen=True)
class GameTakings:
    currency: str
    game: str
    stakes: int
    ggr: int


@dataclass
class Dashboard:
    first: date
    last: date
    charts: list[Markup] = field(default_factory=list)
    games: list[GameTakings] = field(default_factory=list)
    open_work: dict[str, int] = field(default_factory=dict)


async def dashboard(session: AsyncSession, *, settings: Settings, actor: Actor, days: int) -> Dashboard:
    last = gaming_day_of(utcnow(), settings)
    period = Period.of(last - timedelta(days=days - 1), last)
    labels = [d.strftime("%d %b") for d in period.days()]
    board = Dashboard(period.first, period.last)

    players = await build(session, name=ReportName.PLAYERS, period=period, settings=settings, actor=actor)
    per_currency: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in players.rows:
        if isinstance(row["currency"], str):
            for column in ("deposited", "withdrawn", "active_players"):
                value = row[column]
                per_currency[row["currency"]][column][str(row["gaming_day"])] = (
                    value if isinstance(value, int) else 0
                )

    ggr = await build(session, name=ReportName.GGR, period=period, settings=settings, actor=actor)
    ggr_per_day: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_game: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in ggr.rows:
        currency, day, amount, stakes = row["currency"], str(row["gaming_day"]), row["ggr"], row["stakes"]
        if not isinstance(currency, str) or not isinstance(amount, int) or not isinstance(stakes, int):
            continue
        ggr_per_day[currency][day] += amount
        game = f"{row['provider'] or row['channel']}: {row['game'] or '-'}"
        by_game[currency, game][0] += stakes
        by_game[currency, game][1] += amount

    iso_days = [d.isoformat() for d in period.days()]
    for currency in sorted(set(per_currency) | set(ggr_per_day)):
        money = per_currency.get(currency, {})
        board.charts.append(
            bar_chart(
                f"Deposits and withdrawals per day ({currency}, minor units)",
                labels,
                [
                    Series("Deposits", [money.get("deposited", {}).get(d, 0) for d in iso_days]),
                    Series("Withdrawals", [money.get("withdrawn", {}).get(d, 0) for d in iso_days]),
                ],
            )
        )
        board.charts.append(
            bar_chart(
                f"GGR per day ({currency}, minor units)",
                labels,
                [Series("GGR", [ggr_per_day.get(currency, {}).get(d, 0) for d in iso_days])],
            )
        )
        board.charts.append(
            bar_chart(
                f"Active players per day ({currency})",
                labels,
                [Series("Active players", [money.get("active_players", {}).get(d, 0) for d in iso_days])],
            )
        )
    board.games = sorted(
        (
            GameTakings(currency, game, stakes, amount)
            for (currency, game), (stakes, amount) in by_game.items()
        ),
        key=lambda g: (g.currency, -g.ggr),
    )
    board.open_work = {str(status): count for status, count in (await casework.open_work(session)).items()}
    return board
