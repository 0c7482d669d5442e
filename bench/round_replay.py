"""The database's share of a dice round: pgbench replays the statements ``croupier serve`` sends
for one, in one transaction, from its C client, with no application in the way.

The statements are the service's own (imported, not copied): the session lookup, the draw
(replay check, nonce, sealed seed, data key), ``ledger_post`` and the settled round's insert,
with the same kinds of values: a player per client, the player's live session, the revenue
bucket chosen at random, half the rounds won (four legs) and half lost (two). The rate is the
ceiling of the HTTP dice figure on the same machine: what a client costing nothing would reach.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import psycopg
from pgbench import run_pgbench
from wallet_http import Measurement

from croupier.games.repository import DRAW_UNLESS_PLAYED, SAVE_ROUND
from croupier.identity.repository import _SESSION_PRINCIPAL
from croupier.wallet.repository import _LEDGER_POST
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


def round_script(*, won: bool) -> str:
    payout = 2 * STAKE if won else 0
    key = "('replay-' || :k::bigint)"
    codes = ["(:player_code)::text", "(:house_code)::text"]
    players = [":player_id::uuid", "NULL"]
    amounts, kinds = [-STAKE, STAKE], ["cash", "revenue"]
    if won:
        codes += ["(:house_code)::text", "(:player_code)::text"]
        players += ["NULL", ":player_id::uuid"]
        amounts += [-payout, payout]
        kinds += ["revenue", "cash"]
    ledger = bind(
        _LEDGER_POST,
        [
            ":transfer_id",
            "'games'",
            key,
            "'\\x00'",
            "'round'",
            ":player_id",
            """'{"game": "dice"}'""",
            "now()",
            f"ARRAY[{', '.join(codes)}]",
            "'{" + ",".join(map(str, amounts)) + "}'",
            "'{" + ",".join(kinds) + "}'",
            f"ARRAY[{', '.join(players)}]",
            "'{" + ",".join([CURRENCY] * len(codes)) + "}'",
            "'{}'",
            "'{}'",
            "true",
        ],
    )
    settle = bind(
        SAVE_ROUND,
        {
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
        },
    )
    draw = bind(DRAW_UNLESS_PLAYED, {"player": ":player_id::uuid", "key": key})
    return "\n".join(
        [
            "\\set k random(1, 1000000000000000)",
            f"\\set b random(0, {REVENUE_BUCKETS - 1})",
            # The values a request brings (its player and session, fresh ids), as the
            # service holds them before its first statement.
            "SELECT p.player_id, p.token_hash, p.player_code, b.code AS house_code,"
            " gen_random_uuid() AS transfer_id, gen_random_uuid() AS round_id"
            " FROM bench_replay_players AS p, bench_replay_buckets AS b"
            " WHERE p.client = :client_id AND b.bucket = :b \\gset",
            "BEGIN;",
            bind(_SESSION_PRINCIPAL, [":token_hash::bytea"]) + ";",
            draw + " \\gset",
            ledger + ";",
            settle + ";",
            "COMMIT;",
            "",
        ]
    )


def prepare(uri: str, players: Sequence[uuid.UUID]) -> None:
    """A row per pgbench client: its player, the player's newest live session, its cash account."""
    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_replay_players, bench_replay_buckets")
        conn.execute(
            "CREATE TABLE bench_replay_players"
            " (client int PRIMARY KEY, player_id uuid, token_hash bytea, player_code text)"
        )
        conn.execute("CREATE TABLE bench_replay_buckets (bucket int PRIMARY KEY, code text)")
        with conn.cursor() as cursor:
            for client, player_id in enumerate(players):
                cursor.execute(
                    "INSERT INTO bench_replay_players"
                    " SELECT %s, player_id, token_hash, %s FROM player_sessions"
                    " WHERE player_id = %s AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1",
                    (client, account_code(PlayerAccount(player_id, CURRENCY)), player_id),
                )
                if cursor.rowcount != 1:
                    raise SystemExit(f"replay: player {player_id} has no live session")
            cursor.executemany(
                "INSERT INTO bench_replay_buckets VALUES (%s, %s)",
                [
                    (bucket, account_code(HouseAccount(HouseBook.REVENUE, CURRENCY), bucket=bucket))
                    for bucket in range(REVENUE_BUCKETS)
                ],
            )


def measure_round_replay(
    uri: str, workdir: Path, players: Sequence[uuid.UUID], seconds: float
) -> Measurement:
    """pgbench at a client per player (each on its own player, as the spread HTTP measurement)."""
    prepare(uri, players)
    scripts = []
    for won in (True, False):
        path = workdir / f"replay-{'won' if won else 'lost'}.sql"
        path.write_text(round_script(won=won))
        scripts.append(f"--file={path}@1")
    try:
        measured = run_pgbench(
            f"pgbench replaying a dice round's statements, {len(players)} clients, a player each",
            uri,
            scripts=["--protocol=prepared", "--no-vacuum", *scripts],
            clients=len(players),
            seconds=seconds,
            logs=workdir / "replay-logs",
        )
        with psycopg.connect(uri) as conn:
            written = conn.execute(
                "SELECT count(*) FROM game_rounds AS r JOIN ledger_transfers AS t ON t.id = r.transfer_id"
                " WHERE r.idempotency_key LIKE 'replay-%'"
            ).fetchone()
        # Every transaction pgbench counted must have posted its transfer and saved its round.
        if written is None or written[0] < len(measured.latencies):
            raise SystemExit(f"replay: {written} rounds written for {len(measured.latencies)} transactions")
        return measured
    finally:
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("DROP TABLE IF EXISTS bench_replay_players, bench_replay_buckets")
