"""The risk desk's rule sets: list, show, change (each change a draft version), publish.

Every route needs a staff key with the ``risk`` role; every change is audited under
the key's name. Publishing takes two members of staff: one asks, another approves
(``backoffice.approvals``). A malformed rule or an unknown feature is refused with 422
``invalid_rule`` and a message saying what is wrong.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from croupier.backoffice.approvals import service as approvals
from croupier.backoffice.approvals.schemas import ApprovalView
from croupier.backoffice.approvals.service import ApprovalKind
from croupier.kit.deps import Client, DbSession, SettingsDep
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
    status_code=202,
    summary="Ask for the set's draft to become the active rule set; another publisher approves",
    description="Makes an approval request naming the draft's version and a digest of its rules."
    " Another member of staff with `risk:rules:publish` approves it at"
    " `POST /v1/staff/approvals/{id}/approve`, which publishes exactly that draft (409"
    " `rule_set_draft_changed` if a rule changed since). Asking again answers the pending request.",
    responses=responses(*_STAFF, NotFound, Conflict),
)
async def publish(
    name: SetName, session: DbSession, settings: SettingsDep, staff: RulePublisher, client: Client
) -> ApprovalView:
    draft = await rulesets.draft_state(session, set_name=name)
    asked, _ = await approvals.ask(
        session,
        settings,
        kind=ApprovalKind.RULE_SET_PUBLISH,
        subject=f"rule_set:{name}",
        payload={"name": name, "version": draft.version, "digest": draft.digest},
        maker=staff,
        reason=None,
        client=client,
    )
    return ApprovalView.of(asked)
