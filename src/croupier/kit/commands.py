"""Helpers shared by the ``croupier`` sub-commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from croupier.kit.logging import configure_logging
from croupier.kit.runtime import Runtime
from croupier.kit.settings import get_settings

T = TypeVar("T")


@asynccontextmanager
async def command_runtime(*, quiet: bool = True) -> AsyncIterator[Runtime]:
    """The same runtime the service uses, on the same data folder or database."""
    settings = get_settings()
    if quiet:
        configure_logging("warning")
    runtime = await Runtime.start(settings)
    try:
        yield runtime
    finally:
        await runtime.close()


def run_with_runtime(work: Callable[[Runtime], Awaitable[T]], *, quiet: bool = True) -> T:
    async def _main() -> T:
        async with command_runtime(quiet=quiet) as runtime:
            return await work(runtime)

    return asyncio.run(_main())
