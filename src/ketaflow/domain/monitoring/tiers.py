"""The monitoring tiers: a vital sign against an absolute anchor, a change from baseline, a sedation score.

Each tier is one row of rule data. It answers two questions about a reading: does the reading meet the tier
(``matches``, also asked of earlier readings by the trend rule), and what finding does it give
(``make_finding``, with the values it read as inputs). Changes are compared after rounding away floating-point
noise, so 158.4 - 120 is a rise of exactly 38.4 mmHg.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.monitoring.actions import ACTION_KEYS, ActionRule, MonitoringFinding
from ketaflow.domain.monitoring.observation import (
    CADSS_TOTAL_HIGHEST,
    CADSS_TOTAL_LOWEST,
    MOAA_S_HIGHEST,
    MOAA_S_LOWEST,
    Observation,
)
from ketaflow.domain.ruledata.comparison import Comparison
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import SourceRegistry, format_number
from ketaflow.domain.vitals import Vitals, VitalSign

# Not clinical: the number of decimals kept before comparing, to drop binary floating-point noise.
_DECIMALS = 6
_LIMIT_LOW, _LIMIT_HIGH = 0.0, 300.0  # no vital-sign limit lies outside this (a typing error in the rule file)


def rounded(value: float) -> float:
    """A computed change without binary floating-point noise."""
    return round(value, _DECIMALS)


def format_signed(value: float) -> str:
    """A change with its sign.

    >>> format_signed(12.0), format_signed(-3.5), format_signed(0.0)
    ('+12', '-3.5', '+0')
    """
    return ("+" if value >= 0 else "") + format_number(value)


def format_with_unit(numbers: str, sign: VitalSign) -> str:
    """``150/95 mmHg``, ``91%``, ``120/min``."""
    unit = sign.unit
    return f"{numbers} {unit}" if unit[0].isalpha() else f"{numbers}{unit}"


@dataclass(frozen=True, slots=True)
class ReadingContext:
    """One reading and what it is judged against."""

    observation: Observation
    baseline: Vitals
    minutes_since_start: float
    in_expected_rise_window: bool

    @property
    def minutes_text(self) -> str:
        return format_number(self.minutes_since_start)


class Tier(Protocol):
    """What the evaluation asks of every tier."""

    @property
    def rule(self) -> ActionRule: ...

    @property
    def reads(self) -> tuple[str, ...]:
        """The observation fields (vital signs or scales) this tier needs."""
        ...

    @property
    def from_baseline(self) -> tuple[str, ...]:
        """The vital signs this tier compares with the patient's baseline (none for an absolute anchor)."""
        ...

    def matches(self, context: ReadingContext) -> bool: ...

    def make_finding(self, context: ReadingContext) -> MonitoringFinding: ...


class Combine(StrEnum):
    """Whether any one sign beyond its limit is enough, or all must be."""

    ANY = "any"
    ALL = "all"

    @property
    def wording(self) -> str:
        return {"any": "either value", "all": "both values"}[self.value]


class Direction(StrEnum):
    RISE = "rise"
    FALL = "fall"
    EITHER = "either"


class Window(StrEnum):
    """When a change tier applies, relative to the expected-rise window."""

    ALWAYS = "always"
    INSIDE = "inside_expected_rise_window"
    OUTSIDE = "outside_expected_rise_window"

    def applies(self, in_window: bool) -> bool:
        return self is Window.ALWAYS or (self is Window.INSIDE) == in_window


class Scale(StrEnum):
    """The bedside scales a tier may read; the value is the field name in a reading."""

    MOAA_S = "moaa_s"
    CADSS_TOTAL = "cadss_total"

    @property
    def label(self) -> str:
        return {"moaa_s": "MOAA/S", "cadss_total": "CADSS total"}[self.value]

    def get(self, observation: Observation) -> int | None:
        value: int | None = getattr(observation, self.value)
        return value


_SCALE_RANGES = {
    Scale.MOAA_S: (MOAA_S_LOWEST, MOAA_S_HIGHEST),
    Scale.CADSS_TOTAL: (CADSS_TOTAL_LOWEST, CADSS_TOTAL_HIGHEST),
}
_RISING = (Comparison.ABOVE, Comparison.AT_OR_ABOVE)

ABSOLUTE_PLACEHOLDERS = ("value", "limit", "comparison", "combine", "minutes_since_start")
CHANGE_PLACEHOLDERS = ("changes", "limit_pct", "comparison", "direction", "minutes_since_start")
SCALE_PLACEHOLDERS = ("score", "limit", "comparison", "minutes_since_start")


