"""``/v1/staff/oauth/clients``: register, list and revoke OAuth clients (permission ``keys:manage``).

Registering takes two members of staff (a key change): the first call checks the client and
files an approval request naming it, its scopes and its public key, never a secret; a
secret client's secret is made when another member approves, and shown to that member once.
Revoking is immediate: it only takes access away.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from croupier.backoffice.approvals import service as approvals
from croupier.backoffice.approvals.schemas import ApprovalView
from croupier.backoffice.approvals.service import ApprovalKind
from croupier.backoffice.oauth import service
from croupier.backoffice.oauth.errors import InvalidClientName, InvalidPublicKey, UnknownScope
from croupier.backoffice.oauth.schemas import ClientCreate, ClientOut
from croupier.kit.deps import Client, DbSession, SettingsDep
from croupier.kit.errors import Conflict, Forbidden, NotFound, Unauthenticated, responses
from croupier.staff.access import Permission
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

router = APIRouter(prefix="/v1/staff/oauth/clients", tags=["staff: oauth clients"])

KeyManager = Annotated[StaffMember, Depends(require(Permission.KEYS_MANAGE))]


@router.get(
    "",
    summary="Every OAuth client, revoked ones included (never a secret)",
    responses=responses(Unauthenticated, Forbidden),
)
async def list_clients(session: DbSession, staff: KeyManager) -> list[ClientOut]:  # noqa: ARG001 - the permission check is the point
    return [ClientOut.of(client) for client in await service.listing(session)]


@router.post(
    "",
    status_code=202,
    summary="Ask for a client to be registered; another member with keys:manage approves (four eyes)",
    description="Checks the client (name free, scopes known, a public key and not a private one) and"
    " makes an approval request; another member of staff with `keys:manage` approves it at"
    " `POST /v1/staff/approvals/{id}/approve`, whose `effect` names the new `client_id` and, for a"
    " secret client, holds its `client_secret`: shown in that answer once, to the approver, and"
    " stored nowhere (a key client, with `public_jwk`, has no secret to hand over).",
    responses=responses(
        Unauthenticated,
        Forbidden,
        Conflict,
        InvalidClientName,
        UnknownScope,
        InvalidPublicKey,
        approvals.ApprovalAlreadyPending,
    ),
)
async def add_client(
    body: ClientCreate, session: DbSession, settings: SettingsDep, staff: KeyManager, client: Client
) -> ApprovalView:
    checked = await service.check_registration(
        session, name=body.name, scopes=body.scopes, public_key=body.public_jwk
    )
    asked, _ = await approvals.ask(
        session,
        settings,
        kind=ApprovalKind.OAUTH_CLIENT_ADD,
        subject=f"oauth_client:{checked.name}",
        payload={"name": checked.name, "scopes": checked.scopes, "public_jwk": checked.public_jwk},
        maker=staff,
        reason=None,
        client=client,
    )
    return ApprovalView.of(asked)


@router.delete(
    "/{client_id}",
    status_code=204,
    summary="Revoke a client: it cannot authenticate, and its tokens stop working at once",
    responses=responses(Unauthenticated, Forbidden, NotFound),
)
async def revoke_client(client_id: str, session: DbSession, staff: KeyManager) -> Response:
    await service.revoke_client(session, client_id=client_id, actor=staff.actor)
    return Response(status_code=204)
