"""Pregnancy, breastfeeding, age, BMI, ketamine hypersensitivity, substance use and treatment resistance."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Decision, Effect
from ketaflow.domain.screening import ScreeningRuleSet
from tests.unit.screening.builders import baseline_intake, find, rule_ids, screen

FLAG_CASES = [
    ("pregnant", "female", "pregnant", True, "pregnancy.pregnant", Effect.BLOCK),
    ("breastfeeding", "female", "breastfeeding", True, "breastfeeding.breastfeeding", Effect.BLOCK),
    (
        "pregnancy not recorded for a woman",
        "female",
        "pregnant",
        None,
        "pregnancy.status_unknown",
        Effect.INSUFFICIENT_DATA,
    ),
    (
        "breastfeeding not recorded for a woman",
        "female",
        "breastfeeding",
        None,
        "breastfeeding.status_unknown",
        Effect.INSUFFICIENT_DATA,
    ),
    ("pregnancy not recorded for a man", "male", "pregnant", None, None, None),
    ("not pregnant", "female", "pregnant", False, None, None),
]


@pytest.mark.parametrize(
    ("sex", "flag", "value", "rule_id", "effect"),
    [row[1:] for row in FLAG_CASES],
    ids=[row[0] for row in FLAG_CASES],
)
def test_pregnancy_and_breastfeeding_block_and_unknown_status_is_insufficient(
    rules: ScreeningRuleSet,
    sex: str,
    flag: str,
    value: bool | None,
    rule_id: str | None,
    effect: Effect | None,
) -> None:
    document = baseline_intake()
    document["patient"].update({"sex": sex, flag: value})

    result = screen(document, rules)

    flagged = [(f.rule_id, f.effect) for f in result.findings if f.rule_id.startswith(("pregnancy.", "breastfeeding."))]
    assert flagged == ([(rule_id, effect)] if rule_id else [])


AGE_CASES = [
    (17, "age.below_adult_range", Effect.HOLD),
    (18, None, None),
    (70, None, None),
    (71, "age.above_studied_range", Effect.WARN),
]


@pytest.mark.parametrize(("age_years", "rule_id", "effect"), AGE_CASES, ids=[str(row[0]) for row in AGE_CASES])
def test_age_outside_the_trial_range_is_flagged(
    rules: ScreeningRuleSet, age_years: int, rule_id: str | None, effect: Effect | None
) -> None:
    document = baseline_intake()
    document["patient"]["age_years"] = age_years

    result = screen(document, rules)

    assert [(f.rule_id, f.effect) for f in result.findings if f.rule_id.startswith("age.")] == (
        [(rule_id, effect)] if rule_id else []
    )


@pytest.mark.parametrize(
    ("weight_kg", "height_cm", "flagged"),
    [(85.0, 168.0, True), (84.0, 168.0, False), (120.0, None, False)],
    ids=["BMI 30.1", "BMI 29.8", "no height"],
)
def test_bmi_of_30_or_more_notes_the_dosing_weight_question(
    rules: ScreeningRuleSet, weight_kg: float, height_cm: float | None, flagged: bool
) -> None:
    document = baseline_intake()
    document["patient"].update({"weight_kg": weight_kg, "height_cm": height_cm})

    result = screen(document, rules)

    assert ("bmi.obese" in rule_ids(result)) is flagged
    if flagged:
        assert "BMI 30.12 kg/m2 (85 kg, 168 cm)" in find(result, "bmi.obese").message


@pytest.mark.parametrize("substance", ["Ketamine", "esketamine", "ketamine hydrochloride"])
def test_recorded_ketamine_hypersensitivity_blocks(rules: ScreeningRuleSet, substance: str) -> None:
    document = baseline_intake()
    document["allergies"] = [{"substance": "penicillin"}, {"substance": substance, "reaction": "anaphylaxis"}]

    result = screen(document, rules)

    finding = find(result, "hypersensitivity.ketamine")
    assert finding.effect is Effect.BLOCK
    assert finding.inputs["allergies[1].reaction"] == "anaphylaxis"
    assert result.decision is Decision.BLOCK


def test_a_hypersensitivity_without_a_reaction_says_so(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["allergies"] = [{"substance": "ketamine"}]

    result = screen(document, rules)

    assert "reaction not recorded" in find(result, "hypersensitivity.ketamine").message


SUBSTANCE_CASES = [
    ("active alcohol use", "alcohol", "active", "substance_use.active", Effect.BLOCK),
    ("relapsed cocaine use", "cocaine", "relapse", "substance_use.active", Effect.BLOCK),
    ("alcohol in remission", "alcohol", "remission", "substance_use.remitted", Effect.WARN),
    ("resolved opioid use", "opioids", "resolved", "substance_use.remitted", Effect.WARN),
    ("active tobacco", "Tobacco", "active", None, None),
]


@pytest.mark.parametrize(
    ("substance", "status", "rule_id", "effect"),
    [row[1:] for row in SUBSTANCE_CASES],
    ids=[row[0] for row in SUBSTANCE_CASES],
)
def test_active_substance_use_blocks_and_remitted_use_warns(
    rules: ScreeningRuleSet, substance: str, status: str, rule_id: str | None, effect: Effect | None
) -> None:
    document = baseline_intake()
    document["substance_use"] = [{"substance": substance, "status": status}]

    result = screen(document, rules)

    assert [(f.rule_id, f.effect) for f in result.findings if f.rule_id.startswith("substance_use.")] == (
        [(rule_id, effect)] if rule_id else []
    )


def _trial(outcome: str, adequate: bool = True) -> dict[str, object]:
    return {"drug": "sertraline", "adequate": adequate, "outcome": outcome}


TRIAL_CASES = [
    (
        "TRD with 2 failed trials",
        "treatment_resistant_depression",
        ["no_response", "partial_response"],
        "treatment_resistance.established",
        Effect.INFO,
    ),
    (
        "TRD with 1 failed trial",
        "treatment_resistant_depression",
        ["no_response"],
        "treatment_resistance.not_established",
        Effect.HOLD,
    ),
    (
        "TRD with no trials",
        "treatment_resistant_depression",
        [],
        "treatment_resistance.not_established",
        Effect.HOLD,
    ),
    (
        "TRD where one failure was intolerance",
        "treatment_resistant_depression",
        ["no_response", "intolerance"],
        "treatment_resistance.not_established",
        Effect.HOLD,
    ),
    (
        "MDD with 1 failed trial",
        "major_depressive_disorder",
        ["no_response"],
        "treatment_resistance.below_minimum",
        Effect.WARN,
    ),
    (
        "bipolar depression with 3 failed trials",
        "bipolar_depression",
        ["no_response"] * 3,
        "treatment_resistance.established",
        Effect.INFO,
    ),
    (
        "postpartum depression with a response",
        "postpartum_depression",
        ["response", "remission"],
        "treatment_resistance.below_minimum",
        Effect.WARN,
    ),
    ("PTSD is not graded on antidepressant trials", "ptsd", [], None, None),
]


@pytest.mark.parametrize(
    ("indication", "outcomes", "rule_id", "effect"),
    [row[1:] for row in TRIAL_CASES],
    ids=[row[0] for row in TRIAL_CASES],
)
def test_treatment_resistance_needs_two_adequate_failed_trials(
    rules: ScreeningRuleSet, indication: str, outcomes: list[str], rule_id: str | None, effect: Effect | None
) -> None:
    document = baseline_intake()
    document["indication"] = indication
    document["antidepressant_trials"] = [_trial(outcome) for outcome in outcomes]

    result = screen(document, rules)

    assert [(f.rule_id, f.effect) for f in result.findings if f.rule_id.startswith("treatment_resistance.")] == (
        [(rule_id, effect)] if rule_id else []
    )


def test_inadequate_trials_do_not_count_towards_resistance(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["antidepressant_trials"] = [_trial("no_response"), _trial("no_response", adequate=False)]

    result = screen(document, rules)

    finding = find(result, "treatment_resistance.not_established")
    assert "number 1 (sertraline)" in finding.message
    assert finding.inputs["antidepressant_trials[1]"] == {
        "drug": "sertraline",
        "adequate": False,
        "outcome": "no_response",
    }
