"""Criteria on today's resting vital signs: are they current, and where do they fall on the published tiers.

Vitals older than the rule set's window (or timed in the future) give "insufficient data" and are not
graded: a screening never passes on yesterday's blood pressure. Blood-pressure tiers are graded strongest
first and only the strongest matching tier is reported, so 185/105 reads "contraindicated", not also
"consider delaying".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.basis import Finding, JsonValue
from ketaflow.domain.ruledata.comparison import Comparison
from ketaflow.domain.ruledata.fields import JsonFields, format_utc
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, format_number
from ketaflow.domain.screening.facts import RuleContext, ScreeningFacts
from ketaflow.domain.screening.intake import Vitals

_SECONDS_PER_MIN = 60.0


class VitalSign(StrEnum):
    SYSTOLIC = "systolic_mmhg"
    DIASTOLIC = "diastolic_mmhg"
    HEART_RATE = "heart_rate_bpm"
    SPO2 = "spo2_pct"
    RESPIRATORY_RATE = "respiratory_rate_per_min"

    def get_value(self, vitals: Vitals) -> float | None:
        value: float | None = getattr(vitals, self.value)
        return value


def _vitals_inputs(vitals: Vitals, *signs: VitalSign) -> dict[str, JsonValue]:
    inputs: dict[str, JsonValue] = {f"vitals.{sign.value}": sign.get_value(vitals) for sign in signs}
    inputs["vitals.measured_at"] = format_utc(vitals.measured_at)
    return inputs


def _read_basis(f: JsonFields, key: str, context: RuleContext, placeholders: Sequence[str]) -> RuleBasis:
    row = f.get_object(key)
    row.check_keys(BASIS_KEYS)
    return RuleBasis.from_fields(row, context.sources, placeholders=placeholders)


_RECENCY_PLACEHOLDERS = ("measured_at", "age_min", "max_age_min", "future_tolerance_min", "screened_at")


@dataclass(frozen=True, slots=True)
class VitalsRecency:
    """Vitals must exist and be no older than ``max_age_min`` at the time of screening."""

    max_age_min: float
    future_tolerance_min: float
    missing: RuleBasis
    stale: RuleBasis
    in_future: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> VitalsRecency:
        f.check_keys({"max_age_min", "future_tolerance_min", "missing", "stale", "in_future", "notes"})
        return cls(
            max_age_min=f.get_number("max_age_min", low=1, high=7 * 24 * 60),
            future_tolerance_min=f.get_number("future_tolerance_min", low=0, high=60),
            missing=_read_basis(f, "missing", context, _RECENCY_PLACEHOLDERS),
            stale=_read_basis(f, "stale", context, _RECENCY_PLACEHOLDERS),
            in_future=_read_basis(f, "in_future", context, _RECENCY_PLACEHOLDERS),
        )


def evaluate_vitals_recency(facts: ScreeningFacts, recency: VitalsRecency) -> tuple[list[Finding], Vitals | None]:
    """The recency findings, and the vitals if they are current enough to grade."""
    values = {
        "max_age_min": format_number(recency.max_age_min),
        "future_tolerance_min": format_number(recency.future_tolerance_min),
        "screened_at": format_utc(facts.now_utc),
    }
    vitals = facts.intake.vitals
    if vitals is None:
        values |= {"measured_at": "never", "age_min": "unknown"}
        return [recency.missing.make_finding(values, {"vitals": None})], None
    age_min = (facts.now_utc - vitals.measured_at).total_seconds() / _SECONDS_PER_MIN
    values |= {"measured_at": format_utc(vitals.measured_at), "age_min": format_number(age_min)}
    inputs: dict[str, JsonValue] = {
        "vitals.measured_at": format_utc(vitals.measured_at),
        "screened_at": format_utc(facts.now_utc),
    }
    if age_min > recency.max_age_min:
        return [recency.stale.make_finding(values, inputs)], None
    if age_min < -recency.future_tolerance_min:
        return [recency.in_future.make_finding(values, inputs)], None
    return [], vitals


_BP_PLACEHOLDERS = (
    "systolic_mmhg",
    "diastolic_mmhg",
    "systolic_limit_mmhg",
    "diastolic_limit_mmhg",
    "comparison",
    "measured_at",
)


@dataclass(frozen=True, slots=True)
class BloodPressureTier:
    """Systolic or diastolic beyond its limit, compared as the source words it (">180/100" is ABOVE)."""

    basis: RuleBasis
    systolic_limit_mmhg: float
    diastolic_limit_mmhg: float
    comparison: Comparison

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> BloodPressureTier:
        f.check_keys(BASIS_KEYS | {"systolic_limit_mmhg", "diastolic_limit_mmhg", "comparison"})
        comparison = f.get_enum("comparison", Comparison)
        if comparison not in (Comparison.ABOVE, Comparison.AT_OR_ABOVE):
            raise f.fail("comparison", "> or >= (tiers grade high blood pressure)", comparison.value)
        return cls(
            basis=RuleBasis.from_fields(f, context.sources, placeholders=_BP_PLACEHOLDERS),
            systolic_limit_mmhg=f.get_number("systolic_limit_mmhg", low=60, high=300),
            diastolic_limit_mmhg=f.get_number("diastolic_limit_mmhg", low=30, high=200),
            comparison=comparison,
        )

    def matches(self, vitals: Vitals) -> bool:
        return self.comparison.holds(vitals.systolic_mmhg, self.systolic_limit_mmhg) or self.comparison.holds(
            vitals.diastolic_mmhg, self.diastolic_limit_mmhg
        )


def evaluate_blood_pressure(
    vitals: Vitals, tiers: Sequence[BloodPressureTier], below_tiers: RuleBasis
) -> list[Finding]:
    """The strongest matching tier (tiers arrive sorted strongest first), or the below-every-tier finding."""
    values = {
        "systolic_mmhg": format_number(vitals.systolic_mmhg),
        "diastolic_mmhg": format_number(vitals.diastolic_mmhg),
        "measured_at": format_utc(vitals.measured_at),
    }
    inputs = _vitals_inputs(vitals, VitalSign.SYSTOLIC, VitalSign.DIASTOLIC)
    for tier in tiers:
        if tier.matches(vitals):
            values |= {
                "systolic_limit_mmhg": format_number(tier.systolic_limit_mmhg),
                "diastolic_limit_mmhg": format_number(tier.diastolic_limit_mmhg),
                "comparison": tier.comparison.wording,
            }
            return [tier.basis.make_finding(values, inputs)]
    return [below_tiers.make_finding(values, inputs)]


def read_below_tiers(f: JsonFields, context: RuleContext) -> RuleBasis:
    return _read_basis(f, "below_tiers", context, ("systolic_mmhg", "diastolic_mmhg", "measured_at"))


_LIMIT_PLACEHOLDERS = ("sign", "value", "limit", "comparison", "measured_at")


@dataclass(frozen=True, slots=True)
class VitalLimit:
    """One vital sign beyond a limit (e.g. SpO2 below 92 %), optionally with a finding when not recorded."""

    basis: RuleBasis
    sign: VitalSign
    comparison: Comparison
    limit: float
    when_missing: RuleBasis | None = None

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> VitalLimit:
        f.check_keys(BASIS_KEYS | {"sign", "comparison", "limit", "when_missing"})
        return cls(
            basis=RuleBasis.from_fields(f, context.sources, placeholders=_LIMIT_PLACEHOLDERS),
            sign=f.get_enum("sign", VitalSign),
            comparison=f.get_enum("comparison", Comparison),
            limit=f.get_number("limit", low=0, high=300),
            when_missing=_read_basis(f, "when_missing", context, _LIMIT_PLACEHOLDERS)
            if f.has("when_missing")
            else None,
        )


def evaluate_vital_limits(vitals: Vitals, limits: Sequence[VitalLimit]) -> list[Finding]:
    findings: list[Finding] = []
    for limit in limits:
        value = limit.sign.get_value(vitals)
        values = {
            "sign": limit.sign.value,
            "value": "not recorded" if value is None else format_number(value),
            "limit": format_number(limit.limit),
            "comparison": limit.comparison.wording,
            "measured_at": format_utc(vitals.measured_at),
        }
        inputs = _vitals_inputs(vitals, limit.sign)
        if value is None:
            if limit.when_missing is not None:
                findings.append(limit.when_missing.make_finding(values, inputs))
        elif limit.comparison.holds(value, limit.limit):
            findings.append(limit.basis.make_finding(values, inputs))
    return findings
