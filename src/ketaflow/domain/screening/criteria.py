"""Screening criteria on diagnoses and on the patient: rows of rule data, each read by one small function.

A condition criterion matches a coded condition by concept (through the ICD-10-CM value sets), FHIR
clinical status, whether it is controlled and its severity; "active psychosis blocks, remote psychosis
holds" is two rows of data, not an ``if``. Patient criteria look at pregnancy, breastfeeding, age and BMI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.basis import Finding, JsonValue
from ketaflow.domain.ruledata.fields import JsonFields
from ketaflow.domain.ruledata.rulebasis import BASIS_KEYS, RuleBasis, format_number
from ketaflow.domain.screening.facts import CodedCondition, RuleContext, ScreeningFacts
from ketaflow.domain.screening.vocabulary import ClinicalStatus, Severity, Sex

_ANY_CONTROL: frozenset[bool | None] = frozenset({True, False, None})
_ANY_SEVERITY: frozenset[Severity | None] = frozenset({*Severity, None})
_CONDITION_PLACEHOLDERS = ("code", "clinical_status", "controlled", "severity", "concept")


def read_concepts(f: JsonFields, key: str, context: RuleContext, *, required: bool) -> frozenset[str]:
    """Concept names that must exist among the rule set's value sets."""
    concepts = frozenset(f.get_strs(key))
    if required and not concepts:
        raise f.fail(key, "at least one concept")
    for concept in sorted(concepts):
        if not context.concepts.has_concept(concept):
            raise f.fail(key, "concepts defined in value_sets", concept)
    return concepts


def _read_nullable_choice(f: JsonFields, key: str, allowed: dict[object, object]) -> frozenset[object]:
    """A list drawn from ``allowed`` (JSON values, null included) mapped to their domain values."""
    chosen: set[object] = set()
    for _, item in f.get_list(key):
        if isinstance(item, bool | str | None) and item in allowed:
            chosen.add(allowed[item])
        else:
            raise f.fail(key, "a list drawn from " + ", ".join(repr(v) for v in allowed), item)
    if not chosen:
        raise f.fail(key, "at least one value (leave the key out to match any)")
    return frozenset(chosen)


@dataclass(frozen=True, slots=True)
class ConditionCriterion:
    """A finding for each coded condition in ``concepts`` with a matching status, control and severity."""

    basis: RuleBasis
    concepts: frozenset[str]
    statuses: frozenset[ClinicalStatus]
    excluded_concepts: frozenset[str] = frozenset()
    controlled: frozenset[bool | None] = _ANY_CONTROL
    severities: frozenset[Severity | None] = _ANY_SEVERITY

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> ConditionCriterion:
        f.check_keys(BASIS_KEYS | {"concepts", "exclude_concepts", "statuses", "controlled", "severity"})
        statuses = frozenset(f.get_enums("statuses", ClinicalStatus))
        if not statuses:
            raise f.fail("statuses", "at least one FHIR clinical status")
        controlled: frozenset[bool | None] = _ANY_CONTROL
        if "controlled" in f.data:
            control_choices: dict[object, object] = {True: True, False: False, None: None}
            chosen = _read_nullable_choice(f, "controlled", control_choices)
            controlled = frozenset(value for value in (True, False, None) if value in chosen)
        severities: frozenset[Severity | None] = _ANY_SEVERITY
        if "severity" in f.data:
            severity_choices: dict[object, object] = {None: None, **{s.value: s for s in Severity}}
            chosen = _read_nullable_choice(f, "severity", severity_choices)
            severities = frozenset(value for value in (*Severity, None) if value in chosen)
        return cls(
            basis=RuleBasis.from_fields(f, context.sources, placeholders=_CONDITION_PLACEHOLDERS),
            concepts=read_concepts(f, "concepts", context, required=True),
            statuses=statuses,
            excluded_concepts=read_concepts(f, "exclude_concepts", context, required=False),
            controlled=controlled,
            severities=severities,
        )

    def matches(self, coded: CodedCondition) -> bool:
        condition = coded.condition
        return (
            bool(self.concepts & coded.concepts)
            and not self.excluded_concepts & coded.concepts
            and condition.clinical_status in self.statuses
            and condition.controlled in self.controlled
            and condition.severity in self.severities
        )


def _describe_control(controlled: bool | None) -> str:
    return {True: "controlled", False: "not controlled", None: "control not recorded"}[controlled]


def evaluate_conditions(facts: ScreeningFacts, criteria: Sequence[ConditionCriterion]) -> list[Finding]:
    """One finding per (criterion, matching condition), naming the code and its status.

    Criteria are independent of each other, so recording another diagnosis can only add findings.
    """
    findings: list[Finding] = []
    for criterion in criteria:
        for coded in facts.conditions:
            if not criterion.matches(coded):
                continue
            condition = coded.condition
            concept = sorted(criterion.concepts & coded.concepts)[0]
            values = {
                "code": condition.code,
                "clinical_status": condition.clinical_status.value,
                "controlled": _describe_control(condition.controlled),
                "severity": condition.severity.value if condition.severity else "severity not recorded",
                "concept": concept.replace("_", " "),
            }
            inputs: dict[str, JsonValue] = {
                f"{coded.path}.code": condition.code,
                f"{coded.path}.clinical_status": condition.clinical_status.value,
                f"{coded.path}.controlled": condition.controlled,
                f"{coded.path}.severity": condition.severity.value if condition.severity else None,
            }
            findings.append(criterion.basis.make_finding(values, inputs))
    return findings


class PatientFlag(StrEnum):
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"


