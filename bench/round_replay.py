"""The database's share of a dice round and of a Hub88 bet: pgbench replays the statements
``croupier serve`` sends for one, in one transaction, from its C client, with no application in
the way.

The statements are the service's own (imported, not copied). A dice round: the session lookup,
the draw (replay check, nonce, sealed seed, data key), the player's responsible-gambling
counters (checked and counted), then ``ledger_post`` with the settled round's insert and its
domain events in one statement; a player per client, the player's live session, the revenue
bucket chosen at random, half the rounds won (four legs and a win event) and half lost (two
legs). A Hub88 bet: the provider, the call's context, the claim of its uuid, the counters,
``ledger_post``, the answer with the balance after it and its event; a player per client with
its game token. Each rate is the ceiling of the matching HTTP figure on the same machine: what
a client costing nothing would reach.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import psycopg
from pgbench import run_pgbench
from wallet_http import Measurement

from croupier.compliance.responsible.repository import CHARGE
from croupier.games.repository import DRAW_UNLESS_PLAYED, SETTLE_NEW_ROUND
from croupier.identity.repository import _SESSION_PRINCIPAL
from croupier.providers.hub88.transactions import SOURCE_PREFIX
from croupier.providers.repository import _CLAIM, _CONTEXT, _PROVIDER_BY_NAME, FINISH_WITH_EVENTS
from croupier.wallet.repository import LEDGER_POST
from croupier.wallet.service import REVENUE_BUCKETS, HouseAccount, HouseBook, PlayerAccount, account_code

CURRENCY = "EUR"
STAKE = 100
BET = '{"stake": 100, "target": 49.5, "direction": "under"}'


def bind(sql: str, values: Mapping[str, str] | Sequence[str]) -> str:
    """The statement with each psycopg placeholder replaced by a pgbench expression (a ``:variable``
    or a literal; pgbench sends its variables as parameters under ``--protocol=prepared``)."""
    if isinstance(values, Mapping):
        named = dict(values)
        return re.sub(r"%\((\w+)\)s", lambda m: named[m.group(1)], sql).strip()
    if sql.count("%s") != len(values):
        raise ValueError(f"{sql.count('%s')} placeholders, {len(values)} values")
    positional = iter(values)
    return re.sub(r"%s", lambda _: next(positional), sql).strip()


def charge(*, stake: int, payout: int, session: str) -> str:
    """The responsible-gambling charge of a stake and its payout, in the player's live session."""
    return bind(
        CHARGE,
        {
            "player": ":player_id::uuid",
            "currency": f"'{CURRENCY}'",
            "day": "current_date",
            "week": "date_trunc('week', current_date)::date",
            "month": "date_trunc('month', current_date)::date",
            "deposit": "(0)",
            "deposits": "(0)",
            "stake": f"({stake})",
            "lost": f"({stake - payout})",
            "session": session,
            "elapsed": "(1.0)",
            "late": "false",
            "now": "now()",
            "check": "true",
        },
    )


def events(*rows: tuple[str, str]) -> str:
    """The ``%(events)s`` document of one request's domain events, as the service sends it (text,
    which the statement reads as JSONB): ``(kind, data)`` pairs, ``data`` a JSON text expression."""
    documents = [
        f"""'{{"kind": "{kind}", "player_id": "' || :player_id || '", "data": ' || {data}"""
        """ || ', "ip": "127.0.0.1", "user_agent": "bench", "device_id": null}'"""
        for kind, data in rows
    ]
    return "('[' || " + " || ', ' || ".join(documents) + " || ']')"


def posting(
    *, source: str, key: str, kind: str, metadata: str, legs: Sequence[tuple[str, int, str, bool]]
) -> dict[str, str]:
    """``ledger_post``'s parameters as the service sends them: ``legs`` as (account code variable,
    amount, kind, whether the player's), in the JSON document the service sends."""
    documents = [
        f"""'{{"code": "' || {code} || '", "amount": {amount}, "kind": "{leg_kind}", "player_id": """
        + (""""' || :player_id || '\"""" if mine else "null")
        + f""", "currency": "{CURRENCY}"}}'"""
        for code, amount, leg_kind, mine in legs
    ]
    return {
        "posting_id": ":transfer_id",
        "posting_source": source,
        "posting_key": key,
        "posting_hash": "'\\x00'",
        "posting_kind": f"'{kind}'",
        "posting_player_id": ":player_id",
        "posting_metadata": metadata,
        "posting_at": "now()",
        "posting_legs": "('[' || " + " || ', ' || ".join(documents) + " || ']')",
        "posting_held": "'{}'",
        "posting_find_existing": "true",
    }


