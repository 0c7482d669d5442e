"""Rule sets and rules as the staff API and the CLI show and accept them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from croupier.risk.rules import RuleSpec


class RuleView(BaseModel):
    # A misspelt field (``expresion``) is refused, not silently left at its default.
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64, description="Lower-case letters, digits and underscores.")
    typology: str = Field(max_length=32)
    triggers: list[str] = Field(
        min_length=1,
        max_length=20,
        description="decide:<action> (inline) or event:<event kind> (the consumer).",
    )
    expression: str = Field(max_length=2000, description="A rule-engine expression over features and params.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Thresholds, by name, for the expression."
    )
    action: str = Field("review", description="review or deny.")
    score: float = Field(0.5, ge=0, le=1)
    mode: str = Field("active", description="active, or shadow: evaluated and recorded, never acting.")
    description: str = Field("", max_length=500)

    def spec(self) -> RuleSpec:
        return RuleSpec(**self.model_dump())


class RuleSetView(BaseModel):
    name: str
    version: int
    status: str
    created_by: str
    created_at: datetime
    published_at: datetime | None
    rules: list[RuleView]


class RuleSetList(BaseModel):
    items: list[RuleSetView]


class BacktestReport(BaseModel):
    rule_set: str
    since: datetime
    events: int
    by_rule: dict[str, int]
    by_typology: dict[str, int]
    by_action: dict[str, int]
    shadow_by_rule: dict[str, int]
