"""The engine's core, shared by decide() (inline) and the consumer (after commit): the
active rule set (cached per process, re-checked every ``risk_rules_refresh_seconds``), the
features assembled from the stored state, and the evaluation of rules against them."""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit.client import ClientInfo
from croupier.kit.settings import Settings
from croupier.risk import features, repository
from croupier.risk.gaming_day import gaming_day_of
from croupier.risk.models import Decision, RiskRuleSet, RuleAction, RuleMode
from croupier.risk.rules import CompiledRule, CompiledSet, RuleSpec

# Per database engine (weakly held: a closed runtime's cache goes with it).
_cache: weakref.WeakKeyDictionary[Any, tuple[float, CompiledSet | None]] = weakref.WeakKeyDictionary()


def spec_of(row: Any) -> RuleSpec:
    return RuleSpec(
        name=row.name,
        typology=row.typology,
        triggers=list(row.triggers),
        expression=row.expression,
        params=dict(row.params),
        action=row.action,
        score=float(row.score),
        mode=row.mode,
        description=row.description,
    )


async def compiled(session: AsyncSession, rule_set: RiskRuleSet) -> CompiledSet:
    rows = await repository.rules_of(session, rule_set.id)
    return CompiledSet.of(rule_set.id, rule_set.name, rule_set.version, [spec_of(r) for r in rows])


async def active_rules(session: AsyncSession, settings: Settings) -> CompiledSet | None:
    """The active rule set, compiled; from the process's cache while it is fresh."""
    key = session.get_bind()
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < settings.risk_rules_refresh_seconds:
        return cached[1]
    active_id = await repository.active_set_id(session)
    if cached is not None and (cached[1].id if cached[1] else None) == active_id:
        _cache[key] = (now, cached[1])
        return cached[1]
    row = await repository.active_set(session)
    result = await compiled(session, row) if row is not None else None
    _cache[key] = (now, result)
    return result


def forget_cached_rules(session: AsyncSession) -> None:
    """After a publish in this process: the next decision reads the new set at once."""
    _cache.pop(session.get_bind(), None)


EVIDENCE = "_evidence"


def _hours(now: datetime, then: datetime | None) -> float:
    return features.NEVER if then is None else max((now - then).total_seconds() / 3600.0, 0.0)


