"""All of the risk engine's SQL: rule sets, decisions, and the feature state."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.models import DomainEvent
from croupier.kit.db import driver_connection, execute_plain
from croupier.kit.jsonb import plain
from croupier.risk.models import (
    RiskCounter,
    RiskDecision,
    RiskLink,
    RiskModel,
    RiskPlayerMoney,
    RiskPlayerState,
    RiskRule,
    RiskRuleSet,
    RuleSetStatus,
)

# ---------------------------------------------------------------- rule sets


async def active_set(session: AsyncSession) -> RiskRuleSet | None:
    return await session.scalar(select(RiskRuleSet).where(RiskRuleSet.status == RuleSetStatus.ACTIVE))


async def active_set_id(session: AsyncSession) -> uuid.UUID | None:
    return await session.scalar(select(RiskRuleSet.id).where(RiskRuleSet.status == RuleSetStatus.ACTIVE))


async def rule_sets(session: AsyncSession) -> list[RiskRuleSet]:
    return list(await session.scalars(select(RiskRuleSet).order_by(RiskRuleSet.name, RiskRuleSet.version)))


async def rule_set(
    session: AsyncSession, name: str, version: int | None, *, lock: bool = False
) -> RiskRuleSet | None:
    query = select(RiskRuleSet).where(RiskRuleSet.name == name)
    query = (
        query.where(RiskRuleSet.version == version)
        if version is not None
        else query.order_by(RiskRuleSet.version.desc()).limit(1)
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def rules_of(session: AsyncSession, set_id: uuid.UUID) -> list[RiskRule]:
    return list(
        await session.scalars(select(RiskRule).where(RiskRule.rule_set_id == set_id).order_by(RiskRule.name))
    )


async def add_set(session: AsyncSession, *, name: str, version: int, created_by: str) -> RiskRuleSet:
    row = RiskRuleSet(
        id=uuid.uuid4(), name=name, version=version, status=RuleSetStatus.DRAFT, created_by=created_by
    )
    session.add(row)
    await session.flush()
    return row


async def add_rule(session: AsyncSession, set_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(insert(RiskRule).values(id=uuid.uuid4(), rule_set_id=set_id, **values))


async def delete_rule(session: AsyncSession, set_id: uuid.UUID, name: str) -> bool:
    done = await session.execute(
        delete(RiskRule).where(RiskRule.rule_set_id == set_id, RiskRule.name == name).returning(RiskRule.id)
    )
    return done.first() is not None


async def retire_active(session: AsyncSession) -> None:
    await session.execute(
        update(RiskRuleSet)
        .where(RiskRuleSet.status == RuleSetStatus.ACTIVE)
        .values(status=RuleSetStatus.RETIRED)
    )
    await session.flush()


async def activate(session: AsyncSession, set_id: uuid.UUID) -> None:
    await session.execute(
        update(RiskRuleSet)
        .where(RiskRuleSet.id == set_id)
        .values(status=RuleSetStatus.ACTIVE, published_at=func.now())
    )


# ---------------------------------------------------------------- decisions


async def add_decision(session: AsyncSession, values: Mapping[str, Any]) -> None:
    row = {
        "id": uuid.uuid4(),
        **values,
        "reasons": plain(values["reasons"]),
        "shadow": plain(values["shadow"]),
    }
    await session.execute(insert(RiskDecision).values(**row))


async def decisions_of(session: AsyncSession, player_id: uuid.UUID) -> list[RiskDecision]:
    return list(
        await session.scalars(
            select(RiskDecision).where(RiskDecision.player_id == player_id).order_by(RiskDecision.created_at)
        )
    )


# ---------------------------------------------------------------- feature state: reads

_FEATURES = text(
    """
