"""Game providers in the console: each with its state, stake limits and games; disable, enable.

The same functions as ``croupier providers`` (``providers.registry``): a disabled provider's
wallet calls are refused and its games do not launch, and every change is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from croupier.backoffice.console.pages import PREFIX, render
from croupier.backoffice.console.security import CsrfChecked
from croupier.kit.deps import DbSession, RuntimeDep
from croupier.providers import registry
from croupier.staff.access import Permission
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

router = APIRouter(prefix=f"{PREFIX}/providers", include_in_schema=False)

ProviderManager = Annotated[StaffMember, Depends(require(Permission.PROVIDERS_MANAGE))]


@router.get("", response_class=HTMLResponse)
async def providers_page(
    request: Request, session: DbSession, runtime: RuntimeDep, member: ProviderManager
) -> Response:
    listed = await registry.listing(session)
    return render(request, runtime, "providers.html", member=member, section="providers", providers=listed)


@router.post("/{name}/disable")
async def disable(name: str, session: DbSession, member: ProviderManager, _: CsrfChecked) -> Response:
    await registry.set_enabled(session, name=name, enabled=False, actor=member.actor)
    return RedirectResponse(f"{PREFIX}/providers", status_code=303)


@router.post("/{name}/enable")
async def enable(name: str, session: DbSession, member: ProviderManager, _: CsrfChecked) -> Response:
    await registry.set_enabled(session, name=name, enabled=True, actor=member.actor)
    return RedirectResponse(f"{PREFIX}/providers", status_code=303)
