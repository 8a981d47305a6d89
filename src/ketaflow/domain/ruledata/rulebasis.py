"""What every screening rule row carries: a stable id, an effect, a message template and its cited source.

The rule data names its sources once (``"sources": {"swiss_smpc_67199": {"citation": ..., "url": ...}}``)
and each rule cites them by key with a confidence tag from clinical.md: **C** read in the primary source
or its abstract, **S** read only in a secondary summary, **NF** no published number found (a ketaflow
default, labelled as such). A finding's ``source`` is the resolved citation text plus that tag.
"""

from __future__ import annotations

import re
import string
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from ketaflow.domain.basis import Effect, Finding, JsonValue
from ketaflow.domain.ruledata.fields import JsonFields

RULE_ID = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")
_SOURCE_KEY = re.compile(r"[a-z][a-z0-9_]*")


class Confidence(StrEnum):
    """How well a rule's number is sourced (the tags of clinical.md)."""

    PRIMARY = "C"
    SECONDARY = "S"
    NOT_FOUND = "NF"


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    citation: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRegistry:
    """The rule set's bibliography, by key."""

    sources: Mapping[str, Source]

    @classmethod
    def from_fields(cls, f: JsonFields) -> SourceRegistry:
        sources: dict[str, Source] = {}
        for key in f.data:
            if not _SOURCE_KEY.fullmatch(key):
                raise f.fail(key, "a source key of lower-case letters, digits and underscores", key)
            entry = f.get_object(key)
            entry.check_keys({"citation", "url"})
            sources[key] = Source(key=key, citation=entry.get_str("citation"), url=entry.get_optional_str("url"))
        if not sources:
            raise f.fail("", "at least one source")
        return cls(sources=sources)

    def cite(self, f: JsonFields, key: str = "sources") -> str:
        """The citation text for a rule's ``sources`` list and ``confidence`` tag."""
        keys = f.get_strs(key)
        if not keys:
            raise f.fail(key, "at least one source key")
        for source_key in keys:
            if source_key not in self.sources:
                raise f.fail(key, "keys defined in the rule set's sources", source_key)
        confidence = f.get_enum("confidence", Confidence)
        return "; ".join(self.sources[k].citation for k in keys) + f" [{confidence.value}]"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@dataclass(frozen=True, slots=True)
class RuleBasis:
    """One rule row's identity and wording: the part of a finding that comes from the rule data."""

    rule_id: str
    effect: Effect
    message: str
    source: str

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry, *, placeholders: Collection[str] = ()) -> RuleBasis:
        """Read ``id``, ``effect``, ``message`` and the cited source; ``placeholders`` bound the message."""
        message = f.get_str("message")
        try:
            used = _placeholders(message)
        except ValueError as exc:
            raise f.fail("message", "a message template with well-formed {placeholders}", message) from exc
        unknown = sorted(used - set(placeholders))
        if unknown:
            allowed = ", ".join("{" + name + "}" for name in sorted(placeholders)) or "none"
            raise f.fail("message", f"only the placeholders {allowed}", "{" + unknown[0] + "}")
        return cls(
            rule_id=f.get_str("id", pattern=RULE_ID, expected="a dotted lower-case rule id such as bp.tier"),
            effect=f.get_enum("effect", Effect),
            message=message,
            source=sources.cite(f),
        )

    def make_finding(
        self,
        values: Mapping[str, str],
        inputs: Mapping[str, JsonValue],
        *,
        effect: Effect | None = None,
    ) -> Finding:
        """Fill in the message and attach the inputs; ``effect`` overrides the row's own (route-dependent)."""
        return Finding(
            rule_id=self.rule_id,
            effect=effect or self.effect,
            message=self.message.format_map(values),
            source=self.source,
            inputs=dict(inputs),
        )


# Keys every rule row may carry besides its own parameters.
BASIS_KEYS = frozenset({"id", "effect", "message", "sources", "confidence", "notes"})


def format_number(value: float) -> str:
    """Numbers in messages: no trailing zeros, at most two decimals.

    >>> format_number(180.0), format_number(8.5), format_number(2 / 3)
    ('180', '8.5', '0.67')
    """
    return f"{round(value, 2):.10g}"


class HasBasis(Protocol):
    @property
    def basis(self) -> RuleBasis: ...


RowT = TypeVar("RowT", bound=HasBasis)
_EFFECT_RANK = {effect: rank for rank, effect in enumerate(Effect)}


def sort_strongest_first(rows: Sequence[RowT]) -> tuple[RowT, ...]:
    """Tiers in grading order: block before hold before warn; rows of equal effect keep the file's order."""
    return tuple(sorted(rows, key=lambda row: -_EFFECT_RANK[row.basis.effect]))
