"""The handler registry: names are durable identities, so they are checked and never shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.events import handlers
from croupier.events.models import DomainEvent
from croupier.kit.settings import Settings
from tests.cli_support import acroupier, env_for, refused


async def one(session: AsyncSession, event: DomainEvent) -> None:
    del session, event


async def other(session: AsyncSession, event: DomainEvent) -> None:
    del session, event


class TestRegistry:
    def test_a_name_holds_one_handler(self) -> None:
        handlers.register("registry-test", one)
        try:
            handlers.register("registry-test", one)  # the same again: fine
            with pytest.raises(handlers.HandlerNameTaken):
                handlers.register("registry-test", other)
            assert handlers.registered()["registry-test"] is one
        finally:
            handlers.unregister("registry-test")
        assert "registry-test" not in handlers.registered()

    @pytest.mark.parametrize("name", ["", "Risk", "risk engine", "9lives", "x" * 49, "risk.engine"])
    def test_malformed_names_are_refused(self, name: str) -> None:
        with pytest.raises(ValueError, match="lower-case"):
            handlers.register(name, one)

    @pytest.mark.parametrize(
        ("spec", "says"),
        [
            ("no-equals-sign", "NAME=module:function"),
            ("probe=tests.events.test_handlers", "NAME=module:function"),
            ("probe=tests.events.nowhere:handle", "cannot be loaded"),
            ("probe=tests.events.test_handlers:missing", "cannot be loaded"),
            ("probe=tests.events.test_handlers:PARAMETERS", "not callable"),
            ("Bad Name=tests.events.test_handlers:one", "lower-case"),
        ],
    )
    def test_malformed_settings_are_refused_with_a_reason(self, spec: str, says: str) -> None:
        with pytest.raises(handlers.HandlerSpecInvalid, match=says):
            handlers.load([spec])


PARAMETERS = "not a function"
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_the_worker_refuses_a_malformed_handler_setting(settings: Settings) -> None:
    env = env_for(
        settings,
        CROUPIER_EVENT_HANDLERS=json.dumps(["probe=tests.events.nowhere:handle"]),
        PYTHONPATH=str(REPOSITORY),
    )
    refused(await acroupier("risk", "worker", env=env), "cannot be loaded")