def assemble(
    state: Mapping[str, Any],
    *,
    action: str,
    amount: int | None,
    currency: str | None,
    client: ClientInfo | None,
    now: datetime,
    day: Any,
) -> dict[str, Any]:
    """The feature values from the stored state (``repository.feature_state``)."""
    values = features.neutral()
    values["action"] = action
    values["amount"] = float(amount or 0)
    values["currency"] = currency or ""
    values["account_age_hours"] = _hours(now, state.get("registered_at"))
    device = client.device_id if client else None
    ip = client.ip if client else None
    values["new_device"] = bool(device) and not state.get("known_device", True)
    values["new_ip"] = bool(ip) and not state.get("known_ip", True)
    for name in (
        "player_sign_in_failures_1h",
        "ip_sign_in_failures_1h",
        "deposits_1h",
        "deposits_24h",
        "failed_deposits_1h",
        "card_failed_deposits_1h",
        "ip_deposits_1h",
        "declined_cards_1h",
    ):
        values[name] = float(state.get(name) or 0)
    values["accounts_on_device"] = float(state.get("others_on_device") or 0) + 1.0 if device else 0.0
    values["accounts_on_ip"] = float(state.get("others_on_ip") or 0) + 1.0 if ip else 0.0
    card = state.get("card_given")
    values["accounts_on_card"] = float(state.get("others_on_card") or 0) + 1.0 if card else 0.0
    deposited, withdrawn = int(state.get("deposited") or 0), int(state.get("withdrawn") or 0)
    values["deposited"], values["withdrawn"] = float(deposited), float(withdrawn)
    values["net_deposits"] = float(deposited - withdrawn)
    last = int(state.get("last_deposit_amount") or 0)
    wagered = int(state.get("wagered_since_deposit") or 0)
    values["last_deposit_amount"] = float(last)
    values["hours_since_deposit"] = _hours(now, state.get("last_deposit_at"))
    values["wagered_since_deposit"] = float(wagered)
    values["wagered_share"] = wagered / last if last > 0 else 1.0
    if state.get("gaming_day") == day:
        values["day_deposit_count"] = float(state.get("day_deposit_count") or 0)
        values["day_deposit_total"] = float(state.get("day_deposit_total") or 0)
        values["day_deposit_min"] = float(state.get("day_deposit_min") or 0)
        values["day_deposit_max"] = float(state.get("day_deposit_max") or 0)
    count = int(state.get("stake_count") or 0)
    values["stake_count"] = float(count)
    values["stake_mean"] = int(state.get("stake_sum") or 0) / count if count else 0.0
    values["stake_max"] = float(state.get("stake_max") or 0)
    signed_in, changed = state.get("new_device_sign_in_at"), state.get("credential_change_at")
    values["hours_since_new_device_sign_in"] = _hours(now, signed_in)
    values["hours_since_credential_change"] = _hours(now, changed)
    values["credential_change_after_new_device"] = bool(signed_in and changed and changed >= signed_in)
    values["anomaly_score"] = float(state.get("anomaly_score") or 0.0)
    # Not a feature: the events behind the state, for an alert's evidence.
    values[EVIDENCE] = {
        "day": list(state.get("day_event_ids") or []) if state.get("gaming_day") == day else [],
        "deposit": [state["last_deposit_event_id"]] if state.get("last_deposit_event_id") else [],
        "takeover": [
            i for i in (state.get("new_device_event_id"), state.get("credential_change_event_id")) if i
        ],
    }
    return values


async def read_features(
    session: AsyncSession,
    settings: Settings,
    *,
    action: str,
    player_id: Any,
    amount: int | None,
    currency: str | None,
    client: ClientInfo | None,
    instrument: str | None,
    now: datetime,
    timeout_ms: int | None = None,
) -> dict[str, Any]:
    """The features; with ``timeout_ms`` (inline decisions) under that statement timeout."""
    where: dict[str, Any] = {
        "player_id": player_id,
        "currency": currency or "",
        "device": client.device_id if client else None,
        "ip": client.ip if client else None,
        "card": instrument,
        "now": now,
        "link_window": timedelta(days=settings.risk_link_window_days),
    }
    if timeout_ms is None:
        state = dict(await repository.feature_state(session, **where))
    else:
        state = dict(await repository.feature_state_within(session, timeout_ms=timeout_ms, **where))
    state["card_given"] = bool(instrument)
    day = gaming_day_of(now, settings)
    return assemble(state, action=action, amount=amount, currency=currency, client=client, now=now, day=day)


@dataclass
class Outcome:
    """What a rule set says about one evaluation."""

    decision: Decision = Decision.ALLOW
    hits: list[CompiledRule] = field(default_factory=list)
    shadow: list[CompiledRule] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [f"{r.source}:{r.spec.typology}" for r in self.hits]

    @property
    def shadow_reasons(self) -> list[str]:
        return [f"{r.source}:{r.spec.typology}" for r in self.shadow]


def evaluate(rule_set: CompiledSet | None, trigger: str, values: Mapping[str, Any]) -> Outcome:
    outcome = Outcome()
    if rule_set is None:
        return outcome
    for rule in rule_set.rules_for(trigger):
        if not rule.matches(values):
            continue
        if rule.spec.mode == RuleMode.SHADOW:
            outcome.shadow.append(rule)
            continue
        outcome.hits.append(rule)
        if rule.spec.action == RuleAction.DENY:
            outcome.decision = Decision.DENY
        elif outcome.decision is Decision.ALLOW:
            outcome.decision = Decision.REVIEW
    return outcome
