"""The patient a dose is planned for, and the dosing weight: actual, ideal (by a named formula) or adjusted.

The formula and the adjusted-weight factor are protocol data with their sources (rules/protocols/*.json);
nothing here fixes a coefficient. Which basis was used, and with what formula and factor, is returned with
the weight so that the order can show and store it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.dosing.units import convert_cm_to_inches
from ketaflow.domain.errors import InputError
from ketaflow.domain.patients import HEIGHT_CM_RANGE, MAX_AGE_YEARS, WEIGHT_KG_RANGE
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import SourceRegistry


class Sex(StrEnum):
    """The sex the ideal-weight formulas are defined for."""

    FEMALE = "female"
    MALE = "male"


class WeightBasis(StrEnum):
    """Which body weight a weight-based dose is calculated on."""

    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"


def _check_range(field: str, value: float, bounds: tuple[float, float], unit: str) -> float:
    low, high = bounds
    if not low <= value <= high:
        raise InputError(field, f"a number from {low:g} to {high:g} {unit}", value)
    return float(value)


@dataclass(frozen=True, slots=True)
class DosingPatient:
    """Current weight, height, sex and age: everything a dosing weight needs. Build with ``create``."""

    weight_kg: float
    height_cm: float
    sex: Sex
    age_years: float

    @classmethod
    def create(cls, *, weight_kg: float, height_cm: float, sex: Sex | str, age_years: float) -> DosingPatient:
        """Check plausibility once (the bounds catch unit slips, they are not clinical limits).

        >>> DosingPatient.create(weight_kg=70, height_cm=175, sex="male", age_years=40).bmi_kg_per_m2
        22.857142857142858
        """
        if sex not in {s.value for s in Sex}:
            raise InputError("patient.sex", "'female' or 'male' (the ideal-weight formulas are sex-specific)", sex)
        return cls(
            weight_kg=_check_range("patient.weight_kg", weight_kg, WEIGHT_KG_RANGE, "kg"),
            height_cm=_check_range("patient.height_cm", height_cm, HEIGHT_CM_RANGE, "cm"),
            sex=Sex(sex),
            age_years=_check_range("patient.age_years", age_years, (0, MAX_AGE_YEARS), "years"),
        )

    @property
    def bmi_kg_per_m2(self) -> float:
        height_m = self.height_cm / 100
        return self.weight_kg / (height_m * height_m)


@dataclass(frozen=True, slots=True)
class IdealWeightFormula:
    """A named linear ideal-body-weight formula: base weight at a base height plus kg per inch above it."""

    name: str
    male_base_kg: float
    female_base_kg: float
    male_kg_per_inch: float
    female_kg_per_inch: float
    base_height_in: float
    adult_from_age_years: float
    source: str

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> IdealWeightFormula:
        f.check_keys(
            {
                "name",
                "male_base_kg",
                "female_base_kg",
                "male_kg_per_inch",
                "female_kg_per_inch",
                "base_height_in",
                "adult_from_age_years",
                "sources",
                "confidence",
                "notes",
            }
        )
        return cls(
            name=f.get_str("name"),
            male_base_kg=f.get_number("male_base_kg", low=1, high=200),
            female_base_kg=f.get_number("female_base_kg", low=1, high=200),
            male_kg_per_inch=f.get_number("male_kg_per_inch", low=0, high=10),
            female_kg_per_inch=f.get_number("female_kg_per_inch", low=0, high=10),
            base_height_in=f.get_number("base_height_in", low=1, high=100),
            adult_from_age_years=f.get_number("adult_from_age_years", low=0, high=MAX_AGE_YEARS),
            source=sources.cite(f),
        )

    def get_ideal_weight_kg(self, patient: DosingPatient) -> float:
        """Ideal body weight in kg for this patient's sex and height (extrapolated below the base height)."""
        inches_above_base = convert_cm_to_inches(patient.height_cm) - self.base_height_in
        if patient.sex is Sex.MALE:
            return self.male_base_kg + self.male_kg_per_inch * inches_above_base
        return self.female_base_kg + self.female_kg_per_inch * inches_above_base


