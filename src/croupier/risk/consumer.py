"""The risk engine's side of the event stream: ``handle_event`` updates the features from
one domain event and evaluates the active rule set's ``event:<kind>`` rules, raising alerts
with the events behind them.

Idempotent: the player's watermark (``risk_player_state.last_event_id``; events without a
player share one stream) moves past the event in the same transaction as its effects, so
a redelivered event changes nothing. Events arrive in order per player.
"""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events.kinds import EventKind
from croupier.events.models import DomainEvent
from croupier.kit.client import ClientInfo
from croupier.kit.keyring import keyring_of
from croupier.kit.settings import Settings, get_settings
from croupier.risk import engine, repository
from croupier.risk.alerts import raise_alert
from croupier.risk.anomaly import MODEL_NAME, Scorer, observation
from croupier.risk.gaming_day import gaming_day_of
from croupier.risk.models import Decision
from croupier.risk.rules import CompiledRule, CompiledSet
from croupier.risk.service import FOLLOWED_BY
from croupier.risk.typologies import Typology

COUNTER_HORIZON = timedelta(hours=25)
CREDENTIAL_CHANGES = {
    EventKind.PASSWORD_CHANGED,
    EventKind.PASSWORD_RESET,
    EventKind.EMAIL_CHANGED,
    EventKind.MFA_CHANGED,
}
SCORED = {EventKind.DEPOSIT_CONFIRMED, EventKind.WITHDRAWAL_REQUESTED, EventKind.BET}
GAME_PLAY = {EventKind.BET, EventKind.WIN, EventKind.ROLLBACK}
_MAX_DAY_EVENTS = 20
# The inline decision each kind of event followed (for the backtest).
DECIDED_BY = {kind: action for action, kind in FOLLOWED_BY.items()}

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
        scorer = Scorer.restore(*saved, keyring=keyring_of(session)) if saved else Scorer()
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


@dataclass(frozen=True)
class _Seen:
    """One event as the engine reads it."""

    event: DomainEvent
    kind: EventKind
    player_id: Any
    at: datetime
    amount: int | None
    currency: str | None
    card: str | None
    client: ClientInfo

    @classmethod
    def of(cls, event: DomainEvent) -> _Seen:
        data = dict(event.data or {})
        currency = data.get("currency")
        return cls(
            event=event,
            kind=EventKind(event.kind),
            player_id=event.player_id,
            at=event.occurred_at,
            amount=_amount(data),
            currency=str(currency)[:3] if currency else None,
            card=_instrument(data),
            client=ClientInfo(ip=event.ip, user_agent=event.user_agent, device_id=event.device_id),
        )

    async def features(self, session: AsyncSession, settings: Settings, action: str) -> dict[str, Any]:
        return await engine.read_features(
            session,
            settings,
            action=action,
            player_id=self.player_id,
            amount=self.amount,
            currency=self.currency,
            client=self.client,
            instrument=self.card,
            now=self.at,
        )

    async def count(self, session: AsyncSession, key: str) -> None:
        await repository.bump(session, key, self.at.replace(second=0, microsecond=0), self.amount or 0)
        await repository.prune_counters(session, key, self.at - COUNTER_HORIZON)


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
    if not await repository.claim_event(session, player_id=event.player_id, event_id=event.id):
        return
    seen = _Seen.of(event)
    if tally is not None:
        await _as_decided(session, seen, settings=settings, rule_set=rule_set, tally=tally)
    if seen.kind is EventKind.SIGN_IN_FAILED:
        if seen.client.ip:
            await seen.count(session, f"signin_fail:ip:{seen.client.ip}")
        if seen.player_id:
            await seen.count(session, f"signin_fail:player:{seen.player_id}")
    if seen.player_id is None:
        return
    day = gaming_day_of(seen.at, settings)
    await _before_rules(session, seen, day)
    trigger = f"event:{seen.kind}"
    if seen.kind not in SCORED and (rule_set is None or not rule_set.rules_for(trigger)):
        # Nothing looks at this kind (a win, a refund …): no features to read.
        if tally is not None:
            _count(tally, engine.Outcome())
        await _after_rules(session, seen)
        return
    values = await seen.features(session, settings, str(seen.kind))
    if seen.kind in SCORED and seen.amount is not None:
        score = scorer.score_and_learn(observation(str(seen.kind), values))
        values["anomaly_score"] = score
        await repository.set_anomaly_score(session, seen.player_id, score)
        if scorer.due and tally is None:
            state = scorer.dump(keyring=keyring_of(session))
            await repository.save_model(session, MODEL_NAME, state, scorer.seen)
    outcome = engine.evaluate(rule_set, trigger, values)
    if tally is not None:
        _count(tally, outcome)
    elif rule_set is not None and (outcome.hits or outcome.shadow):
        await _report(
            session, seen, rule_set=rule_set, outcome=outcome, values=values, day=day, settings=settings
        )
    await _after_rules(session, seen)


