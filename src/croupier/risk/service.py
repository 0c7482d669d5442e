"""Inline decisions: ``decide()`` runs before commit on sign-in, registration, deposit,
withdrawal and every bet, and answers allow, review (the action proceeds, an alert opens)
or deny (``RiskDenied``: 403, no internal detail).

It reads the features the consumer keeps (never waiting for it) and the active rule set
(cached). Its work runs in a savepoint under a time budget (``risk_timeout_ms``): past it,
or on any engine error, the per-action fallback answers (``risk_fail_closed_actions``:
refuse with ``RiskUnavailable``; otherwise proceed), and the fallback is audited and
recorded in a transaction of its own, so it is kept whatever the request does.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from psycopg.errors import QueryCanceled
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target, record, record_now
from croupier.audit.tags import AuditAction
from croupier.events.kinds import EventKind
from croupier.kit.client import ClientInfo
from croupier.kit.clock import utcnow
from croupier.kit.db import autonomous_unit_of_work
from croupier.kit.errors import CroupierError
from croupier.kit.settings import Settings, get_settings
from croupier.risk import engine, repository
from croupier.risk.alerts import raise_alert
from croupier.risk.models import Decision
from croupier.risk.pre_bet import pre_bet_check
from croupier.risk.rules import Action, CompiledSet
from croupier.risk.typologies import Typology

log = structlog.get_logger(__name__)


class OutOfTime(Exception):
    """The engine read its features after its budget had run out."""


class RiskDenied(CroupierError):
    code = "risk_denied"
    status = 403
    title = "This action is not allowed"


class RiskUnavailable(CroupierError):
    code = "risk_unavailable"
    status = 503
    title = "This action cannot be checked now; try again later"


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reasons: list[str] = field(default_factory=list)
    shadow: list[str] = field(default_factory=list)
    alert_ids: list[uuid.UUID] = field(default_factory=list)
    fallback: str | None = None


ALLOW = Verdict(Decision.ALLOW)

# The event each decided action records when it proceeds.
FOLLOWED_BY = {
    Action.REGISTRATION: EventKind.REGISTERED,
    Action.SIGN_IN: EventKind.SIGN_IN_SUCCEEDED,
    Action.DEPOSIT: EventKind.DEPOSIT_INITIATED,
    Action.WITHDRAWAL: EventKind.WITHDRAWAL_REQUESTED,
    Action.BET: EventKind.BET,
}


async def decide(
    session: AsyncSession,
    *,
    action: str,
    player_id: uuid.UUID | None,
    client: ClientInfo | None,
    amount: int | None = None,
    currency: str | None = None,
    instrument: str | None = None,
    settings: Settings | None = None,
    stake_limit: int | None = None,
    stake_minimum: int | None = None,
    player_status: str | None = None,
    gambling_blocked_until: datetime | None = None,
) -> Verdict:
    """Decide whether ``player_id`` may do ``action`` (one of ``rules.Action.ALL``) now.

    ``instrument`` is the payment instrument's fingerprint (deposits). For a bet,
    ``amount`` is the stake and the pre-bet check runs first, with its own refusals
    (``BetRefused``). Raises ``RiskDenied`` on deny and ``RiskUnavailable`` when a
    fail-closed action could not be decided in time; answers the verdict otherwise.
    """
    settings = settings or get_settings()
    if action == Action.BET:
        if player_id is None or currency is None or amount is None:
            raise ValueError("a bet's decision needs the player, the currency and the stake")
        await pre_bet_check(
            session,
            player_id=player_id,
            currency=currency,
            stake=amount,
            stake_limit=stake_limit,
            stake_minimum=stake_minimum,
            player_status=player_status,
            gambling_blocked_until=gambling_blocked_until,
        )
    # Only the engine's own work falls back: reading the rules and the features and
    # evaluating them. Recording what it decided is part of the request's transaction,
    # and a failure there fails the request like any other write (nothing half-kept).
    try:
        evaluated = await _evaluate(
            session,
            settings,
            action=action,
            player_id=player_id,
            client=client,
            amount=amount,
            currency=currency,
            instrument=instrument,
        )
    except OutOfTime:
        return await _fallback(
            session, settings, action=action, player_id=player_id, client=client, why="timeout"
        )
    except DBAPIError as exc:
        why = "timeout" if isinstance(exc.orig, QueryCanceled) else "error"
        log.warning("risk_engine_failed", action=action, error=type(exc.orig).__name__)
        return await _fallback(session, settings, action=action, player_id=player_id, client=client, why=why)
    except CroupierError:
        raise
    except Exception:  # an engine failure must never silently decide for money: the fallback does
        log.exception("risk_engine_failed", action=action)
        return await _fallback(
            session, settings, action=action, player_id=player_id, client=client, why="error"
        )
    if evaluated is None:
        return ALLOW
    rule_set, outcome = evaluated
    return await _act(
        session, action=action, player_id=player_id, client=client, rule_set=rule_set, outcome=outcome
    )


async def _evaluate(
    session: AsyncSession,
    settings: Settings,
    *,
    action: str,
    player_id: uuid.UUID | None,
    client: ClientInfo | None,
    amount: int | None,
    currency: str | None,
    instrument: str | None,
) -> tuple[CompiledSet, engine.Outcome] | None:
    """The active rules' outcome for this action; None when nothing matched (nothing to record)."""
    trigger = f"decide:{action}"
    rule_set = await engine.active_rules(session, settings)
    if rule_set is None or not rule_set.rules_for(trigger):
        # Nothing to evaluate (a bet, usually): nothing to read, nothing to record.
        return None
    now = utcnow()
    started = time.monotonic()
    # Under a statement timeout, in a savepoint always rolled back (``feature_state_within``):
    # PostgreSQL cancels a read past the budget and the request's transaction stays usable.
    # Nothing is cancelled from the client side, which would leave the connection unusable.
    values = await engine.read_features(
        session,
        settings,
        action=action,
        player_id=player_id,
        amount=amount,
        currency=currency,
        client=client,
        instrument=instrument,
        now=now,
        timeout_ms=math.ceil(settings.risk_timeout_ms),
    )
    if (time.monotonic() - started) * 1000.0 > settings.risk_timeout_ms:
        raise OutOfTime
    outcome = engine.evaluate(rule_set, trigger, values)
    if outcome.decision is Decision.ALLOW and not outcome.shadow:
        # Nothing matched: no reason to keep, and the action's own audit entry records it.
        return None
    return rule_set, outcome


