"""``plan_infusion``: a protocol and a patient in, the numbers of an infusion order out.

The arithmetic (clinical.md section 1.1): dose_mg = mg/kg x dosing weight; rate_mg_per_h = dose_mg / hours;
rate_ml_per_h = rate_mg_per_h / concentration. Rate-based regimens run the other way (dose_mg =
rate_mg_per_h x hours). Only the two numbers keyed into the pump (mL/h and volume to be infused) are
rounded, to the pump's increments; every other number is exact, so rate x duration = dose holds exactly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ketaflow.domain.basis import Decision, Effect, Finding, JsonValue, RuleRef, decide
from ketaflow.domain.dosing.protocol import Limit, Protocol, Quantity, RegimenKind, WeightChecks
from ketaflow.domain.dosing.units import CM_PER_INCH
from ketaflow.domain.dosing.weights import DosingPatient, DosingWeight, WeightBasis, get_dosing_weight
from ketaflow.domain.errors import InputError
from ketaflow.domain.ruledata.rulebasis import format_number

MINUTES_PER_HOUR = 60.0
_EFFECT_RANK = {effect: rank for rank, effect in enumerate(Effect)}
# The override argument that names each regimen kind's amount.
_AMOUNT_FIELD = {
    RegimenKind.DOSE_PER_KG: "dose_mg_per_kg",
    RegimenKind.RATE_PER_KG: "rate_mg_per_kg_per_h",
    RegimenKind.FIXED_RATE: "rate_mg_per_h",
}


@dataclass(frozen=True, slots=True)
class Preparation:
    """The bag or syringe: drug amount and total volume, so the concentration is explicit."""

    drug_mg: float
    volume_ml: float

    @classmethod
    def create(cls, *, drug_mg: float, volume_ml: float) -> Preparation:
        """Both must be positive.

        >>> Preparation.create(drug_mg=100, volume_ml=100).concentration_mg_per_ml
        1.0
        """
        for name, value in (("preparation.drug_mg", drug_mg), ("preparation.volume_ml", volume_ml)):
            if not (math.isfinite(value) and value > 0):
                raise InputError(name, "a positive number", value)
        return cls(drug_mg=float(drug_mg), volume_ml=float(volume_ml))

    @property
    def concentration_mg_per_ml(self) -> float:
        return self.drug_mg / self.volume_ml


def round_to_increment(value: float, increment: float) -> float:
    """Round to the nearest multiple of a pump increment (halves round up).

    >>> round_to_increment(52.55, 0.1), round_to_increment(0.04, 0.1), round_to_increment(7.5, 0.5)
    (52.6, 0.0, 7.5)
    """
    # Decimal on the shortest repr, so that 52.55 is 52.55 and not 52.5499999... in binary.
    steps = (Decimal(repr(value)) / Decimal(repr(increment))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(steps * Decimal(repr(increment)))


@dataclass(frozen=True, slots=True)
class RateStep:
    """One step of a stepped (target-controlled) order: what the nurse keys in from ``start_min``."""

    start_min: float
    duration_min: float
    rate_mg_per_h: float
    rate_ml_per_h: float  # rounded to the pump's increment, as keyed in

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "start_min": _json_number(self.start_min),
            "duration_min": _json_number(self.duration_min),
            "rate_mg_per_h": _json_number(self.rate_mg_per_h),
            "rate_ml_per_h": _json_number(self.rate_ml_per_h),
        }


@dataclass(frozen=True, slots=True)
class InfusionPlan:
    """The computed order: dosing weight, dose, duration, rates, pump programming, findings and decision.

    For a fixed-rate protocol there is no dosing weight; its per-kg figures use the actual weight. A stepped
    (target-controlled) plan has ``steps``; its ``rate_*`` fields are the first step's, and its limits were
    checked against the highest step.
    """

    protocol: RuleRef
    decision: Decision
    findings: tuple[Finding, ...]
    dosing_weight: DosingWeight | None
    dose_mg_per_kg: float
    dose_mg: float
    duration_min: float
    rate_mg_per_h: float
    rate_mg_per_kg_per_h: float
    concentration_mg_per_ml: float
    rate_ml_per_h: float
    vtbi_ml: float
    steps: tuple[RateStep, ...] = ()

    @property
    def delivered_dose_mg(self) -> float:
        """What the pump delivers when it stops at the volume to be infused."""
        return self.vtbi_ml * self.concentration_mg_per_ml

    def to_json(self) -> dict[str, JsonValue]:
        weight = self.dosing_weight
        body: dict[str, JsonValue] = {
            "decision": self.decision.value,
            "dosing_weight_kg": None if weight is None else _json_number(weight.weight_kg),
            "dosing_weight_basis": "not_weight_based" if weight is None else weight.basis.value,
            "dosing_weight_formula": None if weight is None or weight.basis is WeightBasis.ACTUAL else weight.formula,
            "ideal_weight_kg": None if weight is None else _json_number(weight.ideal_weight_kg),
            "dose_mg_per_kg": _json_number(self.dose_mg_per_kg),
            "dose_mg": _json_number(self.dose_mg),
            "duration_min": _json_number(self.duration_min),
            "rate_mg_per_h": _json_number(self.rate_mg_per_h),
            "rate_mg_per_kg_per_h": _json_number(self.rate_mg_per_kg_per_h),
            "concentration_mg_per_ml": _json_number(self.concentration_mg_per_ml),
            "rate_ml_per_h": _json_number(self.rate_ml_per_h),
            "vtbi_ml": _json_number(self.vtbi_ml),
            "delivered_dose_mg": _json_number(self.delivered_dose_mg),
            "findings": [finding.to_json() for finding in self.findings],
            "protocol": self.protocol.to_json(),
        }
        if self.steps:
            body["steps"] = [step.to_json() for step in self.steps]
        return body


def _json_number(value: float) -> float:
    return round(value, 6)


def _ordered_amount(
    protocol: Protocol, overrides: Mapping[str, float | None], dosing_weight: WeightBasis | None
) -> float | None:
    """The override for this protocol's amount; an override in another unit is refused, never converted."""
    kind = protocol.regimen.kind
    wanted = _AMOUNT_FIELD[kind]
    for name, value in overrides.items():
        if value is not None and name != wanted:
            raise InputError(name, f"absent: protocol {protocol.ref.id} is dosed in {wanted}", value)
    if dosing_weight is not None and not protocol.regimen.is_weight_based:
        raise InputError("dosing_weight", f"absent: protocol {protocol.ref.id} is not weight-based", dosing_weight)
    ordered = overrides[wanted]
    if ordered is not None and not (math.isfinite(ordered) and ordered > 0):
        raise InputError(wanted, "a positive number", ordered)
    return ordered


