"""Pooled connections are pinged only after sitting idle; one that died while trusted costs a 503.

A connection given back less than ``TRUSTED_FOR_SECONDS`` ago is handed out again without
the pre-ping's round trip (the bet paths take a connection every few milliseconds). If the
database dropped it meanwhile (a failover, a restart), the request that draws it answers 503
``database_unavailable`` with ``Retry-After``, and the pool replaces its connections, so the
client's retry is served. A connection idle for longer is pinged first and replaced unseen.
"""

from __future__ import annotations

import httpx
import psycopg
import pytest

from croupier.kit import pools
from croupier.kit.embedded import libpq_conninfo
from croupier.kit.runtime import Runtime
from tests.games.test_rounds_api import DICE, bet, funded


def _drop_croupier_connections(database_url: str) -> int:
    """What a restarted or failed-over database does to every connection the pools hold."""
    with psycopg.connect(libpq_conninfo(database_url), autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE 'croupier%'"
            " AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(dropped[0]) if dropped else 0


async def test_a_connection_dropped_while_trusted_answers_503_once_then_the_pool_heals(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    player = await funded(client, runtime)
    assert (await bet(client, player, "dice", DICE)).status_code == 201
    assert _drop_croupier_connections(database_url) > 0

    refused = await bet(client, player, "dice", DICE)
    assert refused.status_code == 503, refused.text
    assert refused.json()["code"] == "database_unavailable"
    assert refused.headers["retry-after"]

    assert (await bet(client, player, "dice", DICE)).status_code == 201


async def test_a_connection_idle_past_the_trust_is_pinged_and_replaced_unseen(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    player = await funded(client, runtime)
    assert (await bet(client, player, "dice", DICE)).status_code == 201
    monkeypatch.setattr(pools, "TRUSTED_FOR_SECONDS", 0.0)  # every pooled connection has been idle too long
    assert _drop_croupier_connections(database_url) > 0

    assert (await bet(client, player, "dice", DICE)).status_code == 201
