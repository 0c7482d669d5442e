"""The partner reports' bodies: aggregates per gaming day, nothing about any one player."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class GgrDay(BaseModel):
    gaming_day: date
    currency: str
    stakes: int = Field(description="Minor units staked")
    wins: int = Field(description="Minor units paid out")
    refunds: int = Field(description="Minor units of stakes given back (bets called off)")
    ggr: int = Field(description="stakes - wins - refunds")


class GgrReport(BaseModel):
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    days: list[GgrDay]


class PlayersDay(BaseModel):
    gaming_day: date
    new_players: int = Field(description="Registrations that day")
    active_players: dict[str, int] = Field(description="Per currency: players who staked that day")


class PlayersReport(BaseModel):
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    days: list[PlayersDay]