def _weight_findings(
    patient: DosingPatient, protocol: Protocol, weight: DosingWeight, checks: WeightChecks
) -> list[Finding]:
    assert protocol.dosing_weight is not None  # weight checks exist only on weight-based protocols
    rule = protocol.dosing_weight
    formula = rule.ideal_formula
    findings: list[Finding] = []
    requested = weight.requested_basis
    if requested is not rule.default_basis:
        values = {"ordered_basis": requested.value, "protocol_basis": rule.default_basis.value}
        findings.append(checks.basis_override.make_finding(values, dict(values)))
    if requested is not WeightBasis.ACTUAL:
        min_height_cm = formula.base_height_in * CM_PER_INCH
        if patient.height_cm < min_height_cm:
            values = {
                "height_cm": format_number(patient.height_cm),
                "min_height_cm": format_number(min_height_cm),
                "formula": formula.name,
                "basis": requested.value,
            }
            findings.append(checks.formula_height.make_finding(values, {"height_cm": patient.height_cm}))
        if patient.age_years < formula.adult_from_age_years:
            values = {
                "age_years": format_number(patient.age_years),
                "adult_from_age_years": format_number(formula.adult_from_age_years),
                "formula": formula.name,
                "basis": requested.value,
            }
            findings.append(checks.formula_age.make_finding(values, {"age_years": patient.age_years}))
    if weight.capped_at_actual:
        values = {
            "basis": requested.value,
            "computed_kg": format_number(weight.computed_kg),
            "actual_kg": format_number(patient.weight_kg),
        }
        findings.append(checks.capped_at_actual.make_finding(values, {"computed_kg": round(weight.computed_kg, 6)}))
    bmi = patient.bmi_kg_per_m2
    if bmi >= checks.bmi.at_or_above_kg_per_m2:
        values = {
            "bmi_kg_per_m2": format_number(bmi),
            "limit_kg_per_m2": format_number(checks.bmi.at_or_above_kg_per_m2),
            "ideal_weight_kg": format_number(weight.ideal_weight_kg),
            "formula": formula.name,
            "basis": weight.basis.value,
        }
        inputs: dict[str, JsonValue] = {
            "weight_kg": patient.weight_kg,
            "height_cm": patient.height_cm,
            "bmi_kg_per_m2": round(bmi, 2),
            "ideal_weight_kg": round(weight.ideal_weight_kg, 2),
        }
        # Dosing on ideal weight already follows the consensus: recorded, not warned.
        effect = Effect.INFO if weight.basis is WeightBasis.IDEAL else None
        findings.append(checks.bmi.basis.make_finding(values, inputs, effect=effect))
    return findings


