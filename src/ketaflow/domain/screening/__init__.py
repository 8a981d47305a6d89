"""Eligibility screening: may this patient have a ketamine infusion today, and on what basis.

The public API is small and pinned here::

    rules = ScreeningRuleSet.from_dict(load_rule_file("screening", "default"))   # the caller reads the file
    intake = Intake.from_json(document)                                         # InputError names the field
    result = screen_patient(intake, rules, now_utc=clock.now())
    result.to_json()  # {"decision", "findings", "ruleset", "urgent_safety_referral"}
"""

from ketaflow.domain.screening.assessments import Assessments, CssrsScreener, ManiaInstrument, ManiaScreen
from ketaflow.domain.screening.engine import ScreeningResult, ScreeningRuleSet, screen_patient
from ketaflow.domain.screening.intake import (
    Allergy,
    AntidepressantTrial,
    Condition,
    Intake,
    Labs,
    Medication,
    Patient,
    SubstanceUse,
    Vitals,
)
from ketaflow.domain.screening.medications import Medicine, MedicineTable
from ketaflow.domain.screening.valuesets import ConceptMap, ValueSet
from ketaflow.domain.screening.vocabulary import (
    ClinicalStatus,
    Indication,
    KetamineRoute,
    Severity,
    Sex,
    TrialOutcome,
)

__all__ = [
    "Allergy",
    "AntidepressantTrial",
    "Assessments",
    "ClinicalStatus",
    "ConceptMap",
    "Condition",
    "CssrsScreener",
    "Indication",
    "Intake",
    "KetamineRoute",
    "Labs",
    "ManiaInstrument",
    "ManiaScreen",
    "Medication",
    "Medicine",
    "MedicineTable",
    "Patient",
    "ScreeningResult",
    "ScreeningRuleSet",
    "Severity",
    "Sex",
    "SubstanceUse",
    "TrialOutcome",
    "ValueSet",
    "Vitals",
    "screen_patient",
]
