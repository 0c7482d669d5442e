"""The long-lived collaborators of one Croupier process, built once from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from croupier.kit import migrate
from croupier.kit.db import Database, shared_context
from croupier.kit.keyring import KeyringSource, bind_keyring, load_keyring
from croupier.kit.ratelimit import Throttle
from croupier.kit.settings import Settings

_SETTINGS_KEY = "settings"


def settings_of(session: AsyncSession) -> Settings:
    """The process's settings, for code that gets only a session (a privacy hook, a job)."""
    found = shared_context(session).get(_SETTINGS_KEY)
    if not isinstance(found, Settings):
        raise TypeError("session has no settings bound; open sessions through Runtime.database")
    return found


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
        database.shared[_SETTINGS_KEY] = settings
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