def _limit_findings(limits: tuple[Limit, ...], values: Mapping[Quantity, float], kind: str) -> list[Finding]:
    findings = []
    for limit in limits:
        value = values[limit.quantity]
        if limit.is_outside(value):
            text = {
                "quantity": limit.quantity.value,
                "value": format_number(value),
                "min": "none" if limit.min_value is None else format_number(limit.min_value),
                "max": "none" if limit.max_value is None else format_number(limit.max_value),
                "unit": limit.quantity.unit,
            }
            inputs: dict[str, JsonValue] = {
                limit.quantity.value: round(value, 6),
                "min": limit.min_value,
                "max": limit.max_value,
                "limit": kind,
            }
            findings.append(limit.basis.make_finding(text, inputs))
    return findings


def plan_infusion(
    patient: DosingPatient,
    protocol: Protocol,
    *,
    preparation: Preparation,
    dose_mg_per_kg: float | None = None,
    rate_mg_per_kg_per_h: float | None = None,
    rate_mg_per_h: float | None = None,
    duration_min: float | None = None,
    dosing_weight: WeightBasis | None = None,
) -> InfusionPlan:
    """Plan one infusion from a protocol, with the physician's optional overrides.

    Only the override in the protocol's own unit is accepted (mg/kg, mg/kg/h or mg/h); limits, dosing-weight
    checks, the preparation's volume and the pump's ranges give findings, strongest first. Worked example
    (clinical.md section 1.1): 70 kg x 0.5 mg/kg over 40 min = 35 mg at 52.5 mg/h; at 1 mg/mL, 52.5 mL/h
    and 35 mL to be infused.
    """
    regimen = protocol.regimen
    overrides = {
        "dose_mg_per_kg": dose_mg_per_kg,
        "rate_mg_per_kg_per_h": rate_mg_per_kg_per_h,
        "rate_mg_per_h": rate_mg_per_h,
    }
    ordered_amount = _ordered_amount(protocol, overrides, dosing_weight)
    if duration_min is not None and not (math.isfinite(duration_min) and duration_min > 0):
        raise InputError("duration_min", "a positive number", duration_min)
    amount = regimen.amount if ordered_amount is None else ordered_amount
    minutes = regimen.duration_min if duration_min is None else duration_min
    findings: list[Finding] = []

    weight, per_kg_weight, weight_checks = _dosing_weight(patient, protocol, dosing_weight)
    findings += weight_checks

    if regimen.kind is RegimenKind.DOSE_PER_KG:
        dose_mg_per_kg_planned = amount
        rate_mg_per_kg_per_h_planned = amount * MINUTES_PER_HOUR / minutes
        dose_mg = amount * per_kg_weight
        rate_mg_per_h = dose_mg * MINUTES_PER_HOUR / minutes
    elif regimen.kind is RegimenKind.RATE_PER_KG:
        rate_mg_per_kg_per_h_planned = amount
        dose_mg_per_kg_planned = amount * minutes / MINUTES_PER_HOUR
        rate_mg_per_h = amount * per_kg_weight
        dose_mg = rate_mg_per_h * minutes / MINUTES_PER_HOUR
    else:
        rate_mg_per_h = amount
        dose_mg = rate_mg_per_h * minutes / MINUTES_PER_HOUR
        rate_mg_per_kg_per_h_planned = rate_mg_per_h / per_kg_weight
        dose_mg_per_kg_planned = dose_mg / per_kg_weight

    quantities = {
        Quantity.DOSE_MG_PER_KG: dose_mg_per_kg_planned,
        Quantity.DURATION_MIN: minutes,
        Quantity.RATE_MG_PER_KG_PER_H: rate_mg_per_kg_per_h_planned,
        Quantity.RATE_MG_PER_H: rate_mg_per_h,
        Quantity.DOSE_MG: dose_mg,
    }
    ordered = (
        (regimen.amount_quantity, ordered_amount, regimen.amount),
        (Quantity.DURATION_MIN, duration_min, regimen.duration_min),
    )
    segments = [(0.0, minutes, rate_mg_per_h)]
    return _checked_plan(
        protocol,
        preparation,
        weight,
        findings,
        quantities,
        segments,
        ordered,
        per_kg_weight=per_kg_weight,
        stepped=False,
    )


