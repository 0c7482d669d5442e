"""`croupier sandbox`: stand-ins for outside services, run as their own processes."""

from __future__ import annotations

import asyncio
import secrets
import signal
import socket
import sys
from typing import Annotated, Any

import typer
import uvicorn

from croupier.kit.commands import fail
from croupier.kit.logging import configure_logging
from croupier.sandbox.kyc import KycSandboxConfig, create_kyc_app
from croupier.sandbox.psp import PspConfig, create_psp_app
from croupier.sandbox.register import RegisterConfig, create_register_app

app = typer.Typer(no_args_is_help=True, help="Sandbox services for development and tests (never production).")


@app.command("psp")
def psp(
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8700,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="CROUPIER_SANDBOX_PSP_API_KEY", help="Bearer key for server-side calls."),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(envvar="CROUPIER_SANDBOX_PSP_WEBHOOK_SECRET", help="Secret that signs webhooks."),
    ] = None,
    payout_delay: Annotated[float, typer.Option(min=0, help="Seconds before a payout settles.")] = 0.2,
    refund_delay: Annotated[float, typer.Option(min=0, help="Seconds before a refund settles.")] = 0.2,
    challenge_above: Annotated[
        int | None,
        typer.Option(
            min=1, help="Payments of at least this amount (minor units) are challenged (3-D Secure)."
        ),
    ] = None,
) -> None:
    """Run the sandbox payment provider: card vault, payments, refunds, payouts, signed webhooks."""
    configure_logging("info")
    if api_key is None:
        api_key = secrets.token_urlsafe(24)
        typer.echo(f"sandbox psp api key: {api_key}")
    if webhook_secret is None:
        webhook_secret = secrets.token_urlsafe(32)
        typer.echo(f"sandbox psp webhook secret: {webhook_secret}")
    config = PspConfig(
        api_key=api_key,
        webhook_secret=webhook_secret,
        payout_delay=payout_delay,
        refund_delay=refund_delay,
        challenge_above=challenge_above,
    )
    _serve(create_psp_app(config), "psp", host, port)


@app.command("register")
def register(
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8710,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="CROUPIER_SANDBOX_REGISTER_API_KEY", help="The X-API-Key callers must send."),
    ] = None,
) -> None:
    """Run the sandbox national self-exclusion register (GAMSTOP's API shape): Y, N or P by email."""
    configure_logging("info")
    if api_key is None:
        api_key = secrets.token_urlsafe(24)
        typer.echo(f"sandbox register api key: {api_key}")
    _serve(create_register_app(RegisterConfig(api_key=api_key)), "register", host, port)


@app.command("kyc")
def kyc(
    *,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port; 0 picks a free one.")] = 8710,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="CROUPIER_SANDBOX_KYC_API_KEY", help="Bearer key for server-side calls."),
    ] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(envvar="CROUPIER_SANDBOX_KYC_WEBHOOK_SECRET", help="Secret that signs webhooks."),
    ] = None,
    decision_delay: Annotated[
        float, typer.Option(min=0, help="Seconds before a check is decided and its result sent.")
    ] = 0.2,
) -> None:
    """Run the sandbox KYC provider: applicants, documents, checks, signed webhooks with the result."""
    configure_logging("info")
    if api_key is None:
        api_key = secrets.token_urlsafe(24)
        typer.echo(f"sandbox kyc api key: {api_key}")
    if webhook_secret is None:
        webhook_secret = secrets.token_urlsafe(32)
        typer.echo(f"sandbox kyc webhook secret: {webhook_secret}")
    config = KycSandboxConfig(api_key=api_key, webhook_secret=webhook_secret, decision_delay=decision_delay)
    _serve(create_kyc_app(config), "kyc", host, port)


def _serve(asgi: Any, name: str, host: str, port: int) -> None:
    try:
        sock = _bind(host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")
    server = _AnnouncingServer(
        uvicorn.Config(
            asgi,
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        ),
        url=_url(host, sock.getsockname()[1]),
        name=name,
    )
    # uvicorn stops gracefully on SIGTERM or SIGINT, then re-raises it to the handler it found:
    # SIGTERM is an orderly exit, SIGINT the usual 130. Handlers of our own, not asyncio's SIGINT
    # handler, which cancels the main task and lets the run end as if nothing happened when the
    # task was finishing anyway.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, _interrupted)
    asyncio.run(server.serve(sockets=[sock]))


def _interrupted(*_: object) -> None:
    raise SystemExit(130)


def _bind(host: str, port: int) -> socket.socket:
    # Bound here rather than by uvicorn so that port 0 resolves to a port we can announce.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio only turns Nagle off (TCP_NODELAY) on sockets that say so,
    # and with Nagle on, every keep-alive response waits out the client's delayed ACK (40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _AnnouncingServer(uvicorn.Server):
    """Prints where it listens once it accepts connections: a test starting it on port 0 reads that."""

    def __init__(self, config: uvicorn.Config, *, url: str, name: str) -> None:
        super().__init__(config)
        self.url = url
        self.name = name

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            typer.echo(f"sandbox {self.name} listening on {self.url}")
            sys.stdout.flush()
