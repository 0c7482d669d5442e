"""Changing rule sets: every change makes (or edits) a draft version, publishing a draft
makes it the one active set; each change is checked on save and audited."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target, record
from croupier.audit.tags import AuditAction
from croupier.kit.errors import Conflict, NotFound
from croupier.risk import engine, repository
from croupier.risk.models import RiskRuleSet, RuleSetStatus
from croupier.risk.rule_schemas import RuleSetView, RuleView
from croupier.risk.rules import RuleSpec, compile_rule


async def view(session: AsyncSession, row: RiskRuleSet) -> RuleSetView:
    rules = [
        RuleView.model_validate(asdict(engine.spec_of(r))) for r in await repository.rules_of(session, row.id)
    ]
    return RuleSetView(
        name=row.name,
        version=row.version,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        published_at=row.published_at,
        rules=rules,
    )


async def list_sets(session: AsyncSession) -> list[RuleSetView]:
    return [await view(session, row) for row in await repository.rule_sets(session)]


async def show(session: AsyncSession, *, name: str, version: int | None = None) -> RuleSetView:
    row = await repository.rule_set(session, name, version)
    if row is None:
        raise NotFound("No such rule set.")
    return await view(session, row)


async def _draft(session: AsyncSession, name: str, actor: Actor) -> RiskRuleSet:
    """The set's draft: the latest version when it is one, else a new version copying the latest."""
    latest = await repository.rule_set(session, name, None, lock=True)
    if latest is not None and latest.status == RuleSetStatus.DRAFT:
        return latest
    draft = await repository.add_set(
        session, name=name, version=(latest.version + 1) if latest else 1, created_by=actor.id or "unknown"
    )
    if latest is not None:
        for rule in await repository.rules_of(session, latest.id):
            await repository.add_rule(session, draft.id, _columns(engine.spec_of(rule)))
    return draft


def _columns(spec: RuleSpec) -> dict[str, object]:
    return {
        "name": spec.name,
        "typology": spec.typology,
        "triggers": list(spec.triggers),
        "expression": spec.expression,
        "params": dict(spec.params),
        "action": spec.action,
        "score": spec.score,
        "mode": spec.mode,
        "description": spec.description,
    }


async def put_rule(session: AsyncSession, *, set_name: str, spec: RuleSpec, actor: Actor) -> RuleSetView:
    """Add ``spec`` to the set's draft, or replace the rule of its name; ``InvalidRule`` if it is invalid."""
    compile_rule(spec)
    draft = await _draft(session, set_name, actor)
    replaced = await repository.delete_rule(session, draft.id, spec.name)
    await repository.add_rule(session, draft.id, _columns(spec))
    record(
        session,
        AuditAction.RISK_RULE_ADD,
        actor=actor,
        target=Target("risk_rule_set", f"{set_name}@{draft.version}"),
        details={**_columns(spec), "replaced": replaced},
    )
    return await view(session, draft)


async def remove_rule(session: AsyncSession, *, set_name: str, rule_name: str, actor: Actor) -> RuleSetView:
    latest = await repository.rule_set(session, set_name, None)
    if latest is None:
        raise NotFound("No such rule set.")
    draft = await _draft(session, set_name, actor)
    if not await repository.delete_rule(session, draft.id, rule_name):
        raise NotFound("No such rule in the set.")
    record(
        session,
        AuditAction.RISK_RULE_REMOVE,
        actor=actor,
        target=Target("risk_rule_set", f"{set_name}@{draft.version}"),
        details={"rule": rule_name},
    )
    return await view(session, draft)


class DraftChanged(Conflict):
    code = "rule_set_draft_changed"
    title = "The draft changed after publication was asked for; ask again"


@dataclass(frozen=True)
class DraftState:
    """Which draft a request to publish names: its version and a digest of its rules."""

    version: int
    digest: str


async def _locked_draft(session: AsyncSession, set_name: str) -> RiskRuleSet:
    latest = await repository.rule_set(session, set_name, None, lock=True)
    if latest is None:
        raise NotFound("No such rule set.")
    if latest.status != RuleSetStatus.DRAFT:
        raise Conflict(
            f"Rule set {set_name} has no draft to publish; version {latest.version} is {latest.status}."
        )
    return latest


async def _state(session: AsyncSession, draft: RiskRuleSet) -> DraftState:
    rules = sorted(
        (_columns(engine.spec_of(r)) for r in await repository.rules_of(session, draft.id)),
        key=lambda columns: str(columns["name"]),
    )
    text = json.dumps(rules, sort_keys=True, separators=(",", ":"), default=str)
    return DraftState(version=draft.version, digest=hashlib.sha256(text.encode()).hexdigest())


async def draft_state(session: AsyncSession, *, set_name: str) -> DraftState:
    """The set's draft as it is now; ``NotFound`` or ``Conflict`` when there is none to publish."""
    return await _state(session, await _locked_draft(session, set_name))


async def publish(
    session: AsyncSession, *, set_name: str, actor: Actor, expect: DraftState | None = None
) -> RuleSetView:
    """Make the set's draft the active rule set (the one active before is retired).

    ``expect``: publish only that draft (``DraftChanged`` if a rule was changed since), so an
    approval publishes exactly the rules the request showed.
    """
    latest = await _locked_draft(session, set_name)
    if expect is not None and await _state(session, latest) != expect:
        raise DraftChanged(f"Rule set {set_name}'s draft changed after publication was asked for.")
    await repository.retire_active(session)
    await repository.activate(session, latest.id)
    await session.refresh(latest)
    engine.forget_cached_rules(session)
    record(
        session,
        AuditAction.RISK_RULE_SET_PUBLISH,
        actor=actor,
        target=Target("risk_rule_set", f"{set_name}@{latest.version}"),
        details={"name": set_name, "version": latest.version},
    )
    return await view(session, latest)
