"""The staff accounts' own refusals, each with its stable code.

Sign-in reuses the players' ``invalid_credentials``, ``account_locked``, ``account_disabled``
and ``invalid_otp``: one vocabulary for one kind of failure.
"""

from __future__ import annotations

from typing import Any

from croupier.kit.errors import Conflict, CroupierError, Forbidden, Unauthenticated


class InvalidStaffEmail(CroupierError):
    code = "invalid_staff_email"
    status = 422
    title = "A staff email is an address of at most 64 characters"


class InvalidInvitation(CroupierError):
    code = "invalid_invitation"
    status = 404
    title = "Invitation unknown, used or expired"


class StaffAccountExists(Conflict):
    code = "staff_account_exists"
    title = "A staff account has this email"


class StaffSessionExpired(Unauthenticated):
    code = "staff_session_expired"
    title = "Staff session expired"


class StaffMfaRequired(Forbidden):
    """The session proved the password but not yet the second factor."""

    code = "staff_mfa_required"
    title = "Second factor required"

    def __init__(self, *, state: str, **extra: Any) -> None:
        super().__init__(
            "Finish signing in first: enrol an authenticator app (POST /v1/staff/sessions/current/totp) "
            "if asked, then send its code (POST /v1/staff/sessions/current/mfa).",
            state=state,
            **extra,
        )


class TotpAlreadyEnrolled(Conflict):
    code = "staff_totp_enrolled"
    title = "The authenticator app is already set up"


class TotpNotStarted(Conflict):
    code = "staff_totp_not_started"
    title = "No authenticator app enrolment to confirm"
