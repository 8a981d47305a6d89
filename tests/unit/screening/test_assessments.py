"""C-SSRS screener triage (high risk routes to urgent safety care whatever else holds) and bipolar checks."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Decision, Effect
from ketaflow.domain.screening import ScreeningRuleSet
from tests.unit.screening.builders import JsonDoc, baseline_intake, find, rule_ids, screen

NO = {"q1": False, "q2": False, "q6_lifetime": False, "q6_past_3_months": False}
IDEATION = {"q1": True, "q2": True, "q3": False, "q4": False, "q5": False}

CSSRS_CASES = [
    ("all no", NO, "cssrs.negative", Effect.INFO),
    ("wish to be dead only", NO | {"q1": True}, "cssrs.low_risk", Effect.WARN),
    ("non-specific active thoughts", NO | IDEATION, "cssrs.low_risk", Effect.WARN),
    ("method without intent", NO | IDEATION | {"q3": True}, "cssrs.moderate_risk", Effect.HOLD),
    ("behaviour more than 3 months ago", NO | {"q6_lifetime": True}, "cssrs.moderate_risk", Effect.HOLD),
    ("intent without plan", NO | IDEATION | {"q4": True}, "cssrs.high_risk", Effect.BLOCK),
    ("plan with intent", NO | IDEATION | {"q3": True, "q5": True}, "cssrs.high_risk", Effect.BLOCK),
    (
        "behaviour in the past 3 months",
        NO | {"q6_lifetime": True, "q6_past_3_months": True},
        "cssrs.high_risk",
        Effect.BLOCK,
    ),
]


@pytest.mark.parametrize(
    ("answers", "rule_id", "effect"), [row[1:] for row in CSSRS_CASES], ids=[row[0] for row in CSSRS_CASES]
)
def test_cssrs_screener_is_triaged_into_one_tier(
    rules: ScreeningRuleSet, answers: JsonDoc, rule_id: str, effect: Effect
) -> None:
    document = baseline_intake()
    document["assessments"]["cssrs_screener"] = answers

    result = screen(document, rules)

    assert [(f.rule_id, f.effect) for f in result.findings if f.rule_id.startswith("cssrs.")] == [(rule_id, effect)]
    assert result.urgent_safety_referral is (rule_id == "cssrs.high_risk")


def test_high_risk_screen_routes_to_urgent_safety_care_whatever_else_is_true(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["assessments"]["cssrs_screener"] = NO | IDEATION | {"q5": True}
    document["vitals"].update({"systolic_mmhg": 220, "diastolic_mmhg": 125})
    document["patient"]["pregnant"] = True
    document["conditions"].append({"code": "I61.9", "clinical_status": "resolved"})
    document["medications"].append({"name": "phenelzine", "daily_dose_mg": 45})

    result = screen(document, rules)

    assert result.urgent_safety_referral is True
    assert result.findings[0].rule_id == "cssrs.high_risk"
    assert result.decision is Decision.BLOCK
    assert "immediate mental-health evaluation" in result.findings[0].message
    assert result.findings[0].inputs["assessments.cssrs_screener.q5"] is True


def test_high_risk_screen_is_urgent_even_when_vitals_are_missing(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    del document["vitals"]
    document["assessments"]["cssrs_screener"] = NO | {"q6_lifetime": True, "q6_past_3_months": True}

    result = screen(document, rules)

    assert result.urgent_safety_referral is True
    assert result.findings[0].rule_id == "cssrs.high_risk"


@pytest.mark.parametrize(
    ("indication", "rule_id"),
    [("major_depressive_disorder", "cssrs.missing"), ("ptsd", "cssrs.missing"), ("chronic_pain", None)],
)
def test_missing_cssrs_is_insufficient_data_for_psychiatric_indications(
    rules: ScreeningRuleSet, indication: str, rule_id: str | None
) -> None:
    document = baseline_intake()
    document["indication"] = indication
    del document["assessments"]

    result = screen(document, rules)

    assert [r for r in rule_ids(result) if r.startswith("cssrs.")] == ([rule_id] if rule_id else [])


def _bipolar(**changes: object) -> JsonDoc:
    document = baseline_intake()
    document["indication"] = "bipolar_depression"
    document["medications"] = [{"name": "lithium carbonate", "daily_dose_mg": 900}]
    document["assessments"]["mania_screen"] = {"instrument": "ymrs", "ymrs_total": 4}
    document.update(changes)
    return document


def test_bipolar_depression_on_lithium_with_a_negative_screen_proceeds(rules: ScreeningRuleSet) -> None:
    result = screen(_bipolar(), rules)

    assert find(result, "bipolar.on_mood_stabiliser").effect is Effect.INFO
    assert find(result, "mania_screen.negative").effect is Effect.INFO
    assert result.decision is Decision.PROCEED


def test_bipolar_disorder_without_a_mood_stabiliser_holds(rules: ScreeningRuleSet) -> None:
    document = _bipolar(medications=[{"name": "quetiapine", "daily_dose_mg": 300}])

    result = screen(document, rules)

    finding = find(result, "bipolar.no_mood_stabiliser")
    assert finding.effect is Effect.HOLD
    assert "indication bipolar depression" in finding.message


def test_a_coded_bipolar_history_brings_in_the_bipolar_checks(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["conditions"].append({"code": "F31.81", "clinical_status": "remission"})

    result = screen(document, rules)

    assert find(result, "bipolar.no_mood_stabiliser").inputs["conditions[1].code"] == "F31.81"
    assert find(result, "mania_screen.missing").effect is Effect.INSUFFICIENT_DATA


MANIA_CASES = [
    ("YMRS 11", {"instrument": "ymrs", "ymrs_total": 11}, "mania_screen.negative", Effect.INFO),
    ("YMRS 12", {"instrument": "ymrs", "ymrs_total": 12}, "mania_screen.positive", Effect.HOLD),
    (
        "interview positive",
        {"instrument": "clinical_interview", "positive": True},
        "mania_screen.positive",
        Effect.HOLD,
    ),
    (
        "interview negative",
        {"instrument": "clinical_interview", "positive": False},
        "mania_screen.negative",
        Effect.INFO,
    ),
]


@pytest.mark.parametrize(
    ("screen_answers", "rule_id", "effect"),
    [row[1:] for row in MANIA_CASES],
    ids=[row[0] for row in MANIA_CASES],
)
def test_positive_mania_screen_holds(
    rules: ScreeningRuleSet, screen_answers: JsonDoc, rule_id: str, effect: Effect
) -> None:
    document = _bipolar()
    document["assessments"]["mania_screen"] = screen_answers

    result = screen(document, rules)

    assert [(f.rule_id, f.effect) for f in result.findings if f.rule_id.startswith("mania_screen.")] == [
        (rule_id, effect)
    ]


def test_mania_screen_is_not_asked_of_patients_without_bipolar_disorder(rules: ScreeningRuleSet) -> None:
    result = screen(baseline_intake(), rules)

    assert not [r for r in rule_ids(result) if r.startswith(("mania_screen.", "bipolar."))]
