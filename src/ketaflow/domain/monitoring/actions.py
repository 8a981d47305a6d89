"""What the nurse does next: the actions a monitoring finding can ask for, and the rule rows that carry one.

Every monitoring rule row is a screening-style rule basis (id, effect, message, cited sources) plus an
``action``. The effect says how the finding weighs in the record; the action says what to do at the bedside.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.basis import Effect, Finding, JsonValue
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, SourceRegistry


class Phase(StrEnum):
    """The part of the visit a reading belongs to."""

    INFUSING = "infusing"
    RECOVERY = "recovery"


class Action(StrEnum):
    """What to do next, ordered mildest to strongest."""

    CONTINUE = "continue"
    RECHECK = "recheck"
    NOTIFY_PHYSICIAN = "notify_physician"
    PAUSE = "pause"
    STOP = "stop"

    @property
    def rank(self) -> int:
        return _ACTION_ORDER.index(self)


_ACTION_ORDER = list(Action)


def strongest(actions: Iterable[Action]) -> Action:
    """The strongest of the actions; ``continue`` when there are none.

    >>> strongest([Action.RECHECK, Action.PAUSE, Action.NOTIFY_PHYSICIAN]).value
    'pause'
    >>> strongest([]).value
    'continue'
    """
    return max(actions, key=lambda action: action.rank, default=Action.CONTINUE)


# How a finding with this action may weigh in the record (not a clinical threshold: a consistency check on the
# rule data, so that a "stop" can never be filed as "info").
EFFECTS_BY_ACTION: Mapping[Action, frozenset[Effect]] = {
    Action.CONTINUE: frozenset({Effect.INFO, Effect.WARN, Effect.INSUFFICIENT_DATA}),
    Action.RECHECK: frozenset({Effect.INFO, Effect.WARN, Effect.INSUFFICIENT_DATA}),
    Action.NOTIFY_PHYSICIAN: frozenset({Effect.WARN, Effect.HOLD}),
    Action.PAUSE: frozenset({Effect.HOLD}),
    Action.STOP: frozenset({Effect.BLOCK}),
}

ACTION_KEYS = BASIS_KEYS | {"action"}


@dataclass(frozen=True, slots=True)
class MonitoringFinding:
    """A finding with the bedside action it asks for."""

    finding: Finding
    action: Action

    def to_json(self) -> dict[str, JsonValue]:
        return {**self.finding.to_json(), "action": self.action.value}


@dataclass(frozen=True, slots=True)
class ActionRule:
    """One rule row: its basis (id, effect, message, source) and its action."""

    basis: RuleBasis
    action: Action

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry, *, placeholders: Collection[str]) -> ActionRule:
        """Read the basis and the action; the caller has checked the row's keys."""
        basis = RuleBasis.from_fields(f, sources, placeholders=placeholders)
        action = f.get_enum("action", Action)
        allowed = EFFECTS_BY_ACTION[action]
        if basis.effect not in allowed:
            wanted = " or ".join(sorted(effect.value for effect in allowed))
            raise f.fail("effect", f"{wanted} for the action {action.value}", basis.effect.value)
        return cls(basis=basis, action=action)

    @property
    def rule_id(self) -> str:
        return self.basis.rule_id

    def make_finding(self, values: Mapping[str, str], inputs: Mapping[str, JsonValue]) -> MonitoringFinding:
        return MonitoringFinding(self.basis.make_finding(values, inputs), self.action)


def read_action_rule(f: JsonFields, key: str, sources: SourceRegistry, placeholders: Collection[str]) -> ActionRule:
    """A rule row held under ``key`` that has nothing but the basis keys and an action."""
    row = f.get_object(key)
    row.check_keys(ACTION_KEYS)
    return ActionRule.from_fields(row, sources, placeholders=placeholders)
