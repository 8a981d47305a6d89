"""A sign a rule needs and that is missing is a finding, never a pass; recent readings must be in time order."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.errors import InputError
from ketaflow.domain.monitoring import Action, MonitoringRules, Observation, Phase
from ketaflow.domain.vitals import Vitals
from tests.unit.monitoring.builders import evaluate, find, group_tier, reading, rule_ids, timed


def test_a_reading_without_blood_pressure_during_the_infusion_asks_for_it(rules: MonitoringRules) -> None:
    observation = reading(systolic_mmhg=None, diastolic_mmhg=None)

    result = evaluate(rules, observation, phase=Phase.INFUSING)

    finding = find(result, "vitals.required_missing")
    assert (finding.finding.effect, finding.action) == (Effect.INSUFFICIENT_DATA, Action.RECHECK)
    assert finding.finding.inputs == {"phase": "infusing", "missing": ["systolic_mmhg", "diastolic_mmhg"]}
    assert "Systolic BP, Diastolic BP" in finding.finding.message
    assert result.action is Action.RECHECK and result.recheck_in_min == 5


def test_spo2_is_required_while_infusing_but_only_listed_in_recovery(rules: MonitoringRules) -> None:
    observation = reading(spo2_pct=None)

    infusing = evaluate(rules, observation, phase=Phase.INFUSING)
    recovery = evaluate(rules, observation, minutes=60, phase=Phase.RECOVERY)

    assert find(infusing, "vitals.required_missing").finding.inputs["missing"] == ["spo2_pct"]
    assert "vitals.required_missing" not in rule_ids(recovery)
    assert find(recovery, "vitals.not_checked").finding.inputs == {"not_charted": ["spo2_pct"]}
    assert recovery.action is Action.CONTINUE


def test_a_side_effect_report_alone_still_asks_for_the_required_signs(rules: MonitoringRules) -> None:
    observation = Observation(vitals=Vitals(), side_effects=("nausea",))

    result = evaluate(rules, observation)

    assert find(result, "vitals.required_missing").finding.inputs["missing"] == [
        "systolic_mmhg",
        "diastolic_mmhg",
        "spo2_pct",
    ]
    assert find(result, "vitals.not_checked").finding.inputs["not_charted"] == [
        "heart_rate_bpm",
        "respiratory_rate_per_min",
        "moaa_s",
    ]


def test_without_a_baseline_the_relative_rules_report_insufficient_data_and_anchors_still_apply(
    rules: MonitoringRules,
) -> None:
    baseline = Vitals(heart_rate_bpm=70, spo2_pct=98, respiratory_rate_per_min=14)
    observation = reading(systolic_mmhg=185, diastolic_mmhg=100)

    result = evaluate(rules, observation, minutes=40, baseline=baseline)

    gap = find(result, "baseline.missing")
    assert gap.finding.effect is Effect.INSUFFICIENT_DATA
    assert gap.finding.inputs["baseline.systolic_mmhg"] is None
    assert set(gap.finding.inputs["rules"]) == {  # type: ignore[arg-type]  # a list of rule ids
        "bp.change_over_40pct",
        "bp.change_over_20pct",
        "bp.fall_over_20pct",
        "bp.expected_rise",
    }
    assert group_tier(rules, result, "blood_pressure") == ("bp.severe_transient_hypertension", Action.NOTIFY_PHYSICIAN)
    assert not {"bp.expected_rise", "bp.rise_above_expected"} & set(rule_ids(result))


def test_a_baseline_gap_is_reported_only_for_signs_charted_now(rules: MonitoringRules) -> None:
    baseline = Vitals(systolic_mmhg=120, diastolic_mmhg=80, spo2_pct=98)
    observation = reading(heart_rate_bpm=None, respiratory_rate_per_min=None)

    result = evaluate(rules, observation, baseline=baseline)

    assert "baseline.missing" not in rule_ids(result)


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ([20, 20], "recent[1].minutes_since_start"),
        ([25, 20], "recent[1].minutes_since_start"),
        ([30], "recent[0].minutes_since_start"),
        ([35], "recent[0].minutes_since_start"),
    ],
    ids=["same-time", "out-of-order", "at-the-reading", "after-the-reading"],
)
def test_recent_readings_out_of_order_or_not_before_the_reading_are_refused(
    rules: MonitoringRules, times: list[float], field: str
) -> None:
    recent = [timed(t, reading()) for t in times]

    with pytest.raises(InputError) as caught:
        evaluate(rules, reading(), minutes=30, recent=recent)

    assert caught.value.field == field


def test_an_unknown_side_effect_code_is_refused(rules: MonitoringRules) -> None:
    observation = reading(side_effects=("hiccups",))

    with pytest.raises(InputError) as caught:
        evaluate(rules, observation)

    assert caught.value.field == "side_effects" and caught.value.got == "hiccups"


@pytest.mark.parametrize("minutes", [-1, 10081], ids=["before-start", "over-a-week"])
def test_a_reading_time_outside_the_session_is_refused(rules: MonitoringRules, minutes: float) -> None:
    with pytest.raises(InputError) as caught:
        evaluate(rules, reading(), minutes=minutes)

    assert caught.value.field == "minutes_since_start"
