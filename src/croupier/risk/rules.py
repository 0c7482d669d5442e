"""Rules as data: an expression over the features (and the rule's own parameters),
compiled with ``rule-engine`` (a typed expression language with its own grammar; nothing
is passed to ``eval``), checked on save and cached per active rule set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import rule_engine

from croupier.events.kinds import EventKind
from croupier.kit.errors import CroupierError
from croupier.risk import features
from croupier.risk.models import RuleAction, RuleMode
from croupier.risk.typologies import Typology


class Action:
    """What decide() is asked about."""

    SIGN_IN = "sign_in"
    REGISTRATION = "registration"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    BET = "bet"
    ALL = ("sign_in", "registration", "deposit", "withdrawal", "bet")


TRIGGERS = frozenset([f"decide:{a}" for a in Action.ALL] + [f"event:{k}" for k in EventKind])
ONCE_PER = ("event", "day", "player")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_MAX_EXPRESSION = 2000


class InvalidRule(CroupierError):
    code = "invalid_rule"
    status = 422
    title = "The rule is not valid"


@dataclass(frozen=True)
class RuleSpec:
    """A rule as written: what the CLI and the API accept and show."""

    name: str
    typology: str
    triggers: list[str]
    expression: str
    params: dict[str, Any] = field(default_factory=dict)
    action: str = RuleAction.REVIEW
    score: float = 0.5
    mode: str = RuleMode.ACTIVE
    description: str = ""


@dataclass(frozen=True)
class CompiledRule:
    spec: RuleSpec
    version: int
    rule: rule_engine.Rule

    @property
    def source(self) -> str:
        return f"rule:{self.spec.name}@{self.version}"

    @property
    def once_per(self) -> str:
        value = self.spec.params.get("once_per", "event")
        return value if value in ONCE_PER else "event"

    def matches(self, values: Mapping[str, Any]) -> bool:
        """Whether the rule holds; an evaluation error (a missing currency in a mapping …) is a miss."""
        try:
            return bool(self.rule.matches({**values, **self.spec.params}))
        except rule_engine.errors.EngineError:
            return False


def _param_type(name: str, value: Any) -> Any:
    if isinstance(value, bool):
        return rule_engine.DataType.BOOLEAN
    if isinstance(value, int | float):
        return rule_engine.DataType.FLOAT
    if isinstance(value, str):
        return rule_engine.DataType.STRING
    if (
        isinstance(value, Mapping)
        and value
        and all(isinstance(k, str) for k in value)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values())
    ):
        return rule_engine.DataType.MAPPING(rule_engine.DataType.STRING, rule_engine.DataType.FLOAT)
    raise InvalidRule(
        f"Parameter {name!r} must be a number, a boolean, a string or a mapping of strings to numbers."
    )


def _check_fields(spec: RuleSpec) -> None:
    if not _NAME.match(spec.name):
        raise InvalidRule(
            "A rule's name is 1-64 lower-case letters, digits and underscores, starting with a letter."
        )
    if spec.typology not in {str(t) for t in Typology}:
        raise InvalidRule(f"Unknown typology {spec.typology!r}; one of: {', '.join(Typology)}.")
    if spec.action not in {str(a) for a in RuleAction}:
        raise InvalidRule("A rule's action is 'review' or 'deny'.")
    if spec.mode not in {str(m) for m in RuleMode}:
        raise InvalidRule("A rule's mode is 'active' or 'shadow'.")
    if not 0.0 <= spec.score <= 1.0:
        raise InvalidRule("A rule's score is between 0 and 1.")
    if not spec.triggers:
        raise InvalidRule("A rule needs at least one trigger (decide:<action> or event:<kind>).")
    unknown = [t for t in spec.triggers if t not in TRIGGERS]
    if unknown:
        raise InvalidRule(
            f"Unknown trigger {unknown[0]!r}: use decide:<{'|'.join(Action.ALL)}> or event:<event kind>."
        )
    if not spec.expression.strip() or len(spec.expression) > _MAX_EXPRESSION:
        raise InvalidRule(f"A rule's expression is 1-{_MAX_EXPRESSION} characters.")


def compile_rule(spec: RuleSpec, *, version: int = 0) -> CompiledRule:
    """Check ``spec`` and compile its expression; ``InvalidRule`` says what is wrong."""
    _check_fields(spec)
    types = {f.name: f.type for f in features.CATALOGUE}
    for name, value in spec.params.items():
        if name == "once_per":
            if value not in ONCE_PER:
                raise InvalidRule(f"Parameter 'once_per' is one of: {', '.join(ONCE_PER)}.")
            continue
        if not _NAME.match(name):
            raise InvalidRule(f"Parameter name {name!r} is not valid.")
        if name in features.NAMES:
            raise InvalidRule(f"Parameter {name!r} has the name of a feature.")
        types[name] = _param_type(name, value)
    context = rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(types))
    try:
        rule = rule_engine.Rule(spec.expression, context=context)
    except rule_engine.errors.SymbolResolutionError as exc:
        raise InvalidRule(f"Unknown feature or parameter {exc.symbol_name!r} in the expression.") from None
    except rule_engine.errors.RuleSyntaxError as exc:
        raise InvalidRule(f"The expression is malformed: {exc.message}.") from None
    except rule_engine.errors.EngineError as exc:
        raise InvalidRule(f"The expression is not valid: {exc.message}.") from None
    result = rule.statement.expression.result_type
    if result not in (rule_engine.DataType.BOOLEAN, rule_engine.DataType.UNDEFINED):
        raise InvalidRule(f"The expression must be true or false, not {result.name.lower()}.")
    return CompiledRule(spec=spec, version=version, rule=rule)


@dataclass(frozen=True)
class CompiledSet:
    """An active rule set, compiled once, its rules indexed by trigger."""

    id: Any
    name: str
    version: int
    by_trigger: dict[str, list[CompiledRule]]

    @classmethod
    def of(cls, set_id: Any, name: str, version: int, specs: Sequence[RuleSpec]) -> CompiledSet:
        by_trigger: dict[str, list[CompiledRule]] = {}
        for spec in specs:
            try:
                compiled = compile_rule(spec, version=version)
            except InvalidRule:
                # Refused on save; a rule that no longer compiles (a feature renamed) is skipped.
                continue
            for trigger in spec.triggers:
                by_trigger.setdefault(trigger, []).append(compiled)
        return cls(id=set_id, name=name, version=version, by_trigger=by_trigger)

    def rules_for(self, trigger: str) -> list[CompiledRule]:
        return self.by_trigger.get(trigger, [])
