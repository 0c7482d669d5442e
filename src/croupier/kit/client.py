"""Who is on the other end of a request: address, user agent and the app's device id."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only the type: the command line uses this module too, and needs no web framework.
    from fastapi import Request

_MAX_USER_AGENT = 512
_MAX_DEVICE_ID = 128


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str | None = None
    # ``X-Device-Id``: an identifier the player's app keeps per installation. The
    # client chooses it, so it is a risk signal, never a credential.
    device_id: str | None = None

    @classmethod
    def from_request(cls, request: Request) -> ClientInfo:
        # uvicorn's proxy-headers handling has already replaced the peer address with
        # the X-Forwarded-For client when (and only when) the peer is a trusted proxy.
        host = request.client.host if request.client else None
        try:
            ip = str(ip_address(host)) if host else None
        except ValueError:
            ip = None
        agent = _printable(request.headers.get("user-agent"), _MAX_USER_AGENT)
        device = _printable(request.headers.get("x-device-id"), _MAX_DEVICE_ID)
        return cls(ip=ip, user_agent=agent, device_id=device or None)

    @classmethod
    def command_line(cls) -> ClientInfo:
        return cls(ip=None, user_agent="croupier-cli")


def _printable(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    return "".join(ch for ch in value if ch.isprintable())[:limit]