@dataclass(frozen=True, slots=True)
class DosingWeightRule:
    """A protocol's dosing-weight policy: its default basis, the bases it allows, formula and factor."""

    default_basis: WeightBasis
    allowed: tuple[WeightBasis, ...]
    ideal_formula: IdealWeightFormula
    adjusted_factor: float
    cap_at_actual: bool
    source: str

    @classmethod
    def from_fields(cls, f: JsonFields, sources: SourceRegistry) -> DosingWeightRule:
        f.check_keys(
            {"basis", "allowed", "ideal_formula", "adjusted", "cap_at_actual", "sources", "confidence", "notes"}
        )
        allowed = f.get_enums("allowed", WeightBasis)
        default_basis = f.get_enum("basis", WeightBasis)
        if default_basis not in allowed:
            raise f.fail("basis", "one of the allowed bases", default_basis.value)
        adjusted = f.get_object("adjusted")
        adjusted.check_keys({"factor", "sources", "confidence", "notes"})
        adjusted_factor = adjusted.get_number("factor", low=0, high=1)
        sources.cite(adjusted)
        cap = f.get_object("cap_at_actual")
        cap.check_keys({"enabled", "sources", "confidence", "notes"})
        cap_at_actual = cap.get_bool("enabled")
        sources.cite(cap)
        return cls(
            default_basis=default_basis,
            allowed=allowed,
            ideal_formula=IdealWeightFormula.from_fields(f.get_object("ideal_formula"), sources),
            adjusted_factor=adjusted_factor,
            cap_at_actual=cap_at_actual,
            source=sources.cite(f),
        )


@dataclass(frozen=True, slots=True)
class DosingWeight:
    """The weight a dose was calculated on, how it was reached, and the ideal weight for reference."""

    weight_kg: float
    basis: WeightBasis
    requested_basis: WeightBasis
    formula: str
    ideal_weight_kg: float
    computed_kg: float
    capped_at_actual: bool


def get_dosing_weight(patient: DosingPatient, rule: DosingWeightRule, basis: WeightBasis) -> DosingWeight:
    """The dosing weight on the requested basis; ideal or adjusted weights above actual use actual when capped.

    Adjusted weight is ideal + factor x (actual - ideal), with the protocol's factor.

    >>> from ketaflow.domain.dosing.weights import IdealWeightFormula
    >>> devine = IdealWeightFormula("devine", 50, 45.5, 2.3, 2.3, 60, 18, "Devine 1974")
    >>> rule = DosingWeightRule(WeightBasis.ACTUAL, tuple(WeightBasis), devine, 0.4, True, "src")
    >>> patient = DosingPatient.create(weight_kg=120, height_cm=152.4, sex="male", age_years=40)
    >>> get_dosing_weight(patient, rule, WeightBasis.ADJUSTED).weight_kg
    78.0
    """
    if basis not in rule.allowed:
        raise InputError("dosing_weight", "one of " + ", ".join(b.value for b in rule.allowed), basis.value)
    ideal_kg = rule.ideal_formula.get_ideal_weight_kg(patient)
    computed_kg = {
        WeightBasis.ACTUAL: patient.weight_kg,
        WeightBasis.IDEAL: ideal_kg,
        WeightBasis.ADJUSTED: ideal_kg + rule.adjusted_factor * (patient.weight_kg - ideal_kg),
    }[basis]
    capped = rule.cap_at_actual and computed_kg > patient.weight_kg
    return DosingWeight(
        weight_kg=patient.weight_kg if capped else computed_kg,
        basis=WeightBasis.ACTUAL if capped else basis,
        requested_basis=basis,
        formula=rule.ideal_formula.name,
        ideal_weight_kg=ideal_kg,
        computed_kg=computed_kg,
        capped_at_actual=capped,
    )
