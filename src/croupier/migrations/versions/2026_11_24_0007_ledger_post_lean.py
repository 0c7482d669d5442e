"""ledger_post in three statements: lock and check in one, then the transfer, then balances and entries

Revision ID: 0007_ledger_post_lean
Revises: 0006_ledger_post
Create Date: 2026-11-24 12:00:00.000000

Same signature, outcomes and rules as 0006. The accounts are locked and every
check (missing accounts, funds, bigint range) is made in one statement; the key
is claimed by the transfer insert itself, and looked up only when a check
refused (so that a replay still gets its original answer); balances and entries
are written by one statement. On this project's machine the function alone runs
about a fifth faster under pgbench at 32 clients.
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

revision: str = "0007_ledger_post_lean"
down_revision: str | None = "0006_ledger_post"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEDGER_POST = """
CREATE OR REPLACE FUNCTION ledger_post(
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
-- Outcomes as before: 'posted', 'exists', 'shortfall' (detail: the currency),
-- 'out_of_range'. Nothing is written unless the outcome is 'posted', except
-- missing accounts.
DECLARE
    touched text[] := p_codes || p_held_codes;
    wanted integer;
    locked integer;
    short text;
    too_big boolean;
BEGIN
    -- Every account touched, locked in ascending id order (two transfers cannot
    -- deadlock), and the checks made on the locked rows, in one statement.
    -- Debits are covered by what is available before this transfer's credits (a
    -- round's payout never pays for its own stake); what a posted hold releases
    -- in the same step is available to it. A hold must fit in the new balance.
    LOOP
        SELECT count(*),
               (SELECT count(DISTINCT c) FROM unnest(touched) AS c),
               (array_agg(a.currency ORDER BY a.id) FILTER (WHERE a.is_player AND (
                    a.balance - a.held - least(coalesce(h.delta, 0), 0) + coalesce(l.debits, 0) < 0
                    OR (coalesce(h.delta, 0) > 0 AND a.balance + coalesce(l.net, 0) - a.held - h.delta < 0)
               )))[1],
               coalesce(bool_or(abs(a.balance + coalesce(l.net, 0)) > 9223372036854775807), false)
        INTO locked, wanted, short, too_big
        FROM (
            SELECT id, code, currency, balance, held, is_player FROM ledger_accounts
            WHERE code = ANY (touched) ORDER BY id FOR UPDATE
        ) AS a
        LEFT JOIN (
            SELECT code, sum(amount) AS net, sum(least(amount, 0)) AS debits
            FROM unnest(p_codes, p_amounts) AS l(code, amount) GROUP BY code
        ) AS l ON l.code = a.code
        LEFT JOIN (
            SELECT code, sum(delta) AS delta
            FROM unnest(p_held_codes, p_held_deltas) AS h(code, delta) GROUP BY code
        ) AS h ON h.code = a.code;
        EXIT WHEN locked = wanted;
        -- A first transfer on some account: create what is missing (code order, so
        -- concurrent creators queue alike; a player who does not exist is refused by
        -- the foreign key), then lock and check again.
        INSERT INTO ledger_accounts (code, kind, player_id, currency, balance, held, is_player, created_at)
        SELECT DISTINCT ON (l.code)
               l.code, l.kind, l.player_id, l.currency, 0, 0, l.player_id IS NOT NULL, p_at
        FROM unnest(p_codes, p_kinds, p_players, p_currencies) AS l(code, kind, player_id, currency)
        WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts AS a WHERE a.code = l.code)
        ORDER BY l.code
        ON CONFLICT (code) DO NOTHING;
        -- Nothing created and nothing new committed meanwhile: a held code with no
        -- account (a caller's bug); fail rather than loop.
        IF NOT FOUND AND locked = (SELECT count(*) FROM ledger_accounts WHERE code = ANY (touched)) THEN
            RAISE EXCEPTION 'ledger_post: an account named is neither found nor creatable';
        END IF;
    END LOOP;

    -- A refusal answers 'exists' if the key is taken: a replay is answered as the
    -- original was, whatever the balances are now.
    IF short IS NOT NULL OR too_big THEN
        IF p_find_existing AND EXISTS (
            SELECT 1 FROM ledger_transfers WHERE source = p_source AND idempotency_key = p_key
        ) THEN
            RETURN QUERY SELECT 'exists'::text, NULL::text;
        ELSIF short IS NOT NULL THEN
            RETURN QUERY SELECT 'shortfall'::text, short;
        ELSE
            RETURN QUERY SELECT 'out_of_range'::text, NULL::text;
        END IF;
        RETURN;
    END IF;

    INSERT INTO ledger_transfers
        (id, source, idempotency_key, request_hash, kind, status, error_code, player_id, metadata, created_at)
    VALUES (p_transfer_id, p_source, p_key, p_hash, p_kind, 'posted', NULL, p_player_id, p_metadata, p_at)
    ON CONFLICT (source, idempotency_key) DO NOTHING;
    IF NOT FOUND THEN
        -- Taken: by an earlier transfer, or a concurrent first attempt that committed
        -- while we waited.
        RETURN QUERY SELECT 'exists'::text, NULL::text;
        RETURN;
    END IF;

    -- Balances moved, and the entries written in leg order (their ids follow the
    -- legs), each with its account's running balance.
    WITH changes AS (
        SELECT code, sum(net) AS net, sum(held) AS held FROM (
            SELECT code, amount AS net, 0::bigint AS held FROM unnest(p_codes, p_amounts) AS l(code, amount)
            UNION ALL
            SELECT code, 0::bigint, delta FROM unnest(p_held_codes, p_held_deltas) AS h(code, delta)
        ) AS c GROUP BY code
    ), moved AS (
        UPDATE ledger_accounts AS a SET balance = a.balance + d.net, held = a.held + d.held
        FROM changes AS d WHERE a.code = d.code
        RETURNING a.id, a.code, a.balance - d.net AS before
    )
    INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at)
    SELECT p_transfer_id, m.id, l.amount,
           m.before + sum(l.amount) OVER (PARTITION BY l.code ORDER BY l.leg), p_at
    FROM unnest(p_codes, p_amounts) WITH ORDINALITY AS l(code, amount, leg)
    JOIN moved AS m ON m.code = l.code
    ORDER BY l.leg;

    RETURN QUERY SELECT 'posted'::text, NULL::text;
END
$$
"""


def upgrade() -> None:
    op.execute(LEDGER_POST)


def downgrade() -> None:
    previous = import_module("croupier.migrations.versions.2026_11_24_0006_ledger_post")
    op.execute(previous.LEDGER_POST.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
