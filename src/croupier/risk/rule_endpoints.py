"""The risk desk's rule sets: list, show, change (each change a draft version), publish.

Every route needs a staff key with the ``risk`` role; every change is audited under
the key's name. A malformed rule or an unknown feature is refused with 422
``invalid_rule`` and a message saying what is wrong.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from croupier.kit.deps import DbSession
from croupier.kit.errors import Conflict, Forbidden, NotFound, Unauthenticated, responses
from croupier.risk import rulesets
from croupier.risk.rule_schemas import RuleSetList, RuleSetView, RuleView
from croupier.risk.rules import InvalidRule
from croupier.staff.auth import RulePublisher, RuleReader, RuleWriter

router = APIRouter(prefix="/v1/staff/risk", tags=["staff: risk"])
_STAFF = (Unauthenticated, Forbidden)
SetName = Annotated[str, Path(max_length=64, pattern=r"^[a-z][a-z0-9_]{0,63}$")]
RuleName = Annotated[str, Path(max_length=64)]


@router.get("/rules", summary="Every rule set, every version", responses=responses(*_STAFF))
async def list_rule_sets(session: DbSession, _staff: RuleReader) -> RuleSetList:
    return RuleSetList(items=await rulesets.list_sets(session))


@router.get("/rules/{name}", summary="A rule set's latest version", responses=responses(*_STAFF, NotFound))
async def show_rule_set(
    name: SetName, session: DbSession, _staff: RuleReader, version: int | None = None
) -> RuleSetView:
    return await rulesets.show(session, name=name, version=version)


@router.put(
    "/rules/{name}/rules/{rule}",
    summary="Add or replace a rule in the set's draft (a new version when none is open)",
    responses=responses(*_STAFF, InvalidRule),
)
async def put_rule(
    name: SetName, rule: RuleName, body: RuleView, session: DbSession, staff: RuleWriter
) -> RuleSetView:
    spec = body.spec()
    if spec.name != rule:
        raise InvalidRule("The rule's name in the path and in the body differ.")
    return await rulesets.put_rule(session, set_name=name, spec=spec, actor=staff.actor)


@router.delete(
    "/rules/{name}/rules/{rule}",
    summary="Remove a rule from the set's draft",
    responses=responses(*_STAFF, NotFound),
)
async def remove_rule(name: SetName, rule: RuleName, session: DbSession, staff: RuleWriter) -> RuleSetView:
    return await rulesets.remove_rule(session, set_name=name, rule_name=rule, actor=staff.actor)


@router.post(
    "/rules/{name}/publish",
    summary="Make the set's draft the active rule set",
    responses=responses(*_STAFF, NotFound, Conflict),
)
async def publish(name: SetName, session: DbSession, staff: RulePublisher) -> RuleSetView:
    return await rulesets.publish(session, set_name=name, actor=staff.actor)