def _vital_signs(f: JsonFields, key: str) -> tuple[VitalSign, ...]:
    signs = f.get_enums(key, VitalSign)
    if not signs or len(set(signs)) != len(signs):
        raise f.fail(key, "a non-empty list of distinct vital signs", [sign.value for sign in signs])
    return signs


@dataclass(frozen=True, slots=True)
class AbsoluteTier:
    """Vital signs against fixed anchors, e.g. systolic >180 or diastolic >110 mmHg."""

    rule: ActionRule
    limits: tuple[tuple[VitalSign, float], ...]
    comparison: Comparison
    combine: Combine
    exempt_at_or_above_baseline: bool = False

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> AbsoluteTier:
        f.check_keys(ACTION_KEYS | {"kind", "limits", "comparison", "combine", "exempt_at_or_above_baseline"})
        limits_f = f.get_object("limits")
        limits_f.check_keys({sign.value for sign in VitalSign})
        limits = tuple(
            (sign, limits_f.get_number(sign.value, low=_LIMIT_LOW, high=_LIMIT_HIGH))
            for sign in VitalSign
            if limits_f.has(sign.value)
        )
        if not limits:
            raise f.fail("limits", "at least one vital-sign limit")
        if len({sign.unit for sign, _ in limits}) > 1:
            raise f.fail("limits", "vital signs measured in one unit (e.g. systolic and diastolic mmHg)")
        return cls(
            rule=ActionRule.from_fields(f, sources, placeholders=ABSOLUTE_PLACEHOLDERS),
            limits=limits,
            comparison=f.get_enum("comparison", Comparison),
            combine=f.get_enum("combine", Combine),
            exempt_at_or_above_baseline=f.get_optional_bool("exempt_at_or_above_baseline") or False,
        )

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(sign.value for sign, _ in self.limits)

    @property
    def from_baseline(self) -> tuple[str, ...]:
        # The baseline only exempts a reading here; without one the anchor applies as it stands.
        return ()

    def _beyond(self, sign: VitalSign, limit: float, context: ReadingContext) -> bool:
        value = context.observation.vitals.get(sign)
        if value is None:
            return False
        baseline = context.baseline.get(sign)
        if self.exempt_at_or_above_baseline and baseline is not None and value >= baseline:
            return False
        return self.comparison.holds(value, limit)

    def matches(self, context: ReadingContext) -> bool:
        beyond = [self._beyond(sign, limit, context) for sign, limit in self.limits]
        return all(beyond) if self.combine is Combine.ALL else any(beyond)

    def make_finding(self, context: ReadingContext) -> MonitoringFinding:
        vitals = context.observation.vitals
        first_sign = self.limits[0][0]
        value = "/".join(
            "-" if (reading := vitals.get(sign)) is None else format_number(reading) for sign, _ in self.limits
        )
        values = {
            "value": format_with_unit(value, first_sign),
            "limit": format_with_unit("/".join(format_number(limit) for _, limit in self.limits), first_sign),
            "comparison": self.comparison.wording,
            "combine": self.combine.wording,
            "minutes_since_start": context.minutes_text,
        }
        inputs: dict[str, JsonValue] = {f"reading.{sign.value}": vitals.get(sign) for sign, _ in self.limits}
        if self.exempt_at_or_above_baseline:
            inputs |= {f"baseline.{sign.value}": context.baseline.get(sign) for sign, _ in self.limits}
        inputs["minutes_since_start"] = context.minutes_since_start
        return self.rule.make_finding(values, inputs)


@dataclass(frozen=True, slots=True)
class Change:
    """One sign's change from baseline, in percent of the baseline value."""

    sign: VitalSign
    value: float
    baseline: float

    @property
    def change_pct(self) -> float:
        return rounded((self.value - self.baseline) / self.baseline * 100)

    def describe(self) -> str:
        pair = f"{format_number(self.value)} vs baseline {format_number(self.baseline)}"
        return f"{self.sign.label} {format_with_unit(pair, self.sign)} ({format_signed(self.change_pct)}%)"


def list_changes(signs: Sequence[VitalSign], context: ReadingContext) -> list[Change]:
    """The changes from baseline of the signs measured both now and at baseline."""
    changes = []
    for sign in signs:
        value, baseline = context.observation.vitals.get(sign), context.baseline.get(sign)
        if value is not None and baseline is not None:
            changes.append(Change(sign, value, baseline))
    return changes


