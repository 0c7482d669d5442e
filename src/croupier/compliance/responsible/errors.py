"""Responsible gambling's refusals, each with a stable code."""

from __future__ import annotations

from croupier.kit.errors import Conflict, CroupierError, Forbidden


class LimitReached(Forbidden):
    """A deposit or a bet that a limit the player set does not allow; the body names the limit."""

    code = "limit_reached"
    title = "A limit you set does not allow this"


class UnknownLimitKind(CroupierError):
    code = "unknown_limit_kind"
    status = 422
    title = "Unknown kind of limit"


class UnknownPeriod(CroupierError):
    code = "unknown_period"
    status = 422
    title = "Unknown period"


class InvalidLimit(CroupierError):
    code = "invalid_limit"
    status = 422
    title = "A limit must be a positive whole number"


class NoPendingLimit(Conflict):
    code = "no_pending_limit"
    title = "Nothing to confirm"


class LimitRequestLapsed(Conflict):
    code = "limit_request_lapsed"
    title = "The request was not confirmed in time"


class CoolingOff(Conflict):
    code = "cooling_off"
    title = "The cooling-off period has not passed yet"


class InvalidInterval(CroupierError):
    code = "invalid_interval"
    status = 422
    title = "A reality-check interval is a whole number of minutes"