def round_script(*, won: bool) -> str:
    payout = 2 * STAKE if won else 0
    key = "('replay-' || :k::bigint)"
    legs = [(":player_code", -STAKE, "cash", True), (":house_code", STAKE, "revenue", False)]
    if won:
        legs += [(":house_code", -payout, "revenue", False), (":player_code", payout, "cash", True)]
    posted = posting(source="'games'", key=key, kind="round", metadata="""'{"game": "dice"}'""", legs=legs)
    bet_event = """'{"source": "games", "game": "dice", "currency": "EUR", "amount": 100}'"""
    win_event = """'{"source": "games", "game": "dice", "currency": "EUR", "amount": 200, "stake": 100}'"""
    # The transfer, the round and its events: one statement, as the service sends it.
    settle = bind(
        SETTLE_NEW_ROUND,
        {
            **posted,
            "id": ":round_id::uuid",
            "player_id": ":player_id::uuid",
            "game": "'dice'",
            "currency": f"'{CURRENCY}'",
            "idempotency_key": key,
            "request_hash": "'\\x00'::bytea",
            "status": "'settled'",
            "stake": str(STAKE),
            "payout": str(payout),
            "seed_pair_id": ":id::uuid",
            "server_seed_hash": ":server_seed_hash",
            "client_seed": ":client_seed",
            "nonce": ":nonce::bigint",
            "bet": f"'{BET}'",
            "state": "NULL",
            "actions": "'[]'",
            "hold_ids": "'[]'",
            "outcome": f"""'{{"win": {"true" if won else "false"}}}'""",
            "transfer_id": ":transfer_id::uuid",
            "created_at": "now()",
            "settled_at": "now()",
            "events": events(("bet", bet_event), ("win", win_event)) if won else events(("bet", bet_event)),
        },
    )
    draw = bind(DRAW_UNLESS_PLAYED, {"player": ":player_id::uuid", "key": key})
    return "\n".join(
        [
            "\\set k random(1, 1000000000000000)",
            f"\\set b random(0, {REVENUE_BUCKETS - 1})",
            # The values a request brings (its player and session, fresh ids), as the
            # service holds them before its first statement.
            "SELECT p.player_id, p.token_hash, p.session_id, p.player_code, b.code AS house_code,"
            " gen_random_uuid() AS transfer_id, gen_random_uuid() AS round_id"
            " FROM bench_replay_players AS p, bench_replay_buckets AS b"
            " WHERE p.client = :client_id AND b.bucket = :b \\gset",
            "BEGIN;",
            bind(_SESSION_PRINCIPAL, [":token_hash::bytea"]) + ";",
            draw + " \\gset",
            charge(stake=STAKE, payout=payout, session=":session_id::uuid") + ";",
            settle + ";",
            "COMMIT;",
            "",
        ]
    )


def hub88_script(provider: str, game: str) -> str:
    """A Hub88 bet of one euro (100 minor units), a round of its own, as the seamless wallet sends it
    (a token issued without a sign-in has no session: pgbench reads its NULL as '')."""
    transaction = "('hub88-replay-' || :k::bigint)"
    # pgbench takes any colon before a name for a variable, in a string literal too.
    prefix, colon, rest = f"{SOURCE_PREFIX}{provider}".partition(":")
    source = f"('{prefix}' || '{colon}' || '{rest}')"
    context = bind(
        _CONTEXT,
        {
            "provider_id": ":provider_id::integer",
            "transaction_uuid": transaction,
            "reference_uuid": "NULL::text",
            "token_hash": ":game_token_hash::bytea",
            "player_id": ":player_id::uuid",
            "game_code": f"'{game}'",
        },
    )
    claim = bind(
        _CLAIM,
        {
            "provider_id": ":provider_id::integer",
            "transaction_uuid": transaction,
            "kind": "'bet'",
            "player_id": ":player_id::uuid",
            "currency": f"'{CURRENCY}'",
            "amount": str(STAKE),
            "request_hash": "'\\x00'::bytea",
            "status": "'RS_OK'",
            "round": "('replay-round-' || :k::bigint)",
            "reference_uuid": "NULL",
            "game_code": f"'{game}'",
            "rolled_back_at": "NULL",
            "win_count": "0",
            "created_at": "now()",
        },
    )
    posted = bind(
        LEDGER_POST,
        posting(
            source=source,
            key=transaction,
            kind="bet",
            metadata=f"""'{{"game": "{game}"}}'""",
            legs=[(":player_code", -STAKE, "cash", True), (":house_code", STAKE, "revenue", False)],
        ),
    )
    bet_event = (
        f"jsonb_build_object('source', {source}, 'provider', '{provider}',"
        f" 'currency', '{CURRENCY}', 'amount', {STAKE})::text"
    )
    finish = bind(
        FINISH_WITH_EVENTS,
        {
            "status": "'RS_OK'",
            "transfer_id": ":transfer_id",
            "account": "(:player_code)::text",
            "id": ":claimed_id",
            "events": events(("bet", bet_event)),
        },
    )
    return "\n".join(
        [
            "\\set k random(1, 1000000000000000)",
            f"\\set b random(0, {REVENUE_BUCKETS - 1})",
            "SELECT p.player_id, p.game_token_hash, p.game_session_id, p.player_code, b.code AS house_code,"
            " gen_random_uuid() AS transfer_id"
            " FROM bench_replay_players AS p, bench_replay_buckets AS b"
            " WHERE p.client = :client_id AND b.bucket = :b \\gset",
            "BEGIN;",
            bind(_PROVIDER_BY_NAME, [f"'{provider}'"]) + " \\gset provider_",
            context + ";",
            claim + " \\gset claimed_",
            charge(stake=STAKE, payout=0, session="NULLIF(:game_session_id::text, '')::uuid") + ";",
            posted + ";",
            finish + ";",
            "COMMIT;",
            "",
        ]
    )