SELECT s.registered_at, s.new_device_sign_in_at, s.credential_change_at, s.anomaly_score,
       s.new_device_event_id, s.credential_change_event_id,
       m.deposited, m.withdrawn, m.last_deposit_amount, m.last_deposit_at, m.last_deposit_event_id,
       m.wagered_since_deposit, m.gaming_day, m.day_deposit_count, m.day_deposit_total,
       m.day_deposit_min, m.day_deposit_max, m.day_event_ids, m.stake_count, m.stake_sum, m.stake_max,
       (SELECT coalesce(sum(c.count), 0) FROM risk_counters c
         WHERE c.key = 'signin_fail:player:' || CAST(:p AS text) AND c.bucket > :h1)
         AS player_sign_in_failures_1h,
       (SELECT coalesce(sum(c.count), 0) FROM risk_counters c
         WHERE c.key = 'signin_fail:ip:' || :ip AND c.bucket > :h1) AS ip_sign_in_failures_1h,
       (SELECT coalesce(sum(c.count), 0) FROM risk_counters c
         WHERE c.key = 'deposit:player:' || CAST(:p AS text) AND c.bucket > :h1) AS deposits_1h,
       (SELECT coalesce(sum(c.count), 0) FROM risk_counters c
         WHERE c.key = 'deposit:player:' || CAST(:p AS text) AND c.bucket > :h24) AS deposits_24h,
       (SELECT coalesce(sum(c.count), 0) FROM risk_counters c
         WHERE c.key = 'deposit_fail:player:' || CAST(:p AS text) AND c.bucket > :h1) AS failed_deposits_1h,
       (SELECT coalesce(sum(c.count), 0) FROM risk_counters c
         WHERE c.key = 'deposit_fail:card:' || :card AND c.bucket > :h1) AS card_failed_deposits_1h,
       (SELECT coalesce(sum(c.count), 0) FROM risk_counters c
         WHERE c.key = 'deposit:ip:' || :ip AND c.bucket > :h1) AS ip_deposits_1h,
       (SELECT count(*) FROM risk_links l
         WHERE l.kind = 'declined' AND l.player_id = :p AND l.last_seen_at > :h1) AS declined_cards_1h,
       (SELECT count(*) FROM risk_links l WHERE l.kind = 'device' AND l.value = :dev
         AND l.player_id <> :p AND l.last_seen_at > :win) AS others_on_device,
       (SELECT count(*) FROM risk_links l WHERE l.kind = 'card' AND l.value = :card
         AND l.player_id <> :p AND l.last_seen_at > :win) AS others_on_card,
       (SELECT count(*) FROM risk_links l WHERE l.kind = 'ip' AND l.value = :ip
         AND l.player_id <> :p AND l.last_seen_at > :win) AS others_on_ip,
       EXISTS (SELECT 1 FROM risk_links l WHERE l.kind = 'device' AND l.value = :dev AND l.player_id = :p)
         AS known_device,
       EXISTS (SELECT 1 FROM risk_links l WHERE l.kind = 'ip' AND l.value = :ip AND l.player_id = :p)
         AS known_ip,
       EXISTS (SELECT 1 FROM risk_links l WHERE l.player_id = :p AND l.kind IN ('device', 'ip')) AS any_link
  FROM (SELECT 1) AS one
  LEFT JOIN risk_player_state s ON s.player_id = :p
  LEFT JOIN risk_player_money m ON m.player_id = :p AND m.currency = :cur
"""
)


def _plain_placeholders(statement: str) -> str:
    """``:name`` binds as psycopg's ``%(name)s`` (a colon inside a string literal follows a letter)."""
    return re.sub(r"(?<![\w:]):(\w+)\b(?!:)", r"%(\1)s", statement)


_FEATURES_PLAIN = _plain_placeholders(_FEATURES.text)
_SAVEPOINT = "risk_features"


def _feature_params(
    *,
    player_id: uuid.UUID | None,
    currency: str,
    device: str | None,
    ip: str | None,
    card: str | None,
    now: datetime,
    link_window: timedelta,
) -> dict[str, Any]:
    return {
        "p": player_id or uuid.UUID(int=0),
        "cur": currency,
        "dev": device or "",
        "ip": ip or "",
        "card": card or "",
        "h1": now - timedelta(hours=1),
        "h24": now - timedelta(hours=24),
        "win": now - link_window,
    }


async def feature_state_within(session: AsyncSession, *, timeout_ms: int, **where: Any) -> Mapping[str, Any]:
    """``feature_state`` under a statement timeout, for decisions inside a request's transaction.

    In a savepoint that is always rolled back (the timeout with it), so a cancelled read
    leaves the request's transaction usable; the five statements go in one round trip
    (psycopg's pipeline mode) on the request's own connection.
    """
    connection = await driver_connection(session)
    cursor = connection.cursor(row_factory=dict_row)
    try:
        async with connection.pipeline():
            await connection.execute(f"SAVEPOINT {_SAVEPOINT}")
            await connection.execute(
                "SELECT set_config('statement_timeout', %s, true)", [f"{max(timeout_ms, 1)}ms"]
            )
            await cursor.execute(_FEATURES_PLAIN, _feature_params(**where))
            await connection.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            await connection.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        row = await cursor.fetchone()
    except psycopg.Error as exc:
        await connection.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
        await connection.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        raise DBAPIError.instance(_FEATURES_PLAIN, {}, exc, psycopg.Error) from exc
    if row is None:  # pragma: no cover - the statement always answers one row
        raise RuntimeError("the feature statement answered no row")
    return row


