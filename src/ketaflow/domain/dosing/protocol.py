"""Infusion protocols as versioned, cited rule data: regimen, series, dosing weight, limits and pump profile.

``Protocol.from_dict`` checks a whole protocol file (rules/protocols/<id>.json) up front and raises
``RuleDataError`` on anything malformed, so a bad file fails when it is loaded, never halfway through a
plan. Every number it reads carries its source and a confidence tag (C, S or NF, as in clinical.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ketaflow.domain.basis import Effect, RuleRef
from ketaflow.domain.dosing.weights import DosingWeightRule
from ketaflow.domain.errors import RuleDataError
from ketaflow.domain.ruledata.fields import JsonFields, rule_data_error
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, SourceRegistry

_VERSION = re.compile(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]+")
_PROTOCOL_ID = re.compile(r"[a-z][a-z0-9_]*")
_LIMIT_PLACEHOLDERS = ("quantity", "value", "min", "max", "unit")
_ANY_AMOUNT = 1e6  # bound for reading rule-data numbers: large enough for any dose, rate or duration


class RegimenKind(StrEnum):
    """How a protocol states its dose."""

    DOSE_PER_KG = "dose_per_kg"  # mg/kg over a duration (depression, PTSD)
    RATE_PER_KG = "rate_per_kg"  # mg/kg/h for a duration (CRPS 0.35 mg/kg/h)
    FIXED_RATE = "fixed_rate"  # mg/h for a duration, not weight-based (CRPS 22 mg/h)


class Quantity(StrEnum):
    """A planned number a limit can apply to; its unit is in its name."""

    DOSE_MG_PER_KG = "dose_mg_per_kg"
    DURATION_MIN = "duration_min"
    RATE_MG_PER_KG_PER_H = "rate_mg_per_kg_per_h"
    RATE_MG_PER_H = "rate_mg_per_h"
    DOSE_MG = "dose_mg"

    @property
    def unit(self) -> str:
        return {
            Quantity.DOSE_MG_PER_KG: "mg/kg",
            Quantity.DURATION_MIN: "min",
            Quantity.RATE_MG_PER_KG_PER_H: "mg/kg/h",
            Quantity.RATE_MG_PER_H: "mg/h",
            Quantity.DOSE_MG: "mg",
        }[self]


# The one amount each regimen kind states, besides its duration.
REGIMEN_AMOUNT = {
    RegimenKind.DOSE_PER_KG: Quantity.DOSE_MG_PER_KG,
    RegimenKind.RATE_PER_KG: Quantity.RATE_MG_PER_KG_PER_H,
    RegimenKind.FIXED_RATE: Quantity.RATE_MG_PER_H,
}


@dataclass(frozen=True, slots=True)
class Regimen:
    """The protocol's dose: one amount (mg/kg, mg/kg/h or mg/h) and a duration in minutes."""

    kind: RegimenKind
    amount: float
    duration_min: float
    source: str

    @property
    def amount_quantity(self) -> Quantity:
        return REGIMEN_AMOUNT[self.kind]

    @property
    def is_weight_based(self) -> bool:
        return self.kind is not RegimenKind.FIXED_RATE

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> Regimen:
        kind = f.get_enum("kind", RegimenKind)
        amount_key = REGIMEN_AMOUNT[kind].value
        f.check_keys({"kind", amount_key, "duration_min", "sources", "confidence", "notes"})
        return cls(
            kind=kind,
            amount=_positive(f, amount_key),
            duration_min=_positive(f, "duration_min"),
            source=sources.cite(f),
        )


def _positive(f: JsonFields, key: str) -> float:
    value = f.get_number(key, low=0, high=_ANY_AMOUNT)
    if value <= 0:
        raise f.fail(key, "a positive number", value)
    return value


@dataclass(frozen=True, slots=True)
class SeriesPhase:
    """One phase of a course (induction, maintenance): how many infusions, how often, with its source."""

    phase: str
    description: str
    infusions: int | None
    over_days: float | None
    per_week_min: float | None
    per_week_max: float | None
    interval_days: float | None
    source: str

    @classmethod
    def from_fields(cls, phase: str, f: JsonFields, sources: SourceRegistry) -> SeriesPhase:
        f.check_keys(
            {"infusions", "over_days", "per_week_min", "per_week_max", "interval_days", "description", *BASIS_KEYS}
        )
        return cls(
            phase=phase,
            description=f.get_str("description"),
            infusions=f.get_optional_int("infusions", low=1, high=1000),
            over_days=f.get_optional_number("over_days", low=0, high=3650),
            per_week_min=f.get_optional_number("per_week_min", low=0, high=21),
            per_week_max=f.get_optional_number("per_week_max", low=0, high=21),
            interval_days=f.get_optional_number("interval_days", low=0, high=3650),
            source=sources.cite(f),
        )


