"""The player's privacy rights over HTTP: consents, exports of their data, erasure.

No player id in these routes: the player is the session's."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from croupier.audit.service import Actor
from croupier.compliance.gdpr import consent, erasure, exports
from croupier.compliance.gdpr.consent import ConsentTextOutdated, DuplicatePurpose
from croupier.compliance.gdpr.erasure import BalanceOutstanding
from croupier.compliance.gdpr.exports import ExportGone, ExportInProgress, ExportNotReady
from croupier.compliance.gdpr.models import ConsentSource
from croupier.compliance.gdpr.schemas import (
    ConsentList,
    ConsentUpdate,
    ConsentView,
    ErasureRequest,
    ErasureView,
    ExportList,
    ExportView,
)
from croupier.identity.auth import CurrentAuth, SteppedUpAuth
from croupier.identity.errors import InvalidSession, StepUpRequired
from croupier.kit.deps import Client, DbSession
from croupier.kit.errors import NotFound, responses

router = APIRouter(prefix="/v1/me", tags=["privacy"])


@router.get("/consents", summary="My consents, per purpose", responses=responses(InvalidSession))
async def my_consents(session: DbSession, auth: CurrentAuth) -> ConsentList:
    shown = await consent.standing(session, player_id=auth.player.id)
    return ConsentList(items=[ConsentView.of(s) for s in shown])


@router.put(
    "/consents",
    summary="Grant or withdraw consents",
    description="Each change is recorded with its time, its source and the version of the text the "
    "player saw, which must be the purpose's current one. Purposes not named are left as they are.",
    responses=responses(InvalidSession, ConsentTextOutdated, DuplicatePurpose),
)
async def change_consents(
    body: ConsentUpdate, session: DbSession, auth: CurrentAuth, client: Client
) -> ConsentList:
    shown = await consent.change(
        session,
        player_id=auth.player.id,
        changes=[consent.Change(c.purpose, c.granted, c.text_version) for c in body.consents],
        source=ConsentSource(body.source),
        client=client,
    )
    return ConsentList(items=[ConsentView.of(s) for s in shown])


@router.post(
    "/exports",
    status_code=202,
    summary="Ask for an archive of all my data",
    description="The archive (JSON) is built in the background; follow `GET /v1/me/exports/{id}` until it "
    "is `ready`, then download it once from `download_path` before it expires.",
    responses=responses(InvalidSession, ExportInProgress),
)
async def request_export(session: DbSession, auth: CurrentAuth, client: Client) -> ExportView:
    return ExportView.of(await exports.request(session, player_id=auth.player.id, client=client))


@router.get("/exports", summary="My data exports", responses=responses(InvalidSession))
async def my_exports(session: DbSession, auth: CurrentAuth) -> ExportList:
    return ExportList(
        items=[ExportView.of(e) for e in await exports.listing(session, player_id=auth.player.id)]
    )


@router.get(
    "/exports/{export_id}", summary="One of my data exports", responses=responses(InvalidSession, NotFound)
)
async def my_export(export_id: uuid.UUID, session: DbSession, auth: CurrentAuth) -> ExportView:
    return ExportView.of(await exports.of(session, player_id=auth.player.id, export_id=export_id))


@router.get(
    "/exports/{export_id}/archive",
    summary="Download my data archive (once)",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "The archive."},
        **responses(InvalidSession, NotFound, ExportNotReady, ExportGone),
    },
)
async def download_export(
    export_id: uuid.UUID, session: DbSession, auth: CurrentAuth, client: Client
) -> Response:
    text = await exports.download(session, player_id=auth.player.id, export_id=export_id, client=client)
    return Response(
        content=text.encode(),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="croupier-export-{export_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/erasure",
    summary="Erase my account and personal data",
    description="Needs a recent step-up and an empty balance. Final: the account is closed, the personal "
    "data made unreadable (its key destroyed) and blanked. What anti-money-laundering law requires is kept, "
    "pseudonymous, under a legal hold the answer lists with its end date.",
    responses=responses(InvalidSession, StepUpRequired, BalanceOutstanding),
)
async def erase_me(
    body: ErasureRequest,  # noqa: ARG001 - its one field must be true, which validation checks
    session: DbSession,
    auth: SteppedUpAuth,
    client: Client,
) -> ErasureView:
    player_id = auth.player.id
    await erasure.refuse_with_balance(session, player_id=player_id)
    return ErasureView.of(
        await erasure.erase(session, player_id=player_id, actor=Actor.player(player_id), client=client)
    )
