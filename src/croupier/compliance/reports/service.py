"""The regulator reports, each a table of rows per gaming day over a range of days.

- ``ggr``: gross gaming revenue per day, currency and game, from the house revenue
  accounts' entries, so that its sum over any range is exactly their movement.
- ``players``: player activity per day and currency.
- ``rg``: responsible-gambling interventions, from the sources the owning domains
  register (``rg_sources``).
- ``large-transactions``: the risk engine's gaming-day report, one day after another.

Every read is audited with who read which report over which days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit import service as audit
from croupier.audit.service import Actor
from croupier.audit.tags import AuditAction
from croupier.compliance.reports import rg_sources
from croupier.games.rounds import SOURCE as IN_HOUSE_SOURCE
from croupier.identity import repository as identity
from croupier.kit.errors import CroupierError, Forbidden
from croupier.kit.settings import Settings
from croupier.payments import repository as payments
from croupier.providers.hub88.transactions import SOURCE_PREFIX as HUB88_PREFIX
from croupier.risk import reports as risk_reports
from croupier.risk.gaming_day import gaming_day, gaming_day_of
from croupier.staff.access import Permission
from croupier.wallet import repository as ledger
from croupier.wallet.service import HouseBook

# A regulator asks for a month or a quarter; a year bounds the work one request may ask for.
MAX_DAYS = 366

Value = str | int | None


class ReportName(StrEnum):
    GGR = "ggr"
    PLAYERS = "players"
    RG = "rg"
    LARGE_TRANSACTIONS = "large-transactions"


class Channel(StrEnum):
    IN_HOUSE = "in-house"  # Croupier's own games
    HUB88 = "hub88"  # third-party studios through the Hub88 wallet
    OTHER = "other"  # any other transfer on the revenue accounts, so the sums still reconcile


class InvalidReportPeriod(CroupierError):
    code = "invalid_report_period"
    status = 422
    title = "The report's period is not a range of days"


@dataclass(frozen=True)
class Period:
    """Gaming days ``first`` to ``last``, both included."""

    first: date
    last: date

    @classmethod
    def of(cls, first: date, last: date) -> Period:
        if last < first:
            raise InvalidReportPeriod(f"The period ends ({last}) before it starts ({first}).")
        if (last - first).days + 1 > MAX_DAYS:
            raise InvalidReportPeriod(f"A report covers at most {MAX_DAYS} days.")
        return cls(first, last)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class Report:
    name: ReportName
    columns: tuple[str, ...]
    rows: list[dict[str, Value]]
    # For ``rg``: the sources registered, which a reader needs to judge an empty report.
    sources: tuple[str, ...] = field(default=())


COLUMNS: Mapping[ReportName, tuple[str, ...]] = {
    ReportName.GGR: (
        "gaming_day",
        "currency",
        "channel",
        "provider",
        "game",
        "stakes",
        "wins",
        "refunds",
        "ggr",
    ),
    ReportName.PLAYERS: (
        "gaming_day",
        "currency",
        "active_players",
        "new_registrations",
        "deposits",
        "deposited",
        "withdrawals",
        "withdrawn",
        "stakes",
        "wins",
    ),
    ReportName.RG: ("gaming_day", "occurred_at", "source", "kind", "player_id", "detail"),
    ReportName.LARGE_TRANSACTIONS: (
        "gaming_day",
        "player_id",
        "currency",
        "threshold",
        "cash_in",
        "deposits",
        "cash_out",
        "withdrawals",
        "reported",
    ),
}


def check_may_read(permissions: frozenset[Permission], name: ReportName) -> None:
    """``reports:read`` reads every report; ``reports:aml`` (the risk desk) the large-transaction one."""
    if Permission.REPORTS_READ in permissions or (
        Permission.REPORTS_AML in permissions and name == ReportName.LARGE_TRANSACTIONS
    ):
        return
    raise Forbidden(f"The {name} report needs the {Permission.REPORTS_READ} permission.")


async def compose(
    session: AsyncSession, *, name: ReportName, period: Period, settings: Settings, actor: Actor
) -> Report:
    """The report over the period's gaming days, not audited: the caller audits the read
    under its own action (``build`` for staff, the partner API for OAuth clients)."""
    if name == ReportName.GGR:
        return Report(name, COLUMNS[name], await _ggr(session, period, settings))
    if name == ReportName.PLAYERS:
        return Report(name, COLUMNS[name], await _players(session, period, settings))
    if name == ReportName.RG:
        return await _rg(session, period, settings)
    return Report(name, COLUMNS[name], await _large_transactions(session, period, settings, actor))


async def build(
    session: AsyncSession, *, name: ReportName, period: Period, settings: Settings, actor: Actor
) -> Report:
    """The report over the period's gaming days. Audited."""
    report = await compose(session, name=name, period=period, settings=settings, actor=actor)
    audit.record(
        session,
        AuditAction.COMPLIANCE_REPORT_READ,
        actor=actor,
        details={
            "report": str(name),
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            "rows": len(report.rows),
        },
    )
    return report


@dataclass(frozen=True)
class _Window:
    """The instants the period's gaming days run between, and how to tell the days apart."""

    start: datetime
    end: datetime
    timezone: str
    cutover: time

    @classmethod
    def of(cls, period: Period, settings: Settings) -> _Window:
        zone, cutover = settings.gaming_day_timezone, settings.gaming_day_cutover
        return cls(
            start=gaming_day(period.first, timezone=zone, cutover=cutover).start,
            end=gaming_day(period.last, timezone=zone, cutover=cutover).end,
            timezone=zone,
            cutover=cutover,
        )