async def _act(
    session: AsyncSession,
    *,
    action: str,
    player_id: uuid.UUID | None,
    client: ClientInfo | None,
    rule_set: CompiledSet,
    outcome: engine.Outcome,
) -> Verdict:
    """Record the decision; refuse on deny, open alerts on review."""
    decision_id = uuid.uuid4()
    row = {
        "player_id": player_id,
        "action": action,
        "decision": str(outcome.decision),
        "reasons": outcome.reasons,
        "shadow": outcome.shadow_reasons,
        "rule_set_id": rule_set.id,
        "fallback": None,
    }
    details = {"decision": str(outcome.decision), "action": action, "reasons": outcome.reasons}
    target = Target.player(player_id) if player_id else None
    actor = Actor.player(player_id) if player_id else Actor.anonymous()
    if outcome.decision is Decision.DENY:
        # Kept although the request rolls back: the refusal is part of the record.
        async with autonomous_unit_of_work(session) as own:
            await repository.add_decision(own, {**row, "id": decision_id})
            record(own, AuditAction.RISK_DECISION, actor=actor, target=target, client=client, details=details)
        raise RiskDenied("This action is not allowed.")
    await repository.add_decision(session, {**row, "id": decision_id})
    alert_ids: list[uuid.UUID] = []
    if outcome.decision is Decision.REVIEW:
        record(session, AuditAction.RISK_DECISION, actor=actor, target=target, client=client, details=details)
        if player_id is not None:
            for rule in outcome.hits:
                if f"event:{FOLLOWED_BY[action]}" in rule.spec.triggers:
                    # The consumer raises it from the action's event, with the events behind it.
                    continue
                alert = await raise_alert(
                    session,
                    player_id=player_id,
                    typology=Typology(rule.spec.typology),
                    source=rule.source,
                    score=rule.spec.score,
                    reasons=[f"{rule.spec.name}: {rule.spec.description}"[:200], f"decide:{action}"],
                    event_ids=[],
                    dedupe_key=f"{rule.source}:{player_id}:decision:{decision_id}",
                )
                if alert is not None:
                    alert_ids.append(alert)
    return Verdict(outcome.decision, outcome.reasons, outcome.shadow_reasons, alert_ids)


async def _fallback(
    session: AsyncSession,
    settings: Settings,
    *,
    action: str,
    player_id: uuid.UUID | None,
    client: ClientInfo | None,
    why: str,
) -> Verdict:
    closed = action in {a.strip() for a in settings.risk_fail_closed_actions.split(",") if a.strip()}
    decision = Decision.DENY if closed else Decision.ALLOW
    target = Target.player(player_id) if player_id else None
    actor = Actor.player(player_id) if player_id else Actor.anonymous()
    try:
        async with autonomous_unit_of_work(session) as own:
            await repository.add_decision(
                own,
                {
                    "id": uuid.uuid4(),
                    "player_id": player_id,
                    "action": action,
                    "decision": str(decision),
                    "reasons": [f"fallback:{why}"],
                    "shadow": [],
                    "rule_set_id": None,
                    "fallback": why,
                },
            )
        await record_now(
            session,
            AuditAction.RISK_FALLBACK,
            actor=actor,
            target=target,
            client=client,
            details={"action": action, "why": why, "decision": str(decision)},
        )
    except Exception:
        log.exception("risk_fallback_unrecorded", action=action, why=why)
    log.warning("risk_fallback", action=action, why=why, decision=str(decision))
    if closed:
        raise RiskUnavailable("This action cannot be checked now; try again later.")
    return Verdict(decision, [f"fallback:{why}"], fallback=why)