@dataclass(frozen=True, slots=True)
class Limit:
    """An acceptable range for one planned quantity; outside it the row's finding (hold or block) is raised."""

    quantity: Quantity
    min_value: float | None
    max_value: float | None
    basis: RuleBasis

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry, effect: Effect) -> Limit:
        f.check_keys({"quantity", "min", "max", *BASIS_KEYS})
        limit = cls(
            quantity=f.get_enum("quantity", Quantity),
            min_value=f.get_optional_number("min", low=0, high=_ANY_AMOUNT),
            max_value=f.get_optional_number("max", low=0, high=_ANY_AMOUNT),
            basis=RuleBasis.from_fields(f, sources, placeholders=_LIMIT_PLACEHOLDERS),
        )
        if limit.basis.effect is not effect:
            raise f.fail("effect", effect.value, limit.basis.effect.value)
        if limit.min_value is None and limit.max_value is None:
            raise f.fail("min", "a min, a max or both")
        if limit.min_value is not None and limit.max_value is not None and limit.min_value > limit.max_value:
            raise f.fail("max", "a max at or above min", limit.max_value)
        return limit

    def is_outside(self, value: float) -> bool:
        below = self.min_value is not None and value < self.min_value
        above = self.max_value is not None and value > self.max_value
        return below or above


@dataclass(frozen=True, slots=True)
class PumpProfile:
    """What the pump accepts: its smallest rate and volume steps and its ranges."""

    rate_increment_ml_per_h: float
    volume_increment_ml: float
    rate_min_ml_per_h: float
    rate_max_ml_per_h: float
    vtbi_min_ml: float
    vtbi_max_ml: float
    source: str

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> PumpProfile:
        f.check_keys(
            {
                "rate_increment_ml_per_h",
                "volume_increment_ml",
                "rate_min_ml_per_h",
                "rate_max_ml_per_h",
                "vtbi_min_ml",
                "vtbi_max_ml",
                "sources",
                "confidence",
                "notes",
            }
        )
        return cls(
            rate_increment_ml_per_h=_positive(f, "rate_increment_ml_per_h"),
            volume_increment_ml=_positive(f, "volume_increment_ml"),
            rate_min_ml_per_h=_positive(f, "rate_min_ml_per_h"),
            rate_max_ml_per_h=_positive(f, "rate_max_ml_per_h"),
            vtbi_min_ml=_positive(f, "vtbi_min_ml"),
            vtbi_max_ml=_positive(f, "vtbi_max_ml"),
            source=sources.cite(f),
        )


@dataclass(frozen=True, slots=True)
class BmiCheck:
    at_or_above_kg_per_m2: float
    basis: RuleBasis


@dataclass(frozen=True, slots=True)
class WeightChecks:
    """The findings a weight-based plan can raise about its dosing weight."""

    bmi: BmiCheck
    basis_override: RuleBasis
    formula_height: RuleBasis
    formula_age: RuleBasis
    capped_at_actual: RuleBasis


@dataclass(frozen=True, slots=True)
class PlanChecks:
    """The findings every plan can raise besides its limits."""

    override: RuleBasis
    preparation_volume: RuleBasis
    pump_range: RuleBasis
    weight: WeightChecks | None


def _read_checks(f: JsonFields, sources: SourceRegistry, *, weight_based: bool) -> PlanChecks:
    weight_keys = {"weight_basis_override", "bmi", "formula_height", "formula_age", "capped_at_actual"}
    f.check_keys({"override", "preparation_volume", "pump_range", *(weight_keys if weight_based else ())})

    def basis(key: str, *placeholders: str) -> RuleBasis:
        row = f.get_object(key)
        row.check_keys({*BASIS_KEYS, "at_or_above_kg_per_m2"} if key == "bmi" else BASIS_KEYS)
        return RuleBasis.from_fields(row, sources, placeholders=placeholders)

    weight = None
    if weight_based:
        weight = WeightChecks(
            bmi=BmiCheck(
                at_or_above_kg_per_m2=f.get_object("bmi").get_number("at_or_above_kg_per_m2", low=10, high=100),
                basis=basis("bmi", "bmi_kg_per_m2", "limit_kg_per_m2", "ideal_weight_kg", "formula", "basis"),
            ),
            basis_override=basis("weight_basis_override", "ordered_basis", "protocol_basis"),
            formula_height=basis("formula_height", "height_cm", "min_height_cm", "formula", "basis"),
            formula_age=basis("formula_age", "age_years", "adult_from_age_years", "formula", "basis"),
            capped_at_actual=basis("capped_at_actual", "basis", "computed_kg", "actual_kg"),
        )
    return PlanChecks(
        override=basis("override", "quantity", "ordered_value", "protocol_value", "unit"),
        preparation_volume=basis("preparation_volume", "vtbi_ml", "volume_ml"),
        pump_range=basis("pump_range", *_LIMIT_PLACEHOLDERS),
        weight=weight,
    )