async def feature_state(
    session: AsyncSession,
    *,
    player_id: uuid.UUID | None,
    currency: str,
    device: str | None,
    ip: str | None,
    card: str | None,
    now: datetime,
    link_window: timedelta,
) -> Mapping[str, Any]:
    """The stored state behind every feature, in one statement."""
    params = _feature_params(
        player_id=player_id,
        currency=currency,
        device=device,
        ip=ip,
        card=card,
        now=now,
        link_window=link_window,
    )
    await session.flush()  # the statement goes past the ORM: what it holds must be in the database
    cursor = await execute_plain(session, _FEATURES_PLAIN, params)
    row = await cursor.fetchone()
    if row is None or cursor.description is None:  # pragma: no cover - always one row
        raise RuntimeError("the feature statement answered no row")
    return dict(zip([column.name for column in cursor.description], row, strict=True))


# ---------------------------------------------------------------- feature state: writes


_CLAIM_PLAYER = (
    "INSERT INTO risk_player_state (player_id, last_event_id, anomaly_score) VALUES (%s, %s, 0)"
    " ON CONFLICT (player_id) DO UPDATE SET last_event_id = excluded.last_event_id"
    " WHERE risk_player_state.last_event_id < excluded.last_event_id RETURNING 1"
)
_CLAIM_ANONYMOUS = (
    "INSERT INTO risk_watermarks (stream, last_event_id) VALUES ('anonymous', %s)"
    " ON CONFLICT (stream) DO UPDATE SET last_event_id = excluded.last_event_id"
    " WHERE risk_watermarks.last_event_id < excluded.last_event_id RETURNING 1"
)
_SET_SCORE = "UPDATE risk_player_state SET anomaly_score = %s WHERE player_id = %s"
_ADD_STAKE = (
    "INSERT INTO risk_player_money (player_id, currency, deposited, withdrawn, last_deposit_amount,"
    " wagered_since_deposit, day_deposit_count, day_deposit_total, day_deposit_min, day_deposit_max,"
    " day_event_ids, stake_count, stake_sum, stake_max)"
    " VALUES (%(p)s, %(cur)s, 0, 0, 0, %(amount)s, 0, 0, 0, 0, '[]', 1, %(amount)s, %(amount)s)"
    " ON CONFLICT (player_id, currency) DO UPDATE SET"
    " wagered_since_deposit = risk_player_money.wagered_since_deposit + excluded.wagered_since_deposit,"
    " stake_count = risk_player_money.stake_count + 1,"
    " stake_sum = risk_player_money.stake_sum + excluded.stake_sum,"
    " stake_max = greatest(risk_player_money.stake_max, excluded.stake_max)"
)

# The consumer's per-event statements go to the driver directly (as a bet's own statements
# do): SQLAlchemy's compilation and result layers cost more than the round trips here.


async def claim_event(session: AsyncSession, *, player_id: uuid.UUID | None, event_id: int) -> bool:
    """Advance the player's (or the anonymous stream's) watermark past ``event_id``, in one
    statement; False if it was there already: the event was processed, in a committed transaction."""
    if player_id is None:
        cursor = await execute_plain(session, _CLAIM_ANONYMOUS, [event_id])
    else:
        cursor = await execute_plain(session, _CLAIM_PLAYER, [player_id, event_id])
    return await cursor.fetchone() is not None


async def set_anomaly_score(session: AsyncSession, player_id: uuid.UUID, score: float) -> None:
    await execute_plain(session, _SET_SCORE, [score, player_id])


async def set_player_state(session: AsyncSession, player_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        update(RiskPlayerState).where(RiskPlayerState.player_id == player_id).values(**values)
    )


async def bump(session: AsyncSession, key: str, bucket: datetime, amount: int = 0) -> None:
    await session.execute(
        insert(RiskCounter)
        .values(key=key[:240], bucket=bucket, count=1, amount=amount)
        .on_conflict_do_update(
            index_elements=[RiskCounter.key, RiskCounter.bucket],
            set_={"count": RiskCounter.count + 1, "amount": RiskCounter.amount + amount},
        )
    )


