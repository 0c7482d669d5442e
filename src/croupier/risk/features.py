"""The features rules are written over: their names, types and meaning, defined once.

Every evaluation (inline in ``decide()`` and in the consumer) sees every feature; one
the engine cannot know yet has a neutral value (a count of 0, ``NEVER`` hours since).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rule_engine

NEVER = 1_000_000.0
"""Hours since something that never happened: larger than any window a rule names."""

_FLOAT = rule_engine.DataType.FLOAT
_BOOL = rule_engine.DataType.BOOLEAN
_STRING = rule_engine.DataType.STRING


@dataclass(frozen=True)
class Feature:
    name: str
    type: Any
    description: str


CATALOGUE: tuple[Feature, ...] = (
    Feature(
        "action",
        _STRING,
        "What is evaluated: a decide action (deposit …) or an event kind (deposit_confirmed …).",
    ),
    Feature("amount", _FLOAT, "The amount (stake for a bet) in minor units; 0 when there is none."),
    Feature("currency", _STRING, "Its ISO 4217 currency; empty when there is none."),
    Feature("account_age_hours", _FLOAT, "Hours since registration (NEVER when the engine did not see it)."),
    Feature("new_device", _BOOL, "The request's device id was never seen for this player."),
    Feature("new_ip", _BOOL, "The request's address was never seen for this player."),
    Feature("player_sign_in_failures_1h", _FLOAT, "Failed sign-ins for this player in the last hour."),
    Feature("ip_sign_in_failures_1h", _FLOAT, "Failed sign-ins from this address in the last hour."),
    Feature("deposits_1h", _FLOAT, "Deposits the player started in the last hour."),
    Feature("deposits_24h", _FLOAT, "Deposits the player started in the last 24 hours."),
    Feature("failed_deposits_1h", _FLOAT, "The player's failed deposits in the last hour."),
    Feature(
        "declined_cards_1h", _FLOAT, "Different payment instruments declined for the player in the last hour."
    ),
    Feature(
        "card_failed_deposits_1h", _FLOAT, "Failed deposits on this payment instrument in the last hour."
    ),
    Feature("ip_deposits_1h", _FLOAT, "Deposits started from this address in the last hour."),
    Feature("accounts_on_device", _FLOAT, "Accounts seen with this device id within the link window."),
    Feature("accounts_on_card", _FLOAT, "Accounts seen with this payment instrument within the link window."),
    Feature("accounts_on_ip", _FLOAT, "Accounts seen from this address within the link window."),
    Feature("deposited", _FLOAT, "Confirmed deposits in this currency, all time (minor units)."),
    Feature("withdrawn", _FLOAT, "Withdrawals requested in this currency, all time (minor units)."),
    Feature("net_deposits", _FLOAT, "deposited - withdrawn."),
    Feature("last_deposit_amount", _FLOAT, "The last confirmed deposit in this currency; 0 when none."),
    Feature("hours_since_deposit", _FLOAT, "Hours since that deposit (NEVER when none)."),
    Feature("wagered_since_deposit", _FLOAT, "Stakes placed since that deposit (minor units)."),
    Feature("wagered_share", _FLOAT, "wagered_since_deposit / last_deposit_amount (1 when no deposit)."),
    Feature("day_deposit_count", _FLOAT, "Confirmed deposits this gaming day in this currency."),
    Feature("day_deposit_total", _FLOAT, "Their total (minor units)."),
    Feature("day_deposit_min", _FLOAT, "The smallest of them."),
    Feature("day_deposit_max", _FLOAT, "The largest of them."),
    Feature("stake_count", _FLOAT, "Bets in this currency before this one."),
    Feature("stake_mean", _FLOAT, "Their mean stake (minor units)."),
    Feature("stake_max", _FLOAT, "Their largest stake."),
    Feature("hours_since_new_device_sign_in", _FLOAT, "Hours since a sign-in from a new device and address."),
    Feature("hours_since_credential_change", _FLOAT, "Hours since a password, e-mail or MFA change."),
    Feature(
        "credential_change_after_new_device",
        _BOOL,
        "That change came after that sign-in (the takeover chain).",
    ),
    Feature(
        "anomaly_score", _FLOAT, "The streaming anomaly model's score of the player's latest event, 0..1."
    ),
)
NAMES = frozenset(f.name for f in CATALOGUE)


def neutral() -> dict[str, Any]:
    """Every feature at the value that means "nothing seen"."""
    values: dict[str, Any] = {}
    for feature in CATALOGUE:
        if feature.type is _BOOL:
            values[feature.name] = False
        elif feature.type is _STRING:
            values[feature.name] = ""
        else:
            values[feature.name] = 0.0
    for name in ("account_age_hours", "hours_since_deposit", "hours_since_new_device_sign_in"):
        values[name] = NEVER
    values["hours_since_credential_change"] = NEVER
    values["wagered_share"] = 1.0
    return values
