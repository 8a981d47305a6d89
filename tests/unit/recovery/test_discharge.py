"""Discharge is allowed only when every criterion is met; each unmet one holds with its inputs and source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from ketaflow.domain.basis import Effect, Finding
from ketaflow.domain.errors import InputError
from ketaflow.domain.recovery import (
    DischargeEvaluation,
    Instrument,
    RecoveryRules,
    RecoveryScore,
    evaluate_discharge,
    score_recovery,
)
from ketaflow.domain.vitals import Vitals

from .builders import BASELINE, RECOVERED, RULES, aldrete, full_marks, load_rule_data, padss

READY: dict[str, Any] = {
    "minutes_since_infusion_end": 120.0,
    "padss_history": [padss(9), padss(10)],
    "aldrete": aldrete(10),
    "baseline": BASELINE,
    "latest": RECOVERED,
    "escort_name": "Alex Doe",
}


def evaluate(rules: RecoveryRules = RULES, **changes: Any) -> DischargeEvaluation:
    return evaluate_discharge(rules, **(READY | changes))


def by_rule(evaluation: DischargeEvaluation, rule_id: str) -> list[Finding]:
    return [finding for finding in evaluation.findings if finding.rule_id == rule_id]


def held(evaluation: DischargeEvaluation) -> list[str]:
    return [finding.rule_id for finding in evaluation.findings if finding.effect is not Effect.INFO]


def test_a_patient_meeting_every_criterion_may_go_home_with_the_full_basis_shown() -> None:
    evaluation = evaluate()

    assert evaluation.allowed is True
    assert evaluation.earliest_at_min is None
    assert {finding.rule_id for finding in evaluation.findings} == {
        "discharge.observation_met",
        "discharge.padss_met",
        "discharge.aldrete_met",
        "discharge.vitals_near_baseline",
        "discharge.escort_named",
    }
    assert all(finding.effect is Effect.INFO for finding in evaluation.findings)


def test_each_vital_compared_gets_its_own_finding() -> None:
    evaluation = evaluate()

    assert [f.inputs["sign"] for f in by_rule(evaluation, "discharge.vitals_near_baseline")] == [
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_bpm",
        "respiratory_rate_per_min",
    ]


# Minimum observation: 120 min after the infusion ends (>=).
@pytest.mark.parametrize(
    ("minutes", "allowed", "earliest"),
    [(0.0, False, 120.0), (119.9, False, 120.0), (120.0, True, None), (120.1, True, None)],
    ids=["at-end", "just-before", "exactly", "just-after"],
)
def test_minimum_observation_time_boundary(minutes: float, allowed: bool, earliest: float | None) -> None:
    evaluation = evaluate(minutes_since_infusion_end=minutes)

    assert evaluation.allowed is allowed
    assert evaluation.earliest_at_min == earliest


def test_time_not_passed_holds_with_the_minutes_to_go() -> None:
    evaluation = evaluate(minutes_since_infusion_end=75)

    (finding,) = by_rule(evaluation, "discharge.observation_not_passed")
    assert finding.effect is Effect.HOLD
    assert finding.inputs == {
        "minutes_since_infusion_end": 75.0,
        "minimum_observation_min": 120.0,
        "earliest_at_min": 120.0,
    }
    assert "45 min to go" in finding.message
    assert "[NF]" in finding.source and "ketaflow" in finding.source


# PADSS >= 9 on two consecutive assessments (history oldest first).
@pytest.mark.parametrize(
    ("totals", "rule_id"),
    [
        ([9, 9], "discharge.padss_met"),
        ([8, 9, 10], "discharge.padss_met"),
        ([9, 8, 9], "discharge.padss_not_consecutive"),
        ([9], "discharge.padss_not_consecutive"),
        ([9, 9, 8], "discharge.padss_below_threshold"),
        ([10, 8], "discharge.padss_below_threshold"),
        ([], "discharge.padss_missing"),
    ],
    ids=["9-9", "8-9-10", "9-8-9", "single-9", "9-9-8", "10-8", "none"],
)
def test_padss_consecutive_rule(totals: list[int], rule_id: str) -> None:
    evaluation = evaluate(padss_history=[padss(total) for total in totals])

    (finding,) = [f for f in evaluation.findings if f.rule_id.startswith("discharge.padss")]
    assert finding.rule_id == rule_id
    assert evaluation.allowed is (rule_id == "discharge.padss_met")


def test_padss_not_consecutive_says_how_many_of_how_many() -> None:
    evaluation = evaluate(padss_history=[padss(9), padss(8), padss(9)])

    (finding,) = by_rule(evaluation, "discharge.padss_not_consecutive")
    assert finding.effect is Effect.HOLD
    assert (finding.inputs["totals"], finding.inputs["consecutive_count"], finding.inputs["consecutive_required"]) == (
        [9, 8, 9],
        1,
        2,
    )
    assert "only 1 assessment(s) in a row do and 2 in a row are needed" in finding.message


def test_no_padss_is_insufficient_data_not_a_pass() -> None:
    evaluation = evaluate(padss_history=[])

    (finding,) = by_rule(evaluation, "discharge.padss_missing")
    assert finding.effect is Effect.INSUFFICIENT_DATA
    assert evaluation.allowed is False


def test_single_score_suffices_when_the_rule_set_asks_for_one() -> None:
    data = load_rule_data()
    data["discharge"]["padss"]["consecutive_required"] = 1
    del data["discharge"]["padss"]["not_consecutive"]
    rules = RecoveryRules.from_dict(data)

    evaluation = evaluate(rules, padss_history=[padss(9)])

    assert evaluation.allowed is True


# Modified Aldrete: total >= 9 and at least 2 in respiration and in oxygen saturation.
@pytest.mark.parametrize(
    ("score", "held_ids"),
    [
        (aldrete(9), []),
        (aldrete(8), ["discharge.aldrete_below_threshold"]),
        (aldrete(o2_saturation=1), ["discharge.aldrete_item_below_minimum"]),
        (aldrete(respiration=1), ["discharge.aldrete_item_below_minimum"]),
        (aldrete(8, o2_saturation=1), ["discharge.aldrete_below_threshold", "discharge.aldrete_item_below_minimum"]),
        (None, ["discharge.aldrete_missing"]),
    ],
    ids=["9", "8", "9-needs-oxygen", "9-shallow-breathing", "8-and-needs-oxygen", "none"],
)
def test_aldrete_threshold_and_item_minimums(score: RecoveryScore | None, held_ids: list[str]) -> None:
    evaluation = evaluate(aldrete=score)

    assert held(evaluation) == held_ids


def test_aldrete_item_below_minimum_names_the_item() -> None:
    evaluation = evaluate(aldrete=aldrete(o2_saturation=1))

    (finding,) = by_rule(evaluation, "discharge.aldrete_item_below_minimum")
    assert (finding.inputs["item"], finding.inputs["points"], finding.inputs["minimum_points"]) == (
        "o2_saturation",
        1,
        2,
    )
    assert "'Oxygen saturation' scores 1" in finding.message


def test_aldrete_may_be_optional_when_the_rule_set_says_so() -> None:
    data = load_rule_data()
    aldrete_rules = data["discharge"]["aldrete"]
    aldrete_rules["required"] = False
    aldrete_rules["not_required"] = aldrete_rules["met"] | {"id": "discharge.aldrete_not_required"}
    rules = RecoveryRules.from_dict(data)

    evaluation = evaluate(rules, aldrete=None)

    assert evaluation.allowed is True
    assert by_rule(evaluation, "discharge.aldrete_not_required")[0].effect is Effect.INFO


# Near baseline: within 20 % of the pre-infusion value, inclusive, compared exactly (|d| x 100 <= 20 x baseline).
@pytest.mark.parametrize(
    ("latest", "near"),
    [
        (replace(RECOVERED, systolic_mmhg=144), True),  # +20.0 %
        (replace(RECOVERED, systolic_mmhg=145), False),  # +20.83 %
        (replace(RECOVERED, systolic_mmhg=96), True),  # -20.0 %
        (replace(RECOVERED, systolic_mmhg=95), False),  # -20.83 %
        (replace(RECOVERED, systolic_mmhg=143.9), True),
        (replace(RECOVERED, systolic_mmhg=144.1), False),
        (replace(RECOVERED, heart_rate_bpm=84), True),  # +20.0 % of 70
        (replace(RECOVERED, heart_rate_bpm=85), False),  # +21.4 %
        (replace(RECOVERED, diastolic_mmhg=64), True),  # -20.0 % of 80
        (replace(RECOVERED, diastolic_mmhg=63), False),
    ],
    ids=lambda v: str(v) if isinstance(v, bool) else "",
)
def test_near_baseline_at_the_20_percent_boundary(latest: Vitals, near: bool) -> None:
    evaluation = evaluate(latest=latest)

    assert evaluation.allowed is near
    assert held(evaluation) == ([] if near else ["discharge.vitals_off_baseline"])


def test_off_baseline_names_the_sign_and_by_how_much() -> None:
    evaluation = evaluate(latest=replace(RECOVERED, systolic_mmhg=150))

    (finding,) = by_rule(evaluation, "discharge.vitals_off_baseline")
    assert finding.inputs == {
        "sign": "systolic_mmhg",
        "baseline": 120,
        "latest": 150,
        "within_percent": 20.0,
        "deviation_percent": 25.0,
    }
    assert finding.message.startswith("Systolic BP 150 mmHg is 25% above the pre-infusion 120 mmHg")
    assert finding.source.endswith("[C]")


def test_a_low_heart_rate_is_named_as_below() -> None:
    evaluation = evaluate(latest=replace(RECOVERED, heart_rate_bpm=49))

    (finding,) = by_rule(evaluation, "discharge.vitals_off_baseline")
    assert "Heart rate 49 /min is 30% below the pre-infusion 70 /min" in finding.message


def test_no_vitals_since_the_infusion_ended_is_insufficient_data() -> None:
    evaluation = evaluate(latest=None)

    (finding,) = by_rule(evaluation, "discharge.vitals_missing")
    assert finding.effect is Effect.INSUFFICIENT_DATA
    assert evaluation.allowed is False


@pytest.mark.parametrize(
    ("baseline", "latest", "rule_id", "sign"),
    [
        (BASELINE, replace(RECOVERED, heart_rate_bpm=None), "discharge.vital_not_recorded", "heart_rate_bpm"),
        (BASELINE, replace(RECOVERED, systolic_mmhg=None), "discharge.vital_not_recorded", "systolic_mmhg"),
        (replace(BASELINE, diastolic_mmhg=None), RECOVERED, "discharge.baseline_not_recorded", "diastolic_mmhg"),
    ],
    ids=["no-heart-rate-now", "no-systolic-now", "no-diastolic-before"],
)
def test_a_required_sign_missing_on_either_side_is_insufficient_data(
    baseline: Vitals, latest: Vitals, rule_id: str, sign: str
) -> None:
    evaluation = evaluate(baseline=baseline, latest=latest)

    (finding,) = by_rule(evaluation, rule_id)
    assert finding.effect is Effect.INSUFFICIENT_DATA and finding.inputs["sign"] == sign
    assert evaluation.allowed is False


def test_breathing_rate_is_compared_only_when_charted() -> None:
    uncharted = evaluate(latest=replace(RECOVERED, respiratory_rate_per_min=None))
    fast = evaluate(latest=replace(RECOVERED, respiratory_rate_per_min=20))  # +42.9 % of 14

    assert uncharted.allowed is True
    assert held(fast) == ["discharge.vitals_off_baseline"]


@pytest.mark.parametrize("escort_name", [None, "", "   "], ids=["none", "empty", "blank"])
def test_no_named_escort_holds(escort_name: str | None) -> None:
    evaluation = evaluate(escort_name=escort_name)

    assert held(evaluation) == ["discharge.escort_missing"]
    assert evaluation.allowed is False


def test_the_escort_name_is_recorded_trimmed() -> None:
    evaluation = evaluate(escort_name="  Sam Roe ")

    (finding,) = by_rule(evaluation, "discharge.escort_named")
    assert finding.inputs == {"escort_name": "Sam Roe"}
    assert finding.message == "Escort named: Sam Roe."


def test_findings_are_sorted_strongest_first_and_list_everything_missing() -> None:
    evaluation = evaluate(
        minutes_since_infusion_end=30,
        padss_history=[],
        aldrete=aldrete(8),
        latest=replace(RECOVERED, systolic_mmhg=170),
        escort_name=None,
    )

    effects = [finding.effect for finding in evaluation.findings]
    assert effects == sorted(effects, key=list(Effect).index, reverse=True)
    assert (effects[0], effects[-1]) == (Effect.HOLD, Effect.INFO)
    assert set(held(evaluation)) == {
        "discharge.padss_missing",
        "discharge.observation_not_passed",
        "discharge.aldrete_below_threshold",
        "discharge.vitals_off_baseline",
        "discharge.escort_missing",
    }


def test_to_json_carries_the_decision_the_findings_and_the_rule_set() -> None:
    document = evaluate(escort_name=None).to_json()

    assert document["allowed"] is False
    assert document["decision"] == "hold"
    assert document["earliest_at_min"] is None
    assert document["rule_set"] == {"id": "iv_ketamine_outpatient", "version": "2026.11.0"}
    findings: Any = document["findings"]
    assert findings[0]["rule_id"] == "discharge.escort_missing"
    assert set(findings[0]) == {"rule_id", "effect", "message", "inputs", "source"}


# Bad input names the field and changes nothing.
def _tampered_total() -> RecoveryScore:
    return replace(padss(9), total=10)


BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("negative minutes", {"minutes_since_infusion_end": -1}, "minutes_since_infusion_end"),
    ("nan minutes", {"minutes_since_infusion_end": float("nan")}, "minutes_since_infusion_end"),
    ("boolean minutes", {"minutes_since_infusion_end": True}, "minutes_since_infusion_end"),
    ("aldrete in padss history", {"padss_history": [padss(9), aldrete(10)]}, "padss_history[1].instrument"),
    ("padss as aldrete", {"aldrete": padss(10)}, "aldrete.instrument"),
    ("not a score", {"padss_history": [{"total": 10}]}, "padss_history[0]"),
    ("total not the sum", {"padss_history": [padss(9), _tampered_total()]}, "padss_history[1].total"),
    (
        "item not in the rule set",
        {"padss_history": [RecoveryScore(Instrument.PADSS, full_marks(Instrument.PADSS) | {"x": 0}, 10, 10)]},
        "padss_history[0].items.x",
    ),
    ("escort not text", {"escort_name": 42}, "escort_name"),
    ("non-positive baseline", {"baseline": replace(BASELINE, heart_rate_bpm=0)}, "baseline.heart_rate_bpm"),
]


@pytest.mark.parametrize(("changes", "field"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_bad_input_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        evaluate(**changes)

    assert caught.value.field == field


def test_history_order_matters_oldest_first() -> None:
    history: Sequence[RecoveryScore] = [padss(10), padss(9), padss(7)]

    evaluation = evaluate(padss_history=history)

    assert held(evaluation) == ["discharge.padss_below_threshold"]
    assert score_recovery(RULES, Instrument.PADSS, dict(history[-1].items)).total == 7