def _dosing_weight(
    patient: DosingPatient, protocol: Protocol, requested: WeightBasis | None
) -> tuple[DosingWeight | None, float, list[Finding]]:
    """The dosing weight (None for a fixed-rate protocol), the weight per-kg figures use, and its findings."""
    if protocol.dosing_weight is None:
        return None, patient.weight_kg, []
    weight = get_dosing_weight(patient, protocol.dosing_weight, requested or protocol.dosing_weight.default_basis)
    assert protocol.checks.weight is not None  # read together with dosing_weight
    return weight, weight.weight_kg, _weight_findings(patient, protocol, weight, protocol.checks.weight)


def _checked_plan(
    protocol: Protocol,
    preparation: Preparation,
    weight: DosingWeight | None,
    findings: list[Finding],
    quantities: Mapping[Quantity, float],
    segments: Sequence[tuple[float, float, float]],
    overrides: Sequence[tuple[Quantity, float | None, float]],
    *,
    per_kg_weight: float,
    stepped: bool,
) -> InfusionPlan:
    """The pump programming and every check shared by constant and stepped plans, findings strongest first.

    ``quantities`` are what the protocol's limits judge (for a stepped plan the rates are the highest step's);
    ``segments`` are (start_min, duration_min, mg/h); ``overrides`` pair an ordered value with the protocol's.
    """
    concentration = preparation.concentration_mg_per_ml
    pump = protocol.pump
    steps = tuple(
        RateStep(start, duration, rate, round_to_increment(rate / concentration, pump.rate_increment_ml_per_h))
        for start, duration, rate in segments
    )
    dose_mg = quantities[Quantity.DOSE_MG]
    vtbi_ml = round_to_increment(dose_mg / concentration, pump.volume_increment_ml)
    checks = protocol.checks
    for quantity, ordered, protocol_value in overrides:
        if ordered is not None and ordered != protocol_value:
            text = {
                "quantity": quantity.value,
                "ordered_value": format_number(ordered),
                "protocol_value": format_number(protocol_value),
                "unit": quantity.unit,
            }
            findings.append(checks.override.make_finding(text, {"ordered": ordered, "protocol": protocol_value}))
    findings += _limit_findings(protocol.soft_limits, quantities, "soft")
    findings += _limit_findings(protocol.hard_limits, quantities, "hard")
    if vtbi_ml > preparation.volume_ml:
        text = {"vtbi_ml": format_number(vtbi_ml), "volume_ml": format_number(preparation.volume_ml)}
        findings.append(
            checks.preparation_volume.make_finding(text, {"vtbi_ml": vtbi_ml, "volume_ml": preparation.volume_ml})
        )
    ranges = [
        ("rate_ml_per_h", rate, pump.rate_min_ml_per_h, pump.rate_max_ml_per_h, "mL/h")
        for rate in sorted({step.rate_ml_per_h for step in steps if not (stepped and step.rate_ml_per_h == 0)})
    ]
    ranges.append(("vtbi_ml", vtbi_ml, pump.vtbi_min_ml, pump.vtbi_max_ml, "mL"))
    for name, value, low, high, unit in ranges:
        if not low <= value <= high:
            text = {
                "quantity": name,
                "value": format_number(value),
                "min": format_number(low),
                "max": format_number(high),
                "unit": unit,
            }
            findings.append(checks.pump_range.make_finding(text, {name: value, "min": low, "max": high}))

    findings.sort(key=lambda finding: -_EFFECT_RANK[finding.effect])
    first = steps[0]
    return InfusionPlan(
        protocol=protocol.ref,
        decision=decide(findings),
        findings=tuple(findings),
        dosing_weight=weight,
        dose_mg_per_kg=quantities[Quantity.DOSE_MG_PER_KG],
        dose_mg=dose_mg,
        duration_min=quantities[Quantity.DURATION_MIN],
        rate_mg_per_h=first.rate_mg_per_h,
        rate_mg_per_kg_per_h=first.rate_mg_per_h / per_kg_weight
        if stepped
        else quantities[Quantity.RATE_MG_PER_KG_PER_H],
        concentration_mg_per_ml=concentration,
        rate_ml_per_h=first.rate_ml_per_h,
        vtbi_ml=vtbi_ml,
        steps=steps if stepped else (),
    )


