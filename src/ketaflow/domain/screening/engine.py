"""The screening rule set (read from its versioned JSON) and ``screen_patient``, which applies it.

``ScreeningRuleSet.from_dict`` checks the whole file up front (sources resolve, concepts and medicine
classes exist, message placeholders are known, rule ids are unique) and raises ``RuleDataError`` on
anything malformed, so a bad rule file fails when it is loaded, never halfway through a screening.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ketaflow.domain.basis import Decision, Effect, Finding, JsonValue, RuleRef, decide
from ketaflow.domain.errors import InputError
from ketaflow.domain.ruledata.fields import JsonFields, rule_data_error
from ketaflow.domain.ruledata.rulebasis import RuleBasis, SourceRegistry, sort_strongest_first
from ketaflow.domain.screening.assessment_criteria import (
    BipolarCriteria,
    CssrsTriage,
    evaluate_bipolar,
    evaluate_cssrs,
)
from ketaflow.domain.screening.criteria import (
    AgeCriterion,
    AllergyCriterion,
    BmiCriterion,
    ConditionCriterion,
    PatientFlagCriterion,
    evaluate_age,
    evaluate_allergies,
    evaluate_bmi,
    evaluate_conditions,
    evaluate_patient_flags,
)
from ketaflow.domain.screening.facts import RuleContext, ScreeningFacts
from ketaflow.domain.screening.history_criteria import (
    SubstanceUseCriteria,
    TreatmentResistanceCriterion,
    evaluate_substance_use,
    evaluate_treatment_resistance,
)
from ketaflow.domain.screening.intake import Intake
from ketaflow.domain.screening.lab_criteria import LiverTestCriteria, evaluate_liver_tests
from ketaflow.domain.screening.medication_criteria import (
    BenzodiazepineLoad,
    MedicineClassCriterion,
    NotInTable,
    evaluate_benzodiazepine_load,
    evaluate_medicine_classes,
    evaluate_not_in_table,
)
from ketaflow.domain.screening.medications import MedicineTable
from ketaflow.domain.screening.valuesets import ConceptMap
from ketaflow.domain.screening.vitals_criteria import (
    BloodPressureTier,
    VitalLimit,
    VitalsRecency,
    evaluate_blood_pressure,
    evaluate_vital_limits,
    evaluate_vitals_recency,
    read_below_tiers,
)

_VERSION = re.compile(r"[0-9]{4}\.[0-9]{1,2}\.[0-9]+")
_TOP_LEVEL_KEYS = {
    "id",
    "version",
    "title",
    "notes",
    "sources",
    "value_sets",
    "medicine_classes",
    "medicines",
    "rules",
}
_RULE_FAMILIES = {
    "vitals",
    "conditions",
    "patient",
    "age",
    "bmi",
    "allergies",
    "substance_use",
    "treatment_resistance",
    "medications",
    "cssrs",
    "bipolar",
    "liver_tests",
}
_EFFECT_RANK = {effect: rank for rank, effect in enumerate(Effect)}


@dataclass(frozen=True, slots=True)
class ScreeningRuleSet:
    """A versioned set of screening criteria with its value sets and medicine table."""

    ref: RuleRef
    concepts: ConceptMap
    medicines: MedicineTable
    vitals_recency: VitalsRecency
    blood_pressure_tiers: tuple[BloodPressureTier, ...]
    blood_pressure_below_tiers: RuleBasis
    vital_limits: tuple[VitalLimit, ...]
    conditions: tuple[ConditionCriterion, ...]
    patient_flags: tuple[PatientFlagCriterion, ...]
    age: tuple[AgeCriterion, ...]
    bmi: tuple[BmiCriterion, ...]
    allergies: tuple[AllergyCriterion, ...]
    substance_use: SubstanceUseCriteria
    treatment_resistance: TreatmentResistanceCriterion
    medicine_classes: tuple[MedicineClassCriterion, ...]
    benzodiazepine_load: BenzodiazepineLoad
    not_in_table: NotInTable
    cssrs: CssrsTriage
    bipolar: BipolarCriteria
    liver_tests: LiverTestCriteria

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ScreeningRuleSet:
        """Check and read a screening rule file (parsed JSON); raises ``RuleDataError`` if it is malformed."""
        f = JsonFields.of(data, "", rule_data_error)
        f.check_keys(_TOP_LEVEL_KEYS)
        sources = SourceRegistry.from_fields(f.get_object("sources"))
        concepts = ConceptMap.from_fields(f.get_object("value_sets"), sources)
        medicines = MedicineTable.from_fields(f.get_object("medicine_classes"), f, sources)
        context = RuleContext(sources=sources, concepts=concepts, medicines=medicines)
        rules = f.get_object("rules")
        rules.check_keys(_RULE_FAMILIES)
        vitals = rules.get_object("vitals")
        vitals.check_keys({"recency", "blood_pressure_tiers", "below_tiers", "limits", "notes"})
        medications = rules.get_object("medications")
        medications.check_keys({"benzodiazepine_load", "classes", "not_in_table", "notes"})
        not_in_table = medications.get_object("not_in_table")
        rule_set = cls(
            ref=RuleRef(
                id=f.get_str("id"),
                version=f.get_str("version", pattern=_VERSION, expected="a version such as 2026.11.0"),
            ),
            concepts=concepts,
            medicines=medicines,
            vitals_recency=VitalsRecency.from_fields(vitals.get_object("recency"), context),
            blood_pressure_tiers=sort_strongest_first(
                [BloodPressureTier.from_fields(row, context) for row in vitals.get_objects("blood_pressure_tiers")]
            ),
            blood_pressure_below_tiers=read_below_tiers(vitals, context),
            vital_limits=tuple(VitalLimit.from_fields(row, context) for row in vitals.get_objects("limits")),
            conditions=tuple(ConditionCriterion.from_fields(row, context) for row in rules.get_objects("conditions")),
            patient_flags=tuple(PatientFlagCriterion.from_fields(row, context) for row in rules.get_objects("patient")),
            age=tuple(AgeCriterion.from_fields(row, context) for row in rules.get_objects("age")),
            bmi=tuple(BmiCriterion.from_fields(row, context) for row in rules.get_objects("bmi")),
            allergies=tuple(AllergyCriterion.from_fields(row, context) for row in rules.get_objects("allergies")),
            substance_use=SubstanceUseCriteria.from_fields(rules.get_object("substance_use"), context),
            treatment_resistance=TreatmentResistanceCriterion.from_fields(
                rules.get_object("treatment_resistance"), context
            ),
            medicine_classes=tuple(
                MedicineClassCriterion.from_fields(row, context) for row in medications.get_objects("classes")
            ),
            benzodiazepine_load=BenzodiazepineLoad.from_fields(medications.get_object("benzodiazepine_load"), context),
            not_in_table=NotInTable.from_fields(not_in_table, context),
            cssrs=CssrsTriage.from_fields(rules.get_object("cssrs"), context),
            bipolar=BipolarCriteria.from_fields(rules.get_object("bipolar"), context),
            liver_tests=LiverTestCriteria.from_fields(rules.get_object("liver_tests"), context),
        )
        seen: set[str] = set()
        for basis in rule_set.list_bases():
            if basis.rule_id in seen:
                raise rule_data_error("rules", "rule ids used once each", basis.rule_id)
            seen.add(basis.rule_id)
        return rule_set

    def list_bases(self) -> list[RuleBasis]:
        """Every rule row of the set, for listing rule ids and checking they are unique."""
        load, bipolar, liver = self.benzodiazepine_load, self.bipolar, self.liver_tests
        recency, cssrs, trials = self.vitals_recency, self.cssrs, self.treatment_resistance
        return [
            recency.missing,
            recency.stale,
            recency.in_future,
            *(tier.basis for tier in self.blood_pressure_tiers),
            self.blood_pressure_below_tiers,
            *(limit.basis for limit in self.vital_limits),
            *(limit.when_missing for limit in self.vital_limits if limit.when_missing is not None),
            *(row.basis for row in self.conditions),
            *(row.basis for row in self.patient_flags),
            *(row.basis for row in self.age),
            *(row.basis for row in self.bmi),
            *(row.basis for row in self.allergies),
            *(row.basis for row in self.substance_use.rows),
            trials.established,
            *(row.basis for row in trials.shortfalls),
            *(row.basis for row in self.medicine_classes),
            load.above,
            load.within,
            load.dose_unknown,
            load.other_indication,
            self.not_in_table.basis,
            cssrs.missing,
            *(tier.basis for tier in cssrs.tiers),
            cssrs.negative,
            bipolar.without_mood_stabiliser,
            bipolar.with_mood_stabiliser,
            bipolar.mania_screen_missing,
            bipolar.mania_screen_positive,
            bipolar.mania_screen_negative,
            liver.not_recorded,
            liver.transaminases_raised,
            liver.hys_law_pattern,
        ]


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """The decision, the findings that led to it (strongest first) and the rule set that made it."""

    decision: Decision
    findings: tuple[Finding, ...]
    ruleset: RuleRef
    urgent_safety_referral: bool

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "decision": self.decision.value,
            "findings": [finding.to_json() for finding in self.findings],
            "ruleset": self.ruleset.to_json(),
            "urgent_safety_referral": self.urgent_safety_referral,
        }


def _collect_findings(facts: ScreeningFacts, rules: ScreeningRuleSet) -> list[Finding]:
    findings, current_vitals = evaluate_vitals_recency(facts, rules.vitals_recency)
    if current_vitals is not None:
        findings += evaluate_blood_pressure(
            current_vitals, rules.blood_pressure_tiers, rules.blood_pressure_below_tiers
        )
        findings += evaluate_vital_limits(current_vitals, rules.vital_limits)
    findings += evaluate_cssrs(facts, rules.cssrs)
    findings += evaluate_conditions(facts, rules.conditions)
    findings += evaluate_patient_flags(facts, rules.patient_flags)
    findings += evaluate_age(facts, rules.age)
    findings += evaluate_bmi(facts, rules.bmi)
    findings += evaluate_allergies(facts, rules.allergies)
    findings += evaluate_substance_use(facts, rules.substance_use)
    findings += evaluate_treatment_resistance(facts, rules.treatment_resistance)
    findings += evaluate_bipolar(facts, rules.bipolar)
    findings += evaluate_benzodiazepine_load(facts, rules.benzodiazepine_load)
    findings += evaluate_medicine_classes(facts, rules.medicine_classes)
    findings += evaluate_not_in_table(facts, rules.not_in_table)
    findings += evaluate_liver_tests(facts, rules.liver_tests)
    return findings


def screen_patient(intake: Intake, rules: ScreeningRuleSet, *, now_utc: datetime) -> ScreeningResult:
    """Apply a rule set to an intake at the time ``now_utc`` (timezone-aware; vitals are judged against it).

    Findings are sorted strongest first, urgent-safety findings first among equals; the decision is
    ``decide(findings)``; ``urgent_safety_referral`` is set by a C-SSRS high-risk screen whatever else holds.
    """
    if now_utc.tzinfo is None or now_utc.utcoffset() is None:
        raise InputError("now_utc", "a timezone-aware date-time", now_utc.isoformat())
    facts = ScreeningFacts.create(intake, now_utc, rules.concepts, rules.medicines)
    urgent_ids = rules.cssrs.urgent_rule_ids
    findings = sorted(
        _collect_findings(facts, rules),
        key=lambda finding: (-_EFFECT_RANK[finding.effect], finding.rule_id not in urgent_ids),
    )
    return ScreeningResult(
        decision=decide(findings),
        findings=tuple(findings),
        ruleset=rules.ref,
        urgent_safety_referral=any(finding.rule_id in urgent_ids for finding in findings),
    )
