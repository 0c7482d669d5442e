"""player postcode: players.postcode_enc

Revision ID: 0021_player_postcode
Revises: 0020_game_token_sign_in
Create Date: 2026-12-08 10:00:00.000000

The postcode a player gives at registration, sealed under their data key like the names and
the date of birth; the national register is asked with it. Nullable without a default (no
table rewrite): players registered before have none, and so do those the previous release
registers while this one rolls out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_player_postcode"
down_revision: str | None = "0020_game_token_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("players", sa.Column("postcode_enc", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("players", "postcode_enc")
