"""Every query on the OAuth tables."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from croupier.backoffice.oauth.models import OAuthAccessToken, OAuthAssertion, OAuthClient


async def client_by_id(session: AsyncSession, client_id: str) -> OAuthClient | None:
    """An active client by its ``client_id``."""
    return await session.scalar(
        select(OAuthClient).where(OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None))
    )


async def name_taken(session: AsyncSession, name: str) -> bool:
    return await session.scalar(select(OAuthClient.id).where(OAuthClient.name == name)) is not None


def add(session: AsyncSession, row: OAuthClient | OAuthAccessToken) -> None:
    session.add(row)


async def clients(session: AsyncSession) -> list[OAuthClient]:
    return list((await session.scalars(select(OAuthClient).order_by(OAuthClient.name))).all())


async def revoke_client(session: AsyncSession, *, client_id: str, at: datetime) -> uuid.UUID | None:
    """Mark an active client revoked, and every token it holds; its primary key, or None."""
    pk = await session.scalar(
        update(OAuthClient)
        .where(OAuthClient.client_id == client_id, OAuthClient.revoked_at.is_(None))
        .values(revoked_at=at)
        .returning(OAuthClient.id)
    )
    if pk is not None:
        await session.execute(
            update(OAuthAccessToken)
            .where(OAuthAccessToken.client_pk == pk, OAuthAccessToken.revoked_at.is_(None))
            .values(revoked_at=at)
        )
    return pk


async def use_assertion(
    session: AsyncSession, *, client_pk: uuid.UUID, jti: str, expires_at: datetime, now: datetime
) -> bool:
    """Record an assertion's ``jti``; False if the client has used it before.

    Expired rows of the client are dropped first: their assertions are refused by ``exp``
    anyway, so only the unexpired ones need remembering.
    """
    await session.execute(
        delete(OAuthAssertion).where(OAuthAssertion.client_pk == client_pk, OAuthAssertion.expires_at < now)
    )
    done = await session.execute(
        insert(OAuthAssertion)
        .values(client_pk=client_pk, jti=jti, expires_at=expires_at)
        .on_conflict_do_nothing()
        .returning(OAuthAssertion.jti)
    )
    return done.first() is not None


async def token_with_client(
    session: AsyncSession, token_hash: bytes
) -> tuple[OAuthAccessToken, OAuthClient] | None:
    """A token and its client, whatever their state: callers judge expiry and revocation."""
    row = (
        await session.execute(
            select(OAuthAccessToken, OAuthClient)
            .join(OAuthClient, OAuthClient.id == OAuthAccessToken.client_pk)
            .where(OAuthAccessToken.token_hash == token_hash)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def drop_expired_tokens(session: AsyncSession, *, client_pk: uuid.UUID, before: datetime) -> None:
    await session.execute(
        delete(OAuthAccessToken).where(
            OAuthAccessToken.client_pk == client_pk, OAuthAccessToken.expires_at < before
        )
    )


async def revoke_token(session: AsyncSession, *, token_id: uuid.UUID, at: datetime) -> bool:
    done = await session.execute(
        update(OAuthAccessToken)
        .where(OAuthAccessToken.id == token_id, OAuthAccessToken.revoked_at.is_(None))
        .values(revoked_at=at)
        .returning(OAuthAccessToken.id)
    )
    return done.first() is not None
