"""ledger_post: a whole transfer (accounts, locks, funds check, claim, entries, balances) in one call

Revision ID: 0006_ledger_post
Revises: 0005_games
Create Date: 2026-11-24 09:00:00.000000

The rules stay in Python (``croupier.wallet.service``): it checks and hashes the
request and decides what each outcome means. This function only does the
database's part in one round trip instead of five, without a savepoint: it
writes nothing before every check has passed.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_ledger_post"
down_revision: str | None = "0005_games"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEDGER_POST = """
CREATE FUNCTION ledger_post(
    p_transfer_id uuid,
    p_source text,
    p_key text,
    p_hash bytea,
    p_kind text,
    p_player_id uuid,
    p_metadata jsonb,
    p_at timestamptz,
    -- one element per leg, in leg order: the account's code, the signed amount,
    -- and what a missing account is created with
    p_codes text[],
    p_amounts bigint[],
    p_kinds text[],
    p_players uuid[],
    p_currencies text[],
    -- changes to held funds on player accounts (a posted hold releases its amount)
    p_held_codes text[],
    p_held_deltas bigint[],
    -- false when the caller has looked the key up itself (under a lock of its own)
    p_find_existing boolean
) RETURNS TABLE (outcome text, detail text)
LANGUAGE plpgsql AS $$
-- Outcomes: 'posted'; 'exists' (the key is taken: the caller reads the stored
-- transfer); 'shortfall' (a player account would go below zero counting held
-- funds; detail is its currency); 'out_of_range' (a balance would leave bigint).
-- Nothing is written unless the outcome is 'posted', except missing accounts.
DECLARE
    wanted text[];
    short text;
BEGIN
    IF p_find_existing AND EXISTS (
        SELECT 1 FROM ledger_transfers WHERE source = p_source AND idempotency_key = p_key
    ) THEN
        RETURN QUERY SELECT 'exists'::text, NULL::text;
        RETURN;
    END IF;

    wanted := ARRAY(SELECT DISTINCT c FROM unnest(p_codes || p_held_codes) AS c ORDER BY c);

    -- Missing accounts first, in code order so that concurrent creators queue alike.
    -- A player who does not exist is refused by the foreign key.
    INSERT INTO ledger_accounts (code, kind, player_id, currency, balance, held, is_player, created_at)
    SELECT DISTINCT ON (l.code) l.code, l.kind, l.player_id, l.currency, 0, 0, l.player_id IS NOT NULL, p_at
    FROM unnest(p_codes, p_kinds, p_players, p_currencies) AS l(code, kind, player_id, currency)
    WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts AS a WHERE a.code = l.code)
    ORDER BY l.code
    ON CONFLICT (code) DO NOTHING;

    -- Every account touched, locked in ascending id order: two transfers cannot deadlock.
    PERFORM 1 FROM ledger_accounts WHERE code = ANY (wanted) ORDER BY id FOR UPDATE;

    -- Debits are covered by what is available before this transfer's credits (a
    -- round's payout never pays for its own stake); what a posted hold releases
    -- in the same step is available to it. A hold must fit in the new balance.
    SELECT a.currency INTO short
    FROM ledger_accounts AS a
    LEFT JOIN (
        SELECT code, sum(amount) AS net, sum(least(amount, 0)) AS debits
        FROM unnest(p_codes, p_amounts) AS l(code, amount) GROUP BY code
    ) AS l ON l.code = a.code
    LEFT JOIN (
        SELECT code, sum(delta) AS delta
        FROM unnest(p_held_codes, p_held_deltas) AS h(code, delta) GROUP BY code
    ) AS h ON h.code = a.code
    WHERE a.code = ANY (wanted) AND a.is_player AND (
        a.balance - a.held - least(coalesce(h.delta, 0), 0) + coalesce(l.debits, 0) < 0
        OR (coalesce(h.delta, 0) > 0 AND a.balance + coalesce(l.net, 0) - a.held - h.delta < 0)
    )
    ORDER BY a.id LIMIT 1;
    IF FOUND THEN
        RETURN QUERY SELECT 'shortfall'::text, short;
        RETURN;
    END IF;

    IF EXISTS (
        SELECT 1 FROM ledger_accounts AS a
        JOIN (SELECT code, sum(amount::numeric) AS net FROM unnest(p_codes, p_amounts) AS l(code, amount)
              GROUP BY code) AS l ON l.code = a.code
        WHERE abs(a.balance + l.net) > 9223372036854775807
    ) THEN
        RETURN QUERY SELECT 'out_of_range'::text, NULL::text;
        RETURN;
    END IF;

    INSERT INTO ledger_transfers
        (id, source, idempotency_key, request_hash, kind, status, error_code, player_id, metadata, created_at)
    VALUES (p_transfer_id, p_source, p_key, p_hash, p_kind, 'posted', NULL, p_player_id, p_metadata, p_at)
    ON CONFLICT (source, idempotency_key) DO NOTHING;
    IF NOT FOUND THEN
        -- A concurrent first attempt with this key committed while we waited.
        RETURN QUERY SELECT 'exists'::text, NULL::text;
        RETURN;
    END IF;

    -- Entries in leg order (their ids follow the legs), each with its account's running balance.
    INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at)
    SELECT p_transfer_id, a.id, l.amount,
           a.balance + sum(l.amount) OVER (PARTITION BY l.code ORDER BY l.leg), p_at
    FROM unnest(p_codes, p_amounts) WITH ORDINALITY AS l(code, amount, leg)
    JOIN ledger_accounts AS a ON a.code = l.code
    ORDER BY l.leg;

    UPDATE ledger_accounts AS a
    SET balance = a.balance + d.net, held = a.held + d.held
    FROM (
        SELECT code, sum(net) AS net, sum(held) AS held FROM (
            SELECT code, amount AS net, 0::bigint AS held FROM unnest(p_codes, p_amounts) AS l(code, amount)
            UNION ALL
            SELECT code, 0::bigint, delta FROM unnest(p_held_codes, p_held_deltas) AS h(code, delta)
        ) AS changes GROUP BY code
    ) AS d
    WHERE a.code = d.code;

    RETURN QUERY SELECT 'posted'::text, NULL::text;
END
$$
"""


def upgrade() -> None:
    op.execute(LEDGER_POST)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION IF EXISTS ledger_post(uuid, text, text, bytea, text, uuid, jsonb, timestamptz,"
        " text[], bigint[], text[], uuid[], text[], text[], bigint[], boolean)"
    )