@dataclass(frozen=True, slots=True)
class PatientFlagCriterion:
    """A finding when ``patient.<flag>`` equals a value; ``equals: null`` catches an unrecorded flag."""

    basis: RuleBasis
    flag: PatientFlag
    equals: bool | None
    sexes: frozenset[Sex] = frozenset(Sex)

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> PatientFlagCriterion:
        f.check_keys(BASIS_KEYS | {"flag", "equals", "sexes"})
        if "equals" not in f.data or f.data["equals"] not in (True, False, None):
            raise f.fail("equals", "true, false or null", f.data.get("equals"))
        equals = f.data["equals"]
        sexes = frozenset(f.get_enums("sexes", Sex)) or frozenset(Sex)
        return cls(
            basis=RuleBasis.from_fields(f, context.sources, placeholders=("flag", "sex")),
            flag=f.get_enum("flag", PatientFlag),
            equals=equals if isinstance(equals, bool) else None,
            sexes=sexes,
        )


def evaluate_patient_flags(facts: ScreeningFacts, criteria: Sequence[PatientFlagCriterion]) -> list[Finding]:
    patient = facts.intake.patient
    findings: list[Finding] = []
    for criterion in criteria:
        value = patient.pregnant if criterion.flag is PatientFlag.PREGNANT else patient.breastfeeding
        if value is criterion.equals and patient.sex in criterion.sexes:
            inputs: dict[str, JsonValue] = {
                f"patient.{criterion.flag.value}": value,
                "patient.sex": patient.sex.value,
            }
            values = {"flag": criterion.flag.value, "sex": patient.sex.value}
            findings.append(criterion.basis.make_finding(values, inputs))
    return findings


@dataclass(frozen=True, slots=True)
class AgeCriterion:
    """A finding when age is below ``below_years`` or above ``above_years`` (exactly one is set)."""

    basis: RuleBasis
    below_years: int | None = None
    above_years: int | None = None

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> AgeCriterion:
        f.check_keys(BASIS_KEYS | {"below_years", "above_years"})
        below = f.get_optional_int("below_years", low=0, high=130)
        above = f.get_optional_int("above_years", low=0, high=130)
        if (below is None) == (above is None):
            raise f.fail("below_years", "exactly one of below_years and above_years")
        basis = RuleBasis.from_fields(f, context.sources, placeholders=("age_years", "limit_years"))
        return cls(basis=basis, below_years=below, above_years=above)

    def is_outside(self, age_years: int) -> bool:
        if self.below_years is not None:
            return age_years < self.below_years
        return self.above_years is not None and age_years > self.above_years


def evaluate_age(facts: ScreeningFacts, criteria: Sequence[AgeCriterion]) -> list[Finding]:
    age_years = facts.intake.patient.age_years
    return [
        criterion.basis.make_finding(
            {"age_years": str(age_years), "limit_years": str(criterion.below_years or criterion.above_years)},
            {"patient.age_years": age_years},
        )
        for criterion in criteria
        if criterion.is_outside(age_years)
    ]


@dataclass(frozen=True, slots=True)
class BmiCriterion:
    """A finding when the body-mass index (from weight and height) is at or above a limit."""

    basis: RuleBasis
    at_or_above_kg_per_m2: float

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> BmiCriterion:
        f.check_keys(BASIS_KEYS | {"at_or_above_kg_per_m2"})
        return cls(
            basis=RuleBasis.from_fields(
                f,
                context.sources,
                placeholders=("bmi_kg_per_m2", "limit_kg_per_m2", "weight_kg", "height_cm"),
            ),
            at_or_above_kg_per_m2=f.get_number("at_or_above_kg_per_m2", low=10, high=100),
        )


def evaluate_bmi(facts: ScreeningFacts, criteria: Sequence[BmiCriterion]) -> list[Finding]:
    """BMI needs a height; without one these (dosing-advice) criteria do not apply."""
    patient = facts.intake.patient
    bmi = patient.bmi_kg_per_m2
    if bmi is None or patient.height_cm is None:
        return []
    return [
        criterion.basis.make_finding(
            {
                "bmi_kg_per_m2": format_number(bmi),
                "limit_kg_per_m2": format_number(criterion.at_or_above_kg_per_m2),
                "weight_kg": format_number(patient.weight_kg),
                "height_cm": format_number(patient.height_cm),
            },
            {"patient.weight_kg": patient.weight_kg, "patient.height_cm": patient.height_cm},
        )
        for criterion in criteria
        if bmi >= criterion.at_or_above_kg_per_m2
    ]


@dataclass(frozen=True, slots=True)
class AllergyCriterion:
    """A finding for each recorded allergy to one of ``substances`` (e.g. ketamine, esketamine)."""

    basis: RuleBasis
    substances: frozenset[str]

    @classmethod
    def from_fields(cls, f: JsonFields, context: RuleContext) -> AllergyCriterion:
        f.check_keys(BASIS_KEYS | {"substances"})
        substances = frozenset(" ".join(s.lower().split()) for s in f.get_strs("substances"))
        if not substances:
            raise f.fail("substances", "at least one substance name")
        basis = RuleBasis.from_fields(f, context.sources, placeholders=("substance", "reaction"))
        return cls(basis=basis, substances=substances)


def evaluate_allergies(facts: ScreeningFacts, criteria: Sequence[AllergyCriterion]) -> list[Finding]:
    return [
        criterion.basis.make_finding(
            {"substance": allergy.substance, "reaction": allergy.reaction or "reaction not recorded"},
            {
                f"allergies[{index}].substance": allergy.substance,
                f"allergies[{index}].reaction": allergy.reaction,
            },
        )
        for criterion in criteria
        for index, allergy in enumerate(facts.intake.allergies)
        if allergy.substance in criterion.substances
    ]
