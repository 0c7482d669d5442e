"""The long-lived collaborators of one Croupier process, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from croupier.kit import migrate
from croupier.kit.db import Database
from croupier.kit.keyring import KeyringSource, bind_keyring, load_keyring
from croupier.kit.ratelimit import Throttle
from croupier.kit.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    database: Database
    keyring: KeyringSource
    throttle: Throttle
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    async def start(cls, settings: Settings, *, database: Database | None = None) -> Runtime:
        """Connect, and on the embedded database bring the schema up to date."""
        keyring = load_keyring(settings)
        if database is None:
            database = Database.connect(settings)
            if settings.embedded:
                await migrate.upgrade(database.engine)
        bind_keyring(database.shared, keyring)
        return cls(
            settings=settings,
            database=database,
            keyring=keyring,
            throttle=Throttle(settings.rate_limit_storage),
        )

    async def close(self) -> None:
        # Collaborators built on demand (HTTP clients to third parties) close with the process.
        for extra in list(self.extras.values()):
            closer = getattr(extra, "aclose", None)
            if closer is not None:
                await closer()
        self.extras.clear()
        await self.database.dispose()