async def _as_decided(
    session: AsyncSession, seen: _Seen, *, settings: Settings, rule_set: CompiledSet | None, tally: Tally
) -> None:
    """The backtest: what decide() would have said before the change, from the state then."""
    tally.events += 1
    if seen.kind in DECIDED_BY:
        action = DECIDED_BY[seen.kind]
        before = await seen.features(session, settings, action)
        _count(tally, engine.evaluate(rule_set, f"decide:{action}", before))


async def _before_rules(session: AsyncSession, seen: _Seen, day: date) -> None:
    """What the event changes before the rules look at it."""
    kind, player_id, at, event_id = seen.kind, seen.player_id, seen.at, seen.event.id
    if kind is EventKind.REGISTERED:
        await repository.set_player_state(session, player_id, registered_at=at)
    elif kind is EventKind.SIGN_IN_SUCCEEDED:
        if await _is_new_place(session, player_id, seen.client):
            await repository.set_player_state(
                session, player_id, new_device_sign_in_at=at, new_device_event_id=event_id
            )
    elif kind in CREDENTIAL_CHANGES:
        await repository.set_player_state(
            session, player_id, credential_change_at=at, credential_change_event_id=event_id
        )
    elif kind is EventKind.DEPOSIT_INITIATED:
        await seen.count(session, f"deposit:player:{player_id}")
        if seen.client.ip:
            await seen.count(session, f"deposit:ip:{seen.client.ip}")
    elif kind is EventKind.DEPOSIT_FAILED:
        await seen.count(session, f"deposit_fail:player:{player_id}")
        if seen.card:
            await seen.count(session, f"deposit_fail:card:{seen.card}")
            await repository.link(session, kind="declined", value=seen.card, player_id=player_id, at=at)
    elif kind is EventKind.DEPOSIT_CONFIRMED and seen.currency and seen.amount is not None:
        await _deposited(session, seen, day)
    elif kind is EventKind.WITHDRAWAL_REQUESTED and seen.currency and seen.amount is not None:
        money = await repository.money(session, player_id, seen.currency)
        money.withdrawn += seen.amount
        await session.flush()


async def _deposited(session: AsyncSession, seen: _Seen, day: date) -> None:
    amount, currency = seen.amount or 0, seen.currency or ""
    money = await repository.money(session, seen.player_id, currency)
    money.deposited += amount
    money.last_deposit_amount, money.last_deposit_at = amount, seen.at
    money.last_deposit_event_id, money.wagered_since_deposit = seen.event.id, 0
    if money.gaming_day != day:
        money.gaming_day, money.day_deposit_count, money.day_deposit_total = day, 0, 0
        money.day_deposit_min, money.day_deposit_max, money.day_event_ids = amount, amount, []
    money.day_deposit_count += 1
    money.day_deposit_total += amount
    money.day_deposit_min = min(money.day_deposit_min, amount)
    money.day_deposit_max = max(money.day_deposit_max, amount)
    money.day_event_ids = [*money.day_event_ids, seen.event.id][-_MAX_DAY_EVENTS:]
    await session.flush()