def plan_stepped_infusion(
    patient: DosingPatient,
    protocol: Protocol,
    *,
    preparation: Preparation,
    segments: Sequence[tuple[float, float, float]],
    dosing_weight: WeightBasis | None = None,
) -> InfusionPlan:
    """A stepped order (e.g. a target-controlled plan's rates) checked through the protocol's limits.

    ``segments`` are (start_min, duration_min, mg/h), contiguous from 0. The dose limits judge the total; the
    rate limits judge the highest step, so a loading phase above the protocol's rate is a finding the
    physician must acknowledge, never hidden in an average. The total is compared with the protocol's
    amount as an ordered override would be.
    """
    if not segments:
        raise InputError("steps", "at least one step")
    end = 0.0
    for index, (start, duration, rate) in enumerate(segments):
        if not math.isclose(start, end, abs_tol=1e-9):
            raise InputError(f"steps[{index}].start_min", "steps that follow each other without gaps", start)
        if not (math.isfinite(duration) and duration > 0):
            raise InputError(f"steps[{index}].duration_min", "a positive number", duration)
        if not (math.isfinite(rate) and rate >= 0):
            raise InputError(f"steps[{index}].mg_per_h", "a rate of 0 or more", rate)
        end = start + duration
    if dosing_weight is not None and not protocol.regimen.is_weight_based:
        raise InputError("dosing_weight", f"absent: protocol {protocol.ref.id} is not weight-based", dosing_weight)
    findings: list[Finding] = []
    weight, per_kg_weight, weight_checks = _dosing_weight(patient, protocol, dosing_weight)
    findings += weight_checks
    dose_mg = sum(rate * duration / MINUTES_PER_HOUR for _, duration, rate in segments)
    peak_mg_per_h = max(rate for _, _, rate in segments)
    quantities = {
        Quantity.DOSE_MG_PER_KG: dose_mg / per_kg_weight,
        Quantity.DURATION_MIN: end,
        Quantity.RATE_MG_PER_KG_PER_H: peak_mg_per_h / per_kg_weight,
        Quantity.RATE_MG_PER_H: peak_mg_per_h,
        Quantity.DOSE_MG: dose_mg,
    }
    regimen = protocol.regimen
    ordered = (
        (regimen.amount_quantity, quantities[regimen.amount_quantity], regimen.amount),
        (Quantity.DURATION_MIN, end, regimen.duration_min),
    )
    return _checked_plan(
        protocol,
        preparation,
        weight,
        findings,
        quantities,
        segments,
        ordered,
        per_kg_weight=per_kg_weight,
        stepped=True,
    )
