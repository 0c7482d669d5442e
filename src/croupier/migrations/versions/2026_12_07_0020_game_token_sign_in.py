"""game token sign-in: game_tokens.sign_in_session_id

Revision ID: 0020_game_token_sign_in
Revises: 0019_kyc
Create Date: 2026-12-07 10:00:00.000000

A launched game's token names the sign-in session it was launched from, so that its bets
count towards that session's time limit and stop when the session ends. The column is
nullable without a default (no table rewrite): tokens issued before, and those the previous
release issues while this one rolls out, have none and play as operator test tokens do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_game_token_sign_in"
down_revision: str | None = "0019_kyc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("game_tokens", sa.Column("sign_in_session_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_game_tokens_sign_in_session_id_player_sessions"),
        "game_tokens",
        "player_sessions",
        ["sign_in_session_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        op.f("ix_game_tokens_sign_in_session_id"), "game_tokens", ["sign_in_session_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_game_tokens_sign_in_session_id"), table_name="game_tokens")
    op.drop_constraint(
        op.f("fk_game_tokens_sign_in_session_id_player_sessions"), "game_tokens", type_="foreignkey"
    )
    op.drop_column("game_tokens", "sign_in_session_id")