@dataclass(frozen=True, slots=True)
class Protocol:
    """One versioned protocol. ``document`` keeps the parsed file, to show its full data and sources."""

    ref: RuleRef
    title: str
    indications: tuple[str, ...]
    regimen: Regimen
    series: tuple[SeriesPhase, ...]
    dosing_weight: DosingWeightRule | None
    soft_limits: tuple[Limit, ...]
    hard_limits: tuple[Limit, ...]
    checks: PlanChecks
    pump: PumpProfile
    monitoring_rules: str
    recovery_rules: str
    document: Mapping[str, object] = field(compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Protocol:
        """Check and read a protocol file (parsed JSON); raises ``RuleDataError`` if it is malformed."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys(
            {
                "id",
                "version",
                "title",
                "indications",
                "notes",
                "sources",
                "regimen",
                "series",
                "dosing_weight",
                "soft_limits",
                "hard_limits",
                "checks",
                "pump",
                "monitoring_rules",
                "recovery_rules",
            }
        )
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        regimen = Regimen.from_fields(f.get_object("regimen"), sources)
        series = f.get_optional_object("series")
        if regimen.is_weight_based != f.has("dosing_weight"):
            raise f.fail("dosing_weight", "present exactly when the regimen is weight-based")
        weight_rule = f.get_optional_object("dosing_weight")
        protocol = cls(
            ref=RuleRef(
                id=f.get_str("id", pattern=_PROTOCOL_ID, expected="a lower-case id such as depression_standard"),
                version=f.get_str("version", pattern=_VERSION, expected="a version such as 2026.11.0"),
            ),
            title=f.get_str("title"),
            indications=f.get_strs("indications"),
            regimen=regimen,
            series=()
            if series is None
            else tuple(SeriesPhase.from_fields(name, series.get_object(name), sources) for name in series.data),
            dosing_weight=None if weight_rule is None else DosingWeightRule.from_fields(weight_rule, sources),
            soft_limits=tuple(Limit.from_fields(row, sources, Effect.HOLD) for row in f.get_objects("soft_limits")),
            hard_limits=tuple(Limit.from_fields(row, sources, Effect.BLOCK) for row in f.get_objects("hard_limits")),
            checks=_read_checks(f.get_object("checks"), sources, weight_based=regimen.is_weight_based),
            pump=PumpProfile.from_fields(f.get_object("pump"), sources),
            monitoring_rules=f.get_str("monitoring_rules", pattern=_PROTOCOL_ID, expected="a monitoring rule set id"),
            recovery_rules=f.get_str("recovery_rules", pattern=_PROTOCOL_ID, expected="a recovery rule set id"),
            document=data,
        )
        _check_unique_rule_ids(protocol)
        return protocol


def _rule_ids(protocol: Protocol) -> Iterable[str]:
    checks = protocol.checks
    yield from (limit.basis.rule_id for limit in (*protocol.soft_limits, *protocol.hard_limits))
    yield from (checks.override.rule_id, checks.preparation_volume.rule_id, checks.pump_range.rule_id)
    if checks.weight is not None:
        w = checks.weight
        yield from (w.bmi.basis.rule_id, w.basis_override.rule_id, w.formula_height.rule_id)
        yield from (w.formula_age.rule_id, w.capped_at_actual.rule_id)


def _check_unique_rule_ids(protocol: Protocol) -> None:
    seen: set[str] = set()
    for rule_id in _rule_ids(protocol):
        if rule_id in seen:
            raise rule_data_error("rules", "rule ids used once each", rule_id)
        seen.add(rule_id)


@dataclass(frozen=True, slots=True)
class ProtocolLibrary:
    """The protocols a clinic can order from, by id (each id once, at one version)."""

    protocols: tuple[Protocol, ...]

    @classmethod
    def from_dicts(cls, documents: Iterable[Mapping[str, object]]) -> ProtocolLibrary:
        """Read every protocol file; an id used twice is a rule-data error."""
        protocols = tuple(Protocol.from_dict(doc) for doc in documents)
        ids = [p.ref.id for p in protocols]
        for protocol_id in ids:
            if ids.count(protocol_id) > 1:
                raise RuleDataError(f"rule data: protocol id {protocol_id!r} is used by more than one file")
        return cls(protocols=tuple(sorted(protocols, key=lambda p: p.ref.id)))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.ref.id for p in self.protocols)

    def get_protocol(self, protocol_id: str) -> Protocol | None:
        """The protocol with this id, or None."""
        return next((p for p in self.protocols if p.ref.id == protocol_id), None)
