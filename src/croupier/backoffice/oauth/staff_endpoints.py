"""``/v1/staff/oauth/clients``: register, list and revoke OAuth clients (permission ``keys:manage``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from croupier.backoffice.oauth import service
from croupier.backoffice.oauth.errors import InvalidClientName, InvalidPublicKey, UnknownScope
from croupier.backoffice.oauth.schemas import ClientCreate, ClientCreated, ClientOut
from croupier.kit.deps import DbSession
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
    status_code=201,
    summary="Register a client; a secret client's secret is in this answer only",
    responses=responses(
        Unauthenticated, Forbidden, Conflict, InvalidClientName, UnknownScope, InvalidPublicKey
    ),
)
async def add_client(
    body: ClientCreate, session: DbSession, staff: KeyManager, response: Response
) -> ClientCreated:
    registered = await service.register(
        session, name=body.name, scopes=body.scopes, public_key=body.public_jwk, actor=staff.actor
    )
    response.headers["Cache-Control"] = "no-store"
    return ClientCreated(**ClientOut.of(registered.client).model_dump(), client_secret=registered.secret)


@router.delete(
    "/{client_id}",
    status_code=204,
    summary="Revoke a client: it cannot authenticate, and its tokens stop working at once",
    responses=responses(Unauthenticated, Forbidden, NotFound),
)
async def revoke_client(client_id: str, session: DbSession, staff: KeyManager) -> Response:
    await service.revoke_client(session, client_id=client_id, actor=staff.actor)
    return Response(status_code=204)
