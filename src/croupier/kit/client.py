"""Who is on the other end of a request: address and user agent."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address

from fastapi import Request

_MAX_USER_AGENT = 512


@dataclass(frozen=True)
class ClientInfo:
    ip: str | None = None
    user_agent: str | None = None

    @classmethod
    def from_request(cls, request: Request) -> ClientInfo:
        # uvicorn's proxy-headers handling has already replaced the peer address with
        # the X-Forwarded-For client when (and only when) the peer is a trusted proxy.
        host = request.client.host if request.client else None
        try:
            ip = str(ip_address(host)) if host else None
        except ValueError:
            ip = None
        agent = request.headers.get("user-agent")
        if agent is not None:
            agent = "".join(ch for ch in agent if ch.isprintable())[:_MAX_USER_AGENT]
        return cls(ip=ip, user_agent=agent)

    @classmethod
    def command_line(cls) -> ClientInfo:
        return cls(ip=None, user_agent="croupier-cli")
