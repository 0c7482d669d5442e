"""``croupier risk``: the event worker, the risk desk (alerts, cases, AML reports), the engine."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from croupier.events.delivery import EventDelivery
from croupier.kit.commands import run_command
from croupier.kit.ops import start_metrics_listener
from croupier.kit.runtime import Runtime
from croupier.kit.settings import get_settings
from croupier.risk import cases_cli

app = typer.Typer(no_args_is_help=True, help="Risk: the event worker, alerts, cases, AML reports and rules.")
cases_cli.register(app)


@app.command()
def worker(
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Log at info level (default: warnings).")
    ] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=1,
            max=65535,
            help="Serve /metrics (the consumer lag among them) on CROUPIER_METRICS_HOST:PORT.",
        ),
    ] = None,
) -> None:
    """Deliver domain events to the risk handlers until stopped (SIGTERM or Ctrl-C).

    Run as many as needed, on any machine that reaches the database (or the NATS
    server, with CROUPIER_EVENT_BUS): they share the players between them. Set
    CROUPIER_EVENT_CONSUMER=off on the API processes when workers run.
    """
    if metrics_port is not None:
        start_metrics_listener(get_settings().model_copy(update={"metrics_port": metrics_port}))

    async def _work(runtime: Runtime) -> None:
        delivery = EventDelivery.for_runtime(runtime, consume=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await delivery.start()
        names = ", ".join(sorted(delivery.handlers)) or "none registered"
        typer.echo(f"event worker started; handlers: {names}")
        try:
            await stop.wait()
        finally:
            await delivery.stop()
        typer.echo("event worker stopped")

    run_command(_work, quiet=not verbose)
