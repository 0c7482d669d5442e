"""Signing in to the console: email and password, then the authenticator app's code.

The same staff functions as the API (``staff.sign_in``, ``staff.second_factor``), the same
lockout and per-address throttle. The session token lives only in the ``croupier_staff``
cookie (HttpOnly, SameSite=Strict, Secure): no page script can read it. Until the second
factor is done the session opens nothing but these pages; on first sign-in the member sets
up their authenticator app here (the secret is shown once, on the page that sets it up).
A failed step raises as anywhere else, so its transaction rolls back (what must outlive it,
a failure count or a lockout, is written in a transaction of its own); the console's error
handler then shows the step's form again with the reason (``pages.page_errors``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from croupier.backoffice.console.pages import PREFIX, SIGN_IN, render
from croupier.backoffice.console.security import SESSION_COOKIE, CsrfChecked, set_cookie
from croupier.identity.auth import PasswordsDep
from croupier.identity.endpoints import throttle_address
from croupier.kit.deps import Client, DbSession, RuntimeDep
from croupier.staff import accounts, second_factor, staff_sessions
from croupier.staff.auth import StaffSessionAny
from croupier.staff.sign_in import sign_in as sign_in_with_password
from croupier.staff.staff_sessions import SessionState

router = APIRouter(prefix=PREFIX, include_in_schema=False)
CODE = f"{SIGN_IN}/code"


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, runtime: RuntimeDep) -> Response:
    return render(request, runtime, "sign_in.html", problem=None)


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(  # noqa: PLR0917 - one parameter per form field and dependency
    session: DbSession,
    runtime: RuntimeDep,
    passwords: PasswordsDep,
    client: Client,
    _: CsrfChecked,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    await throttle_address(runtime, client, "staff_sign_in")
    new = await sign_in_with_password(
        session, settings=runtime.settings, passwords=passwords, email=email, password=password, client=client
    )
    response = RedirectResponse(CODE, status_code=303)
    lifetime = int((new.expires_at - new.signed_in.session.created_at).total_seconds())
    set_cookie(response, runtime.settings, SESSION_COOKIE, new.token, max_age=lifetime)
    return response


@router.get("/invitations/{token}", response_class=HTMLResponse)
async def invitation_page(request: Request, token: str, runtime: RuntimeDep) -> Response:
    """Where an invited person chooses their password (the link `croupier staff invite` prints)."""
    return render(request, runtime, "invitation.html", token=token, problem=None)


@router.post("/invitations/{token}", response_class=HTMLResponse)
async def accept_invitation(  # noqa: PLR0917 - one parameter per form field and dependency
    token: str,
    session: DbSession,
    runtime: RuntimeDep,
    passwords: PasswordsDep,
    client: Client,
    _: CsrfChecked,
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    await throttle_address(runtime, client, "staff_invitation")
    await accounts.accept(session, passwords=passwords, token=token, password=password, client=client)
    return RedirectResponse(SIGN_IN, status_code=303)


@router.get("/sign-in/code", response_class=HTMLResponse)
async def code_page(request: Request, runtime: RuntimeDep, signed_in: StaffSessionAny) -> Response:
    if signed_in.state is SessionState.ACTIVE:
        return RedirectResponse(f"{PREFIX}/dashboard", status_code=303)
    enrolling = signed_in.state is SessionState.MFA_ENROLLMENT_REQUIRED
    return render(request, runtime, "second_factor.html", enrolling=enrolling, enrolment=None, problem=None)


@router.post("/sign-in/enrol", response_class=HTMLResponse)
async def enrol(
    request: Request, session: DbSession, runtime: RuntimeDep, signed_in: StaffSessionAny, _: CsrfChecked
) -> Response:
    """A new authenticator secret, shown on this page only (asking again replaces it)."""
    enrolment = await second_factor.start_enrolment(session, signed_in=signed_in)
    return render(request, runtime, "second_factor.html", enrolling=True, enrolment=enrolment, problem=None)


@router.post("/sign-in/code", response_class=HTMLResponse)
async def code(
    session: DbSession,
    runtime: RuntimeDep,
    client: Client,
    signed_in: StaffSessionAny,
    _: CsrfChecked,
    code: Annotated[str, Form(max_length=16)],
) -> Response:
    await second_factor.verify(
        session, settings=runtime.settings, signed_in=signed_in, code=code, client=client
    )
    return RedirectResponse(f"{PREFIX}/dashboard", status_code=303)


@router.post("/sign-out")
async def sign_out(
    session: DbSession, client: Client, signed_in: StaffSessionAny, _: CsrfChecked
) -> Response:
    await staff_sessions.sign_out(session, signed_in=signed_in, client=client)
    response = RedirectResponse(SIGN_IN, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response