# ---------------------------------------------------------------- ggr


@dataclass
class _Takings:
    stakes: int = 0
    wins: int = 0
    refunds: int = 0


def _game_of(movement: ledger.RevenueMovement) -> tuple[Channel, str | None, str | None]:
    if movement.source == IN_HOUSE_SOURCE:
        return Channel.IN_HOUSE, None, movement.game
    if movement.source.startswith(HUB88_PREFIX):
        return Channel.HUB88, movement.source.removeprefix(HUB88_PREFIX), movement.game
    return Channel.OTHER, movement.source, movement.game or movement.kind


async def _takings(
    session: AsyncSession, period: Period, settings: Settings
) -> dict[tuple[date, str, Channel, str | None, str | None], _Takings]:
    found: dict[tuple[date, str, Channel, str | None, str | None], _Takings] = defaultdict(_Takings)
    w = _Window.of(period, settings)
    movements = await ledger.revenue_movements(
        session, book=HouseBook.REVENUE, start=w.start, end=w.end, timezone=w.timezone, cutover=w.cutover
    )
    for move in movements:
        takings = found[(move.day, move.currency, *_game_of(move))]
        if move.kind == "rollback":  # a bet the studio called off: its stake goes back
            takings.refunds += move.debited - move.credited
        else:
            takings.stakes += move.credited
            takings.wins += move.debited
    return found


async def _ggr(session: AsyncSession, period: Period, settings: Settings) -> list[dict[str, Value]]:
    takings = await _takings(session, period, settings)
    return [
        {
            "gaming_day": day.isoformat(),
            "currency": currency,
            "channel": str(channel),
            "provider": provider,
            "game": game,
            "stakes": t.stakes,
            "wins": t.wins,
            "refunds": t.refunds,
            "ggr": t.stakes - t.wins - t.refunds,
        }
        for (day, currency, channel, provider, game), t in sorted(takings.items(), key=_ggr_order)
    ]


def _ggr_order(item: tuple[tuple[date, str, Channel, str | None, str | None], _Takings]) -> tuple[str, ...]:
    day, currency, channel, provider, game = item[0]
    return day.isoformat(), currency, channel, provider or "", game or ""


# ---------------------------------------------------------------- players


async def _players(session: AsyncSession, period: Period, settings: Settings) -> list[dict[str, Value]]:
    w = _Window.of(period, settings)
    rows: dict[tuple[date, str | None], dict[str, Value]] = {}

    def row(day: date, currency: str | None) -> dict[str, Value]:
        if (day, currency) not in rows:
            rows[day, currency] = {"gaming_day": day.isoformat(), "currency": currency} | dict.fromkeys(
                COLUMNS[ReportName.PLAYERS][2:], 0
            )
        return rows[day, currency]

    # Registrations have no currency: they are the day's row without one.
    registered = await identity.registrations_by_day(
        session, start=w.start, end=w.end, timezone=w.timezone, cutover=w.cutover
    )
    for day, count in registered.items():
        row(day, None)["new_registrations"] = count
    for cash in await payments.daily_cash(
        session, start=w.start, end=w.end, timezone=w.timezone, cutover=w.cutover
    ):
        row(cash.day, cash.currency).update(
            deposits=cash.deposits,
            deposited=cash.deposited,
            withdrawals=cash.withdrawals,
            withdrawn=cash.withdrawn,
        )
    staking = await ledger.players_staking(
        session, book=HouseBook.REVENUE, start=w.start, end=w.end, timezone=w.timezone, cutover=w.cutover
    )
    for (day, currency), count in staking.items():
        row(day, currency)["active_players"] = count
    for (day, currency, *_), takings in (await _takings(session, period, settings)).items():
        played = row(day, currency)
        played["stakes"] = _int(played["stakes"]) + takings.stakes
        played["wins"] = _int(played["wins"]) + takings.wins
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1] or ""))]


def _int(value: Value) -> int:
    return value if isinstance(value, int) else 0


# ---------------------------------------------------------------- rg


async def _rg(session: AsyncSession, period: Period, settings: Settings) -> Report:
    w = _Window.of(period, settings)
    sources = rg_sources.registered()
    found: list[tuple[datetime, str, rg_sources.RgRow]] = []
    for name, source in sources.items():
        found += [
            (entry.occurred_at, name, entry) for entry in await source(session, start=w.start, end=w.end)
        ]
    found.sort(key=lambda item: (item[0], item[1], str(item[2].player_id), item[2].kind))
    rows: list[dict[str, Value]] = [
        {
            "gaming_day": gaming_day_of(at, settings).isoformat(),
            "occurred_at": at.isoformat(),
            "source": name,
            "kind": entry.kind,
            "player_id": str(entry.player_id),
            "detail": entry.detail,
        }
        for at, name, entry in found
    ]
    return Report(ReportName.RG, COLUMNS[ReportName.RG], rows, sources=tuple(sources))


# ---------------------------------------------------------------- large transactions


async def _large_transactions(
    session: AsyncSession, period: Period, settings: Settings, actor: Actor
) -> list[dict[str, Value]]:
    rows: list[dict[str, Value]] = []
    for day in period.days():
        report = await risk_reports.large_transactions(session, day=day, settings=settings, actor=actor)
        rows += [
            {
                "gaming_day": day.isoformat(),
                "player_id": str(r.player_id),
                "currency": r.currency,
                "threshold": r.threshold,
                "cash_in": r.cash_in,
                "deposits": r.deposits,
                "cash_out": r.cash_out,
                "withdrawals": r.withdrawals,
                "reported": r.reported,
            }
            for r in report.rows
        ]
    return rows
