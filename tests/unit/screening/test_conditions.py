"""Coded diagnoses: each condition criterion in the rule data, by concept, status, control and severity."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Decision, Effect
from ketaflow.domain.screening import ScreeningRuleSet
from tests.unit.screening.builders import find, rule_ids, screen, with_condition

# (case, code, clinical status, controlled, severity) -> (rule id, effect)
CONDITION_CASES = [
    (
        "heart failure not controlled",
        "I50.22",
        "active",
        False,
        None,
        "cardiovascular.uncontrolled",
        Effect.BLOCK,
    ),
    (
        "atrial fibrillation, control unknown",
        "I48.91",
        "active",
        None,
        None,
        "cardiovascular.control_unknown",
        Effect.INSUFFICIENT_DATA,
    ),
    ("stable angina controlled", "I20.9", "active", True, None, "cardiovascular.controlled", Effect.WARN),
    ("acute MI", "I21.4", "active", None, None, "cardiac.acute_coronary_syndrome", Effect.BLOCK),
    ("unstable angina", "I20.0", "active", None, None, "cardiac.acute_coronary_syndrome", Effect.BLOCK),
    (
        "MI coded resolved",
        "I21.9",
        "resolved",
        None,
        None,
        "cardiac.acute_coronary_syndrome_remote",
        Effect.HOLD,
    ),
    ("old MI", "I25.2", "inactive", None, None, "cardiac.coronary_event_history", Effect.HOLD),
    ("coronary stent status", "Z95.5", "active", None, None, "cardiac.coronary_event_history", Effect.HOLD),
    ("history of stroke", "Z86.73", "resolved", None, None, "cerebrovascular.stroke_or_tia", Effect.HOLD),
    ("TIA", "G45.9", "resolved", None, None, "cerebrovascular.stroke_or_tia", Effect.HOLD),
    (
        "intracerebral haemorrhage, remote",
        "I61.9",
        "resolved",
        None,
        None,
        "cerebrovascular.intracerebral_haemorrhage",
        Effect.BLOCK,
    ),
    (
        "subarachnoid haemorrhage sequelae",
        "I69.098",
        "inactive",
        None,
        None,
        "cerebrovascular.intracerebral_haemorrhage",
        Effect.BLOCK,
    ),
    ("cerebral aneurysm", "I67.1", "active", None, None, "vascular.aneurysm_or_avm", Effect.BLOCK),
    ("abdominal aortic aneurysm", "I71.40", "active", None, None, "vascular.aneurysm_or_avm", Effect.BLOCK),
    ("cerebral AVM", "Q28.2", "inactive", None, None, "vascular.aneurysm_or_avm", Effect.BLOCK),
    ("repaired aneurysm", "I71.40", "resolved", None, None, "vascular.aneurysm_or_avm_resolved", Effect.HOLD),
    ("untreated hypertension", "I10", "active", False, None, "hypertension.uncontrolled", Effect.WARN),
    ("hypertensive urgency", "I16.0", "active", None, None, "hypertension.crisis", Effect.BLOCK),
    ("schizophrenia, active", "F20.0", "active", None, None, "psychosis.active", Effect.BLOCK),
    ("MDD with psychotic features", "F33.3", "relapse", None, None, "psychosis.active", Effect.BLOCK),
    ("schizoaffective in remission", "F25.0", "remission", None, None, "psychosis.remote", Effect.HOLD),
    ("current hypomanic episode", "F31.0", "active", None, None, "mania.current_episode", Effect.HOLD),
    (
        "alcohol dependence, active",
        "F10.20",
        "active",
        None,
        None,
        "substance_use_disorder.active",
        Effect.BLOCK,
    ),
    (
        "cannabis use disorder in remission",
        "F12.20",
        "remission",
        None,
        None,
        "substance_use_disorder.remitted",
        Effect.WARN,
    ),
    (
        "alcohol dependence coded in remission",
        "F10.21",
        "active",
        None,
        None,
        "substance_use_disorder.remitted_by_code",
        Effect.WARN,
    ),
    ("pregnancy coded", "Z33.1", "active", None, None, "pregnancy.coded", Effect.BLOCK),
    ("pre-eclampsia", "O14.03", "active", None, None, "pregnancy.preeclampsia", Effect.BLOCK),
    ("hydrocephalus", "G91.9", "active", None, None, "intracranial_pressure.raised", Effect.HOLD),
    ("ventricular shunt", "Z98.2", "active", None, None, "intracranial_pressure.raised", Effect.HOLD),
    (
        "glaucoma untreated",
        "H40.11X1",
        "active",
        False,
        None,
        "intraocular_pressure.glaucoma_uncontrolled",
        Effect.HOLD,
    ),
    (
        "glaucoma, control unknown",
        "H40.10X0",
        "active",
        None,
        None,
        "intraocular_pressure.glaucoma_control_unknown",
        Effect.INSUFFICIENT_DATA,
    ),
    (
        "glaucoma controlled",
        "H40.11X1",
        "active",
        True,
        None,
        "intraocular_pressure.glaucoma_controlled",
        Effect.WARN,
    ),
    (
        "open globe injury",
        "S05.31XA",
        "active",
        None,
        None,
        "intraocular_pressure.open_globe_injury",
        Effect.BLOCK,
    ),
    ("hepatic failure", "K72.10", "active", None, None, "hepatic.failure", Effect.BLOCK),
    ("cirrhosis severe", "K74.60", "active", None, "severe", "hepatic.severe_impairment", Effect.BLOCK),
    ("cirrhosis moderate", "K74.60", "active", None, "moderate", "hepatic.moderate_impairment", Effect.WARN),
    ("chronic hepatitis C mild", "B18.2", "active", None, "mild", "hepatic.mild_impairment", Effect.INFO),
    (
        "cirrhosis, severity not graded",
        "K74.60",
        "active",
        None,
        None,
        "hepatic.severity_unknown",
        Effect.INSUFFICIENT_DATA,
    ),
    ("Graves disease untreated", "E05.00", "active", False, None, "hyperthyroidism.untreated", Effect.BLOCK),
    (
        "hyperthyroidism, treatment unknown",
        "E05.90",
        "active",
        None,
        None,
        "hyperthyroidism.control_unknown",
        Effect.INSUFFICIENT_DATA,
    ),
    ("hyperthyroidism treated", "E05.90", "active", True, None, "hyperthyroidism.treated", Effect.INFO),
    (
        "allergy to an anaesthetic",
        "Z88.4",
        "active",
        None,
        None,
        "hypersensitivity.anaesthetic_allergy_status",
        Effect.HOLD,
    ),
    ("acute intermittent porphyria", "E80.21", "active", None, None, "porphyria.present", Effect.HOLD),
    ("epilepsy", "G40.909", "active", None, None, "epilepsy.present", Effect.WARN),
    ("acute pharyngitis", "J02.9", "active", None, None, "airway.upper_respiratory_infection", Effect.WARN),
]


@pytest.mark.parametrize(
    ("code", "status", "controlled", "severity", "rule_id", "effect"),
    [row[1:] for row in CONDITION_CASES],
    ids=[row[0] for row in CONDITION_CASES],
)
def test_condition_criteria_follow_the_rule_data(
    rules: ScreeningRuleSet,
    code: str,
    status: str,
    controlled: bool | None,
    severity: str | None,
    rule_id: str,
    effect: Effect,
) -> None:
    document = with_condition(code, status, controlled=controlled, severity=severity)

    result = screen(document, rules)

    finding = find(result, rule_id)
    assert finding.effect is effect
    assert code in finding.message
    assert finding.inputs["conditions[1].code"] == code
    assert finding.inputs["conditions[1].clinical_status"] == status
    assert finding.source.endswith(("[C]", "[S]", "[NF]"))


# Codes the value sets leave out on purpose, and statuses the rows do not cover.
NO_FINDING_CASES = [
    ("transient global amnesia is not a TIA", "G45.4", "resolved"),
    ("fatty liver is not graded as impairment", "K76.0", "active"),
    ("nicotine dependence is not a substance use disorder here", "F17.210", "active"),
    ("postpartum mood disturbance is not pregnancy", "O90.6", "active"),
    ("hypertension recorded as resolved", "I10", "resolved"),
    ("glaucoma recorded as resolved", "H40.11X1", "resolved"),
    ("an unrelated code", "M54.50", "active"),
]


@pytest.mark.parametrize(
    ("code", "status"), [row[1:] for row in NO_FINDING_CASES], ids=[row[0] for row in NO_FINDING_CASES]
)
def test_codes_outside_the_value_sets_add_no_finding(rules: ScreeningRuleSet, code: str, status: str) -> None:
    document = with_condition(code, status)

    result = screen(document, rules)

    assert not [f for f in result.findings if "conditions[1].code" in f.inputs]
    assert result.decision is Decision.PROCEED


def test_hepatic_failure_is_not_also_asked_for_a_severity(rules: ScreeningRuleSet) -> None:
    document = with_condition("K71.11")  # toxic liver disease with necrosis: in both liver value sets

    result = screen(document, rules)

    assert "hepatic.severity_unknown" not in rule_ids(result)


def test_each_matching_condition_gets_its_own_finding(rules: ScreeningRuleSet) -> None:
    document = with_condition("I61.9", "resolved")
    document["conditions"].append({"code": "I62.9", "clinical_status": "inactive"})

    result = screen(document, rules)

    haemorrhages = [f for f in result.findings if f.rule_id == "cerebrovascular.intracerebral_haemorrhage"]
    assert [f.inputs.get("conditions[1].code") or f.inputs.get("conditions[2].code") for f in haemorrhages] == [
        "I61.9",
        "I62.9",
    ]
