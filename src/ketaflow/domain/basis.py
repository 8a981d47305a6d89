"""The basis of a recommendation: which rule, which version, which inputs, which published source.

Every finding, alert and decision that ketaflow shows carries one, so a clinician can review
why the software said what it said (FDA non-device CDS criterion 4; DESIGN.md "Show the basis").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

JsonScalar: TypeAlias = str | int | float | bool | None
JsonValue: TypeAlias = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]


class Effect(StrEnum):
    """What a finding does to the decision, from mildest to strongest."""

    INFO = "info"
    WARN = "warn"
    INSUFFICIENT_DATA = "insufficient_data"
    HOLD = "hold"
    BLOCK = "block"


class Decision(StrEnum):
    """The overall outcome of a rule evaluation."""

    PROCEED = "proceed"
    PROCEED_WITH_WARNINGS = "proceed_with_warnings"
    HOLD = "hold"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class RuleRef:
    """A rule set's identity; stored with every decision made with it."""

    id: str
    version: str

    def to_json(self) -> dict[str, JsonValue]:
        return {"id": self.id, "version": self.version}


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's conclusion with everything needed to check it by hand."""

    rule_id: str
    effect: Effect
    message: str
    source: str
    inputs: Mapping[str, JsonValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "rule_id": self.rule_id,
            "effect": self.effect.value,
            "message": self.message,
            "inputs": dict(self.inputs),
            "source": self.source,
        }


_DECISION_BY_STRONGEST: Mapping[Effect, Decision] = {
    Effect.INFO: Decision.PROCEED,
    Effect.WARN: Decision.PROCEED_WITH_WARNINGS,
    Effect.INSUFFICIENT_DATA: Decision.HOLD,
    Effect.HOLD: Decision.HOLD,
    Effect.BLOCK: Decision.BLOCK,
}
_EFFECT_ORDER = list(Effect)


def decide(findings: tuple[Finding, ...] | list[Finding]) -> Decision:
    """The decision is set by the strongest finding; missing data holds, it never passes silently.

    >>> decide([])
    <Decision.PROCEED: 'proceed'>
    >>> decide([Finding("bp.tier2", Effect.WARN, "BP above 140/90", "Spravato label")]).value
    'proceed_with_warnings'
    >>> decide([Finding("vitals.missing", Effect.INSUFFICIENT_DATA, "no BP today", "ketaflow")]).value
    'hold'
    """
    if not findings:
        return Decision.PROCEED
    strongest = max((f.effect for f in findings), key=_EFFECT_ORDER.index)
    return _DECISION_BY_STRONGEST[strongest]
