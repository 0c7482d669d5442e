"""Changing rule sets: every change makes (or edits) a draft version, publishing a draft
makes it the one active set; each change is checked on save and audited."""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.audit.service import Actor, Target, record
from croupier.audit.tags import AuditAction
from croupier.kit.errors import Conflict, NotFound
from croupier.risk import engine, repository
from croupier.risk.models import RiskRuleSet, RuleSetStatus
from croupier.risk.rules import RuleSpec, compile_rule
from croupier.risk.schemas import RuleSetView, RuleView


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


async def publish(session: AsyncSession, *, set_name: str, actor: Actor) -> RuleSetView:
    """Make the set's draft the active rule set (the one active before is retired)."""
    latest = await repository.rule_set(session, set_name, None, lock=True)
    if latest is None:
        raise NotFound("No such rule set.")
    if latest.status != RuleSetStatus.DRAFT:
        raise Conflict(
            f"Rule set {set_name} has no draft to publish; version {latest.version} is {latest.status}."
        )
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
