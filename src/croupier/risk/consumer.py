"""The risk engine's side of the event stream: ``handle_event`` updates the features from
one domain event and evaluates the active rule set's ``event:<kind>`` rules, raising alerts
with the events behind them.

Idempotent: the player's watermark (``risk_player_state.last_event_id``; events without a
player share one stream) moves past the event in the same transaction as its effects, so
a redelivered event changes nothing. Events arrive in order per player.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.kit.client import ClientInfo
from croupier.kit.settings import Settings, get_settings
from croupier.risk import engine, repository
from croupier.risk.alerts import raise_alert
from croupier.risk.anomaly import MODEL_NAME, Scorer, observation
from croupier.risk.models import Decision
from croupier.risk.rules import CompiledSet
from croupier.risk.typologies import Typology

COUNTER_HORIZON = timedelta(hours=25)
CREDENTIAL_CHANGES = {
    EventKind.PASSWORD_CHANGED,
    EventKind.PASSWORD_RESET,
    EventKind.EMAIL_CHANGED,
    EventKind.MFA_CHANGED,
}
SCORED = {EventKind.DEPOSIT_CONFIRMED, EventKind.WITHDRAWAL_REQUESTED, EventKind.BET}
_MAX_DAY_EVENTS = 20
# The inline decision each kind of event followed (for the backtest).
DECIDED_BY = {
    EventKind.REGISTERED: "registration",
    EventKind.SIGN_IN_SUCCEEDED: "sign_in",
    EventKind.DEPOSIT_INITIATED: "deposit",
    EventKind.WITHDRAWAL_REQUESTED: "withdrawal",
    EventKind.BET: "bet",
}

# The anomaly model of each database this process serves (weakly held).
_scorers: weakref.WeakKeyDictionary[Any, Scorer] = weakref.WeakKeyDictionary()


@dataclass
class Tally:
    """What a replay would have decided (the backtest), by rule, typology and action."""

    events: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    by_typology: dict[str, int] = field(default_factory=dict)
    by_action: dict[str, int] = field(default_factory=dict)
    shadow_by_rule: dict[str, int] = field(default_factory=dict)


async def handle_event(session: AsyncSession, event: DomainEvent) -> None:
    """The consumer's handler: features, rules and alerts for one event, in ``session``'s transaction."""
    settings = get_settings()
    rule_set = await engine.active_rules(session, settings)
    await process(session, event, settings=settings, rule_set=rule_set, scorer=await _scorer(session))


async def _scorer(session: AsyncSession) -> Scorer:
    key = session.get_bind()
    scorer = _scorers.get(key)
    if scorer is None:
        saved = await repository.load_model(session, MODEL_NAME)
        scorer = Scorer.restore(*saved) if saved else Scorer()
        _scorers[key] = scorer
    return scorer


def _amount(data: dict[str, Any]) -> int | None:
    value = data.get("amount", data.get("stake"))
    return abs(int(value)) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _instrument(data: dict[str, Any]) -> str | None:
    for name in ("card_fingerprint", "fingerprint", "method_id"):
        value = data.get(name)
        if value:
            return str(value)[:200]
    return None


async def process(
    session: AsyncSession,
    event: DomainEvent,
    *,
    settings: Settings,
    rule_set: CompiledSet | None,
    scorer: Scorer,
    tally: Tally | None = None,
) -> None:
    """Apply ``event``; with ``tally`` (a backtest) count what the rules say instead of alerting."""
    player_id = event.player_id
    if not await repository.claim_event(session, player_id=player_id, event_id=event.id):
        return
    if tally is not None:
        tally.events += 1
    kind = EventKind(event.kind)
    data = dict(event.data or {})
    at: datetime = event.occurred_at
    amount, currency, card = _amount(data), data.get("currency"), _instrument(data)
    currency = str(currency)[:3] if currency else None
    client = ClientInfo(ip=event.ip, user_agent=event.user_agent, device_id=event.device_id)
    if tally is not None and kind in DECIDED_BY:
        # The backtest: what decide() would have said before the change, from the state then.
        action = DECIDED_BY[kind]
        before = await engine.read_features(
            session,
            settings,
            action=action,
            player_id=player_id,
            amount=amount,
            currency=currency,
            client=client,
            instrument=card,
            now=event.occurred_at,
        )
        _count(tally, engine.evaluate(rule_set, f"decide:{action}", before))
    minute = at.replace(second=0, microsecond=0)
    day = repository.gaming_day(at, settings.risk_gaming_day_start_hour)

    async def count(key: str, value: int = 0) -> None:
        await repository.bump(session, key, minute, value)
        await repository.prune_counters(session, key, at - COUNTER_HORIZON)

    # Counters for events with or without a player.
    if kind is EventKind.SIGN_IN_FAILED:
        if event.ip:
            await count(f"signin_fail:ip:{event.ip}")
        if player_id:
            await count(f"signin_fail:player:{player_id}")
    if player_id is None:
        return

    # What the event changes before the rules look (stake history waits: a bet is compared
    # with the bets before it).
    if kind is EventKind.REGISTERED:
        await repository.set_player_state(session, player_id, registered_at=at)
    elif kind is EventKind.SIGN_IN_SUCCEEDED:
        fresh = await _is_new_place(session, player_id, client)
        if fresh:
            await repository.set_player_state(
                session, player_id, new_device_sign_in_at=at, new_device_event_id=event.id
            )
    elif kind in CREDENTIAL_CHANGES:
        await repository.set_player_state(
            session, player_id, credential_change_at=at, credential_change_event_id=event.id
        )
    elif kind is EventKind.DEPOSIT_INITIATED:
        await count(f"deposit:player:{player_id}", amount or 0)
        if event.ip:
            await count(f"deposit:ip:{event.ip}", amount or 0)
    elif kind is EventKind.DEPOSIT_FAILED:
        await count(f"deposit_fail:player:{player_id}", amount or 0)
        if card:
            await count(f"deposit_fail:card:{card}", amount or 0)
            await repository.link(session, kind="declined", value=card, player_id=player_id, at=at)
    elif kind is EventKind.DEPOSIT_CONFIRMED and currency and amount is not None:
        money = await repository.money(session, player_id, currency)
        money.deposited += amount
        money.last_deposit_amount, money.last_deposit_at = amount, at
        money.last_deposit_event_id, money.wagered_since_deposit = event.id, 0
        if money.gaming_day != day:
            money.gaming_day, money.day_deposit_count, money.day_deposit_total = day, 0, 0
            money.day_deposit_min, money.day_deposit_max, money.day_event_ids = amount, amount, []
        money.day_deposit_count += 1
        money.day_deposit_total += amount
        money.day_deposit_min = min(money.day_deposit_min, amount)
        money.day_deposit_max = max(money.day_deposit_max, amount)
        money.day_event_ids = [*money.day_event_ids, event.id][-_MAX_DAY_EVENTS:]
        await session.flush()
    elif kind is EventKind.WITHDRAWAL_REQUESTED and currency and amount is not None:
        money = await repository.money(session, player_id, currency)
        money.withdrawn += amount
        await session.flush()

    values = await engine.read_features(
        session,
        settings,
        action=str(kind),
        player_id=player_id,
        amount=amount,
        currency=currency,
        client=client,
        instrument=card,
        now=at,
    )
    if kind in SCORED and amount is not None:
        score = scorer.score_and_learn(observation(str(kind), values))
        values["anomaly_score"] = score
        await repository.set_player_state(session, player_id, anomaly_score=score)
        if scorer.due and tally is None:
            await repository.save_model(session, MODEL_NAME, scorer.dump(), scorer.seen)

    outcome = engine.evaluate(rule_set, f"event:{kind}", values)
    if tally is not None:
        _count(tally, outcome)
    elif rule_set is not None and (outcome.hits or outcome.shadow):
        await repository.add_decision(
            session,
            {
                "player_id": player_id,
                "action": f"event:{kind}",
                "event_id": event.id,
                "decision": str(outcome.decision),
                "reasons": outcome.reasons,
                "shadow": outcome.shadow_reasons,
                "rule_set_id": rule_set.id,
                "fallback": None,
            },
        )
        for rule in outcome.hits:
            once = {"event": f"e{event.id}", "day": f"d{day.isoformat()}", "player": "p"}[rule.once_per]
            await raise_alert(
                session,
                player_id=player_id,
                typology=Typology(rule.spec.typology),
                source=rule.source,
                score=rule.spec.score,
                reasons=[f"{rule.spec.name}: {rule.spec.description}"[:200], f"event:{kind}"],
                event_ids=_evidence(Typology(rule.spec.typology), values, event.id),
                dedupe_key=f"{rule.source}:{player_id}:{once}",
            )

    # After the rules: what this event adds to the links and the stake history.
    for link_kind, value in (("device", event.device_id), ("ip", event.ip), ("card", card)):
        if value:
            await repository.link(session, kind=link_kind, value=value, player_id=player_id, at=at)
    if kind is EventKind.BET and currency and amount is not None:
        money = await repository.money(session, player_id, currency)
        money.wagered_since_deposit += amount
        money.stake_count += 1
        money.stake_sum += amount
        money.stake_max = max(money.stake_max, amount)
        await session.flush()


async def _is_new_place(session: AsyncSession, player_id: Any, client: ClientInfo) -> bool:
    """A sign-in from a device and an address never seen for a player who has been seen before."""
    devices = await repository.player_links(session, player_id, "device")
    ips = await repository.player_links(session, player_id, "ip")
    if not devices and not ips:
        return False  # the first sight of the player sets the baseline
    new_device = client.device_id is None or client.device_id not in devices
    new_ip = client.ip is None or client.ip not in ips
    return new_device and new_ip and bool(client.device_id or client.ip)


def _evidence(typology: Typology, values: dict[str, Any], event_id: int) -> list[int]:
    """The events behind an alert: the triggering one and those the typology rests on."""
    kept: dict[str, list[int]] = values.get(engine.EVIDENCE) or {}
    behind = {
        Typology.STRUCTURING: kept.get("day", []),
        Typology.MINIMAL_PLAY: kept.get("deposit", []),
        Typology.RAPID_ESCALATION: kept.get("deposit", []),
        Typology.ACCOUNT_TAKEOVER: kept.get("takeover", []),
    }.get(typology, [])
    return sorted({*(int(i) for i in behind), event_id})


def _count(tally: Tally, outcome: engine.Outcome) -> None:
    for rule in outcome.hits:
        tally.by_rule[rule.source] = tally.by_rule.get(rule.source, 0) + 1
        tally.by_typology[rule.spec.typology] = tally.by_typology.get(rule.spec.typology, 0) + 1
    if outcome.hits:
        tally.by_action[str(outcome.decision)] = tally.by_action.get(str(outcome.decision), 0) + 1
    else:
        tally.by_action[str(Decision.ALLOW)] = tally.by_action.get(str(Decision.ALLOW), 0) + 1
    for rule in outcome.shadow:
        tally.shadow_by_rule[rule.source] = tally.shadow_by_rule.get(rule.source, 0) + 1