async def prune_counters(session: AsyncSession, key: str, before: datetime) -> None:
    await session.execute(
        delete(RiskCounter).where(RiskCounter.key == key[:240], RiskCounter.bucket < before)
    )


async def link(session: AsyncSession, *, kind: str, value: str, player_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        insert(RiskLink)
        .values(kind=kind, value=value[:200], player_id=player_id, first_seen_at=at, last_seen_at=at)
        .on_conflict_do_update(
            index_elements=[RiskLink.kind, RiskLink.value, RiskLink.player_id],
            set_={"last_seen_at": func.greatest(RiskLink.last_seen_at, at)},
        )
    )


async def money(session: AsyncSession, player_id: uuid.UUID, currency: str) -> RiskPlayerMoney:
    """The player's money state in ``currency``, locked (created at zero when new)."""
    await session.execute(
        insert(RiskPlayerMoney)
        .values(
            player_id=player_id,
            currency=currency,
            deposited=0,
            withdrawn=0,
            last_deposit_amount=0,
            wagered_since_deposit=0,
            day_deposit_count=0,
            day_deposit_total=0,
            day_deposit_min=0,
            day_deposit_max=0,
            day_event_ids=[],
            stake_count=0,
            stake_sum=0,
            stake_max=0,
        )
        .on_conflict_do_nothing()
    )
    # Inserted just above if it was missing, so exactly one row.
    return (
        await session.scalars(
            select(RiskPlayerMoney)
            .where(RiskPlayerMoney.player_id == player_id, RiskPlayerMoney.currency == currency)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()


async def add_stake(session: AsyncSession, *, player_id: uuid.UUID, currency: str, amount: int) -> None:
    """A bet in the player's stake history and wagering since the last deposit, in one statement."""
    await execute_plain(session, _ADD_STAKE, {"p": player_id, "cur": currency, "amount": amount})


async def linked_players(
    session: AsyncSession, *, kind: str, value: str, since: datetime
) -> Sequence[uuid.UUID]:
    """The accounts seen with this device, card or address since ``since``."""
    return list(
        await session.scalars(
            select(RiskLink.player_id)
            .where(RiskLink.kind == kind, RiskLink.value == value[:200], RiskLink.last_seen_at > since)
            .order_by(RiskLink.player_id)
        )
    )


async def player_links(session: AsyncSession, player_id: uuid.UUID, kind: str) -> Sequence[str]:
    return list(
        await session.scalars(
            select(RiskLink.value).where(RiskLink.player_id == player_id, RiskLink.kind == kind)
        )
    )


# ---------------------------------------------------------------- the anomaly model


async def load_model(session: AsyncSession, name: str) -> tuple[bytes, int] | None:
    query = select(RiskModel.state, RiskModel.events_seen).where(RiskModel.name == name)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def save_model(session: AsyncSession, name: str, state: bytes, events_seen: int) -> None:
    await session.execute(
        insert(RiskModel)
        .values(name=name, state=state, events_seen=events_seen)
        .on_conflict_do_update(
            index_elements=[RiskModel.name],
            set_={"state": state, "events_seen": events_seen, "updated_at": func.now()},
        )
    )


# ---------------------------------------------------------------- the backtest

_SHADOWED = (
    "risk_counters",
    "risk_links",
    "risk_player_state",
    "risk_player_money",
    "risk_watermarks",
    "risk_alerts",
    "risk_decisions",
)


async def shadow_state(session: AsyncSession) -> None:
    """Empty temporary tables named like the feature state, for this transaction only.

    PostgreSQL looks in the session's temporary schema first, so every statement of the
    engine then reads and writes them: a replay starts fresh, leaves the live state (and
    the live consumer) untouched, and its writes vanish with the transaction.
    """
    for table in _SHADOWED:
        await session.execute(
            text(f"CREATE TEMPORARY TABLE {table} (LIKE public.{table} INCLUDING ALL) ON COMMIT DROP")  # nosec B608 - fixed names
        )


async def events_since(
    session: AsyncSession, *, since: datetime, after_id: int, limit: int
) -> list[DomainEvent]:
    return list(
        await session.scalars(
            select(DomainEvent)
            .where(DomainEvent.occurred_at >= since, DomainEvent.id > after_id)
            .order_by(DomainEvent.id)
            .limit(limit)
        )
    )
