"""The console's pages under ``/console``: each declares its permission, as staff routes do.

Pages are rendered on the server (Jinja2, autoescaped) and work without script; htmx only
spares some reloads. A page for someone not signed in redirects to the sign-in page; one
they lack the permission for answers 403 with an error page.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from croupier.backoffice import players
from croupier.backoffice.console import dashboard as dashboards
from croupier.backoffice.console.security import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfChecked,
    browser_secret,
    csrf_token,
    page_headers,
    set_cookie,
)
from croupier.kit.deps import Client, DbSession, RuntimeDep
from croupier.kit.runtime import Runtime
from croupier.staff.access import Permission
from croupier.staff.auth import require
from croupier.staff.service import StaffMember

PREFIX = "/console"
SIGN_IN = f"{PREFIX}/sign-in"
STATIC_DIR = Path(__file__).with_name("static")
STATIC_PATH = f"{PREFIX}/static"

router = APIRouter(prefix=PREFIX, include_in_schema=False)
# Autoescaping on for every template: a player's name or a note can hold markup.
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=True,
        undefined=StrictUndefined,
    )
)

DashboardReader = Annotated[StaffMember, Depends(require(Permission.DASHBOARD_READ))]
PlayerReader = Annotated[StaffMember, Depends(require(Permission.PLAYERS_READ))]


@cache
def _digest(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:16]


def asset(name: str) -> str:
    """An asset's URL with its digest, so that it can be cached for good."""
    return f"{STATIC_PATH}/{name}?v={_digest(name)}"


def render(
    request: Request,
    runtime: Runtime,
    template: str,
    *,
    status: int = 200,
    member: StaffMember | None = None,
    **context: Any,
) -> Response:
    """A page with the console's headers, and its CSRF token (the browser's cookie set if new)."""
    browser, new = browser_secret(request)
    token = csrf_token(runtime.keyring, browser, request.cookies.get(SESSION_COOKIE, ""))
    response: Response = templates.TemplateResponse(
        request,
        template,
        {"member": member, "csrf": token, "asset": asset, "section": None, "status": status, **context},
        status_code=status,
        headers=page_headers(),
    )
    if new:
        set_cookie(response, runtime.settings, CSRF_COOKIE, browser, max_age=None)
    return response


@router.get("")
async def home() -> Response:
    return RedirectResponse(f"{PREFIX}/dashboard", status_code=303)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    member: DashboardReader,
    days: Annotated[int, Query(ge=1, le=92)] = dashboards.DEFAULT_DAYS,
) -> Response:
    board = await dashboards.dashboard(session, settings=runtime.settings, actor=member.actor, days=days)
    return render(request, runtime, "dashboard.html", member=member, board=board, section="dashboard")


@router.get("/players", response_class=HTMLResponse)
async def find_player_page(request: Request, runtime: RuntimeDep, member: PlayerReader) -> Response:
    return render(request, runtime, "players.html", member=member, section="players", not_found=False)


@router.post("/players/search", response_class=HTMLResponse)
async def find_player(
    *,
    request: Request,
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    member: PlayerReader,
    _: CsrfChecked,
    query: Annotated[str, Form(min_length=1, max_length=320)],
) -> Response:
    """By id, or by email address through its blind index; posted, so no address goes in a URL."""
    try:
        player_id: uuid.UUID | None = uuid.UUID(query.strip())
    except ValueError:
        player_id = await players.find_by_email(session, email=query, reader=member, client=client)
    if player_id is None:
        return render(request, runtime, "players.html", member=member, section="players", not_found=True)
    return RedirectResponse(f"{PREFIX}/players/{player_id}", status_code=303)


@router.get("/players/{player_id}", response_class=HTMLResponse)
async def player_page(
    *,
    request: Request,
    player_id: uuid.UUID,
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    member: PlayerReader,
) -> Response:
    view = await players.player_360(
        session, player_id=player_id, reader=member, client=client, settings=runtime.settings
    )
    return render(request, runtime, "player.html", member=member, section="players", p=view)


def page_errors(request: Request, status: int, code: str, title: str, detail: str) -> Response | None:
    """Errors on console pages as pages: not signed in goes to sign-in, the rest an error page."""
    if not request.url.path.startswith(f"{PREFIX}/") and request.url.path != PREFIX:
        return None
    form = _form_again(request.url.path) if request.method == "POST" else None
    if form is not None and code != "unauthenticated":
        template, context = form
        runtime = request.app.state.runtime
        return render(request, runtime, template, status=status, code=code, problem=detail, **context)
    if status == 401 and request.url.path != SIGN_IN:
        return RedirectResponse(SIGN_IN, status_code=303)
    if code == "staff_mfa_required":  # signed in with the password: the code comes next
        return RedirectResponse(f"{SIGN_IN}/code", status_code=303)
    runtime = request.app.state.runtime
    return render(request, runtime, "error.html", status=status, code=code, title=title, detail=detail)


_INVITATION = re.compile(rf"^{PREFIX}/invitations/(?P<token>[^/]+)$")


def _form_again(path: str) -> tuple[str, dict[str, Any]] | None:
    """A sign-in step's form, to show again with the reason it was refused."""
    if path == SIGN_IN:
        return "sign_in.html", {}
    if path == f"{SIGN_IN}/code":
        return "second_factor.html", {"enrolling": False, "enrolment": None}
    if found := _INVITATION.match(path):
        return "invitation.html", {"token": found["token"]}
    return None


def install_console(app: FastAPI) -> None:
    # Their pages render through this module.
    from croupier.backoffice.console import approvals, audit, cases, kyc, providers, sign_in, staff

    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="console-static")
    app.include_router(router)
    app.include_router(sign_in.router)
    app.include_router(cases.router)
    app.include_router(kyc.router)
    app.include_router(approvals.router)
    app.include_router(staff.router)
    app.include_router(audit.router)
    app.include_router(providers.router)