async def _report(
    session: AsyncSession,
    seen: _Seen,
    *,
    rule_set: CompiledSet,
    outcome: engine.Outcome,
    values: dict[str, Any],
    day: date,
    settings: Settings,
) -> None:
    """Record the evaluation, and raise an alert for each acting rule that matched."""
    await repository.add_decision(
        session,
        {
            "player_id": seen.player_id,
            "action": f"event:{seen.kind}",
            "event_id": seen.event.id,
            "decision": str(outcome.decision),
            "reasons": outcome.reasons,
            "shadow": outcome.shadow_reasons,
            "rule_set_id": rule_set.id,
            "fallback": None,
        },
    )
    for rule in outcome.hits:
        once = {"event": f"e{seen.event.id}", "day": f"d{day.isoformat()}", "player": "p"}[rule.once_per]
        typology = Typology(rule.spec.typology)
        rings = _rings(seen, rule) if typology is Typology.MULTI_ACCOUNTING else []
        if rings:
            # One alert per account and ring, however many of its events show the ring again.
            once = "ring:" + "+".join(ring for _, _, ring in rings)
        await raise_alert(
            session,
            player_id=seen.player_id,
            typology=typology,
            source=rule.source,
            score=rule.spec.score,
            reasons=[f"{rule.spec.name}: {rule.spec.description}"[:200], f"event:{seen.kind}"],
            event_ids=_evidence(typology, values, seen.event.id),
            dedupe_key=f"{rule.source}:{seen.player_id}:{once}",
        )
        if rings:
            await _flag_ring(session, seen, rule=rule, rings=rings, settings=settings)


def _rings(seen: _Seen, rule: CompiledRule) -> list[tuple[str, str, str]]:
    """The shared links a multi-accounting rule looks at: (kind, value, a short digest of both)."""
    found = []
    for kind, value in (("device", seen.client.device_id), ("card", seen.card), ("ip", seen.client.ip)):
        if value and f"accounts_on_{kind}" in rule.spec.expression:
            found.append((kind, value, hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:16]))
    return found


async def _flag_ring(
    session: AsyncSession,
    seen: _Seen,
    *,
    rule: CompiledRule,
    rings: list[tuple[str, str, str]],
    settings: Settings,
) -> None:
    """A ring is every account on the shared device, card or address, not only the one that completed it.

    The rule fires on the account whose event crossed the threshold; the accounts
    before it share the same link and get an alert of their own (once per ring),
    pointing at the event that revealed the ring.
    """
    since = seen.at - timedelta(days=settings.risk_link_window_days)
    for kind, value, ring in rings:
        for member in await repository.linked_players(session, kind=kind, value=value, since=since):
            if member == seen.player_id:
                continue
            await raise_alert(
                session,
                player_id=member,
                typology=Typology.MULTI_ACCOUNTING,
                source=rule.source,
                score=rule.spec.score,
                reasons=[f"{rule.spec.name}: {rule.spec.description}"[:200], f"ring:{kind}"],
                event_ids=[seen.event.id],
                dedupe_key=f"{rule.source}:{member}:ring:{ring}",
            )


async def _after_rules(session: AsyncSession, seen: _Seen) -> None:
    """What the event adds to the links and the stake history, once the rules have looked."""
    if seen.kind in GAME_PLAY:
        # Played in a session whose sign-in already linked its device and address.
        if seen.kind is EventKind.BET and seen.currency and seen.amount is not None:
            await repository.add_stake(
                session, player_id=seen.player_id, currency=seen.currency, amount=seen.amount
            )
        return
    for link_kind, value in (("device", seen.client.device_id), ("ip", seen.client.ip), ("card", seen.card)):
        if value:
            await repository.link(session, kind=link_kind, value=value, player_id=seen.player_id, at=seen.at)


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