def prepare(uri: str, players: Sequence[uuid.UUID], *, provider: str | None = None) -> None:
    """A row per pgbench client: its player, the player's newest live session, its cash account;
    with ``provider``, also the player's newest game token of that provider and its sign-in."""
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_replay_players, bench_replay_buckets")
        conn.execute(
            "CREATE TABLE bench_replay_players (client int PRIMARY KEY, player_id uuid, token_hash bytea,"
            " session_id uuid, player_code text, game_token_hash bytea, game_session_id uuid)"
        )
        conn.execute("CREATE TABLE bench_replay_buckets (bucket int PRIMARY KEY, code text)")
        with conn.cursor() as cursor:
            for client, player_id in enumerate(players):
                cursor.execute(
                    "INSERT INTO bench_replay_players"
                    " (client, player_id, token_hash, session_id, player_code)"
                    " SELECT %s, player_id, token_hash, id, %s FROM player_sessions"
                    " WHERE player_id = %s AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1",
                    (client, account_code(PlayerAccount(player_id, CURRENCY)), player_id),
                )
                if cursor.rowcount != 1:
                    raise SystemExit(f"replay: player {player_id} has no live session")
                if provider is None:
                    continue
                cursor.execute(
                    "UPDATE bench_replay_players AS p SET game_token_hash = k.token_hash,"
                    " game_session_id = k.sign_in_session_id"
                    " FROM (SELECT k.token_hash, k.sign_in_session_id FROM game_tokens AS k"
                    " JOIN game_providers AS g ON g.id = k.provider_id"
                    " WHERE k.player_id = %s AND g.name = %s ORDER BY k.created_at DESC LIMIT 1) AS k"
                    " WHERE p.client = %s",
                    (player_id, provider, client),
                )
                if cursor.rowcount != 1:
                    raise SystemExit(f"replay: player {player_id} has no game token of {provider}")
            cursor.executemany(
                "INSERT INTO bench_replay_buckets VALUES (%s, %s)",
                [
                    (bucket, account_code(HouseAccount(HouseBook.REVENUE, CURRENCY), bucket=bucket))
                    for bucket in range(REVENUE_BUCKETS)
                ],
            )


def _replay(
    uri: str,
    workdir: Path,
    label: str,
    *,
    scripts: dict[str, str],
    clients: int,
    seconds: float,
    written: str,
) -> Measurement:
    """pgbench running the scripts (equally often) as ``clients`` clients; ``written`` counts the rows
    the transactions must have left, one each."""
    files = []
    for name, script in scripts.items():
        path = workdir / f"replay-{name}.sql"
        path.write_text(script)
        files.append(f"--file={path}@1")
    try:
        measured = run_pgbench(
            label,
            uri,
            scripts=["--protocol=prepared", "--no-vacuum", *files],
            clients=clients,
            seconds=seconds,
            logs=workdir / f"replay-logs-{next(iter(scripts))}",
        )
        with psycopg.connect(uri) as conn:
            found = conn.execute(written).fetchone()
        # Every transaction pgbench counted must have done all of its writes.
        if found is None or found[0] < len(measured.latencies):
            raise SystemExit(f"replay: {found} rows written for {len(measured.latencies)} transactions")
        return measured
    finally:
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_replay_players, bench_replay_buckets")


def measure_round_replay(
    uri: str, workdir: Path, players: Sequence[uuid.UUID], seconds: float
) -> Measurement:
    """pgbench at a client per player (each on its own player, as the spread HTTP measurement)."""
    prepare(uri, players)
    return _replay(
        uri,
        workdir,
        f"pgbench replaying a dice round's statements, {len(players)} clients, a player each",
        scripts={"won": round_script(won=True), "lost": round_script(won=False)},
        clients=len(players),
        seconds=seconds,
        written="SELECT count(*) FROM game_rounds AS r JOIN ledger_transfers AS t ON t.id = r.transfer_id"
        " WHERE r.idempotency_key LIKE 'replay-%'",
    )


def measure_hub88_replay(
    uri: str, workdir: Path, players: Sequence[uuid.UUID], seconds: float, *, provider: str, game: str
) -> Measurement:
    """pgbench replaying Hub88 bets, a client per player with its game token of ``provider``."""
    prepare(uri, players, provider=provider)
    return _replay(
        uri,
        workdir,
        f"pgbench replaying a Hub88 bet's statements, {len(players)} clients, a player each",
        scripts={"hub88": hub88_script(provider, game)},
        clients=len(players),
        seconds=seconds,
        written="SELECT count(*) FROM provider_transactions AS p"
        " JOIN ledger_transfers AS t ON t.id = p.transfer_id WHERE p.transaction_uuid LIKE 'hub88-replay-%'",
    )