@dataclass(frozen=True, slots=True)
class ChangeTier:
    """A change from the patient's baseline beyond a percentage, e.g. PADSS's 'more than 20%'."""

    rule: ActionRule
    signs: tuple[VitalSign, ...]
    direction: Direction
    limit_pct: float
    comparison: Comparison
    window: Window

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> ChangeTier:
        f.check_keys(ACTION_KEYS | {"kind", "signs", "direction", "limit_pct", "comparison", "window"})
        comparison = f.get_enum("comparison", Comparison)
        if comparison not in _RISING:
            raise f.fail("comparison", "> or >= (a change beyond a percentage)", comparison.value)
        return cls(
            rule=ActionRule.from_fields(f, sources, placeholders=CHANGE_PLACEHOLDERS),
            signs=_vital_signs(f, "signs"),
            direction=f.get_enum("direction", Direction),
            limit_pct=f.get_number("limit_pct", low=0, high=1000),
            comparison=comparison,
            window=f.get_enum("window", Window),
        )

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(sign.value for sign in self.signs)

    @property
    def from_baseline(self) -> tuple[str, ...]:
        return self.reads

    def _beyond(self, change: Change) -> bool:
        directed = {
            Direction.RISE: change.change_pct,
            Direction.FALL: -change.change_pct,
            Direction.EITHER: abs(change.change_pct),
        }[self.direction]
        return self.comparison.holds(directed, self.limit_pct)

    def _beyond_changes(self, context: ReadingContext) -> list[Change]:
        if not self.window.applies(context.in_expected_rise_window):
            return []
        return [change for change in list_changes(self.signs, context) if self._beyond(change)]

    def matches(self, context: ReadingContext) -> bool:
        return bool(self._beyond_changes(context))

    def make_finding(self, context: ReadingContext) -> MonitoringFinding:
        values = {
            "changes": "; ".join(change.describe() for change in self._beyond_changes(context)),
            "limit_pct": format_number(self.limit_pct),
            "comparison": self.comparison.wording,
            "direction": self.direction.value,
            "minutes_since_start": context.minutes_text,
        }
        inputs: dict[str, JsonValue] = {}
        for sign in self.signs:
            inputs[f"reading.{sign.value}"] = context.observation.vitals.get(sign)
            inputs[f"baseline.{sign.value}"] = context.baseline.get(sign)
        for change in list_changes(self.signs, context):
            inputs[f"change_pct.{change.sign.value}"] = change.change_pct
        inputs["minutes_since_start"] = context.minutes_since_start
        return self.rule.make_finding(values, inputs)


@dataclass(frozen=True, slots=True)
class ScaleTier:
    """A bedside score at or beyond a level, e.g. MOAA/S at or below 2."""

    rule: ActionRule
    scale: Scale
    limit: int
    comparison: Comparison

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> ScaleTier:
        f.check_keys(ACTION_KEYS | {"kind", "scale", "limit", "comparison"})
        scale = f.get_enum("scale", Scale)
        low, high = _SCALE_RANGES[scale]
        return cls(
            rule=ActionRule.from_fields(f, sources, placeholders=SCALE_PLACEHOLDERS),
            scale=scale,
            limit=f.get_int("limit", low=low, high=high),
            comparison=f.get_enum("comparison", Comparison),
        )

    @property
    def reads(self) -> tuple[str, ...]:
        return (self.scale.value,)

    @property
    def from_baseline(self) -> tuple[str, ...]:
        return ()

    def matches(self, context: ReadingContext) -> bool:
        score = self.scale.get(context.observation)
        return score is not None and self.comparison.holds(score, self.limit)

    def make_finding(self, context: ReadingContext) -> MonitoringFinding:
        score = self.scale.get(context.observation)
        values = {
            "score": "not recorded" if score is None else str(score),
            "limit": str(self.limit),
            "comparison": self.comparison.wording,
            "minutes_since_start": context.minutes_text,
        }
        inputs: dict[str, JsonValue] = {
            f"reading.{self.scale.value}": score,
            "minutes_since_start": context.minutes_since_start,
        }
        return self.rule.make_finding(values, inputs)


_TIER_KINDS: dict[str, Callable[[JsonFields, SourceRegistry], Tier]] = {
    "absolute": AbsoluteTier.from_fields,
    "change": ChangeTier.from_fields,
    "scale": ScaleTier.from_fields,
}


def read_tier(f: JsonFields, sources: SourceRegistry) -> Tier:
    """One tier row, by its ``kind``."""
    kind = f.data.get("kind")
    if not isinstance(kind, str) or kind not in _TIER_KINDS:
        raise f.fail("kind", "one of " + ", ".join(_TIER_KINDS), kind)
    return _TIER_KINDS[kind](f, sources)
