"""Trend: the same alert tier on consecutive readings escalates its action one step."""

from __future__ import annotations

from ketaflow.domain.basis import Effect
from ketaflow.domain.monitoring import Action, MonitoringRules
from ketaflow.domain.vitals import Vitals
from tests.unit.monitoring.builders import evaluate, find, reading, rule_ids, timed

RODRIGUES_BP = reading(systolic_mmhg=170, diastolic_mmhg=95)  # >=165/100 (either value) -> recheck
DEL_SANT_BP = reading(systolic_mmhg=185, diastolic_mmhg=100)  # >180 -> notify physician
# A hypertensive patient's baseline, so that these pressures are within the expected rise (no second alert).
HIGH_BASELINE = Vitals(
    systolic_mmhg=150, diastolic_mmhg=90, heart_rate_bpm=70, spo2_pct=98, respiratory_rate_per_min=14
)


def test_a_second_consecutive_reading_in_a_recheck_tier_notifies_the_physician(rules: MonitoringRules) -> None:
    recent = [timed(30, RODRIGUES_BP)]

    result = evaluate(rules, RODRIGUES_BP, minutes=40, recent=recent, baseline=HIGH_BASELINE)

    trend = find(result, "trend.recheck_persists")
    assert (trend.finding.effect, trend.action) == (Effect.WARN, Action.NOTIFY_PHYSICIAN)
    assert trend.finding.inputs == {
        "tier": "bp.treatment_emergent_hypertension",
        "consecutive_readings": 2,
        "previous_minutes_since_start": [30],
        "minutes_since_start": 40,
    }
    assert result.action is Action.NOTIFY_PHYSICIAN


def test_a_second_consecutive_reading_in_a_notify_tier_pauses(rules: MonitoringRules) -> None:
    recent = [timed(30, DEL_SANT_BP)]

    result = evaluate(rules, DEL_SANT_BP, minutes=40, recent=recent, baseline=HIGH_BASELINE)

    assert find(result, "trend.notify_persists").action is Action.PAUSE
    assert result.action is Action.PAUSE


def test_a_previous_reading_in_a_stronger_tier_counts_as_meeting_this_one(rules: MonitoringRules) -> None:
    recent = [timed(30, DEL_SANT_BP)]

    result = evaluate(rules, RODRIGUES_BP, minutes=40, recent=recent, baseline=HIGH_BASELINE)

    assert find(result, "trend.recheck_persists").finding.inputs["tier"] == "bp.treatment_emergent_hypertension"


def test_a_previous_reading_below_the_tier_does_not_escalate(rules: MonitoringRules) -> None:
    recent = [timed(30, reading(systolic_mmhg=164, diastolic_mmhg=99))]

    result = evaluate(rules, RODRIGUES_BP, minutes=40, recent=recent, baseline=HIGH_BASELINE)

    assert not [r for r in rule_ids(result) if r.startswith("trend.")]
    assert result.action is Action.RECHECK


def test_only_the_reading_just_before_counts(rules: MonitoringRules) -> None:
    recent = [timed(20, RODRIGUES_BP), timed(30, reading(systolic_mmhg=150, diastolic_mmhg=90))]

    result = evaluate(rules, RODRIGUES_BP, minutes=40, recent=recent, baseline=HIGH_BASELINE)

    assert "trend.recheck_persists" not in rule_ids(result)


def test_a_first_reading_has_no_trend(rules: MonitoringRules) -> None:
    result = evaluate(rules, RODRIGUES_BP, minutes=40, baseline=HIGH_BASELINE)

    assert "trend.recheck_persists" not in rule_ids(result)


def test_a_pause_tier_does_not_escalate_further(rules: MonitoringRules) -> None:
    recent = [timed(30, reading(spo2_pct=85))]

    result = evaluate(rules, reading(spo2_pct=85), minutes=40, recent=recent)

    assert not [r for r in rule_ids(result) if r.startswith("trend.")]
    assert result.action is Action.PAUSE


def test_a_persistent_rise_above_the_expected_band_escalates(rules: MonitoringRules) -> None:
    above = reading(systolic_mmhg=160, diastolic_mmhg=85)  # +40 mmHg over 120/80: above +38.4
    recent = [timed(30, above)]

    result = evaluate(rules, above, minutes=40, recent=recent)

    assert find(result, "trend.recheck_persists").finding.inputs["tier"] == "bp.rise_above_expected"


def test_an_expected_rise_twice_is_still_only_noted(rules: MonitoringRules) -> None:
    expected = reading(systolic_mmhg=140, diastolic_mmhg=85)
    recent = [timed(30, expected)]

    result = evaluate(rules, expected, minutes=40, recent=recent)

    assert result.action is Action.CONTINUE
    assert not [r for r in rule_ids(result) if r.startswith("trend.")]


def test_a_previous_change_is_judged_at_its_own_time(rules: MonitoringRules) -> None:
    # At 80 min a rise of 30 mmHg is expected; at 100 min the same reading is >20% above baseline.
    high = reading(systolic_mmhg=150, diastolic_mmhg=80)
    recent = [timed(80, high)]

    result = evaluate(rules, high, minutes=100, recent=recent)

    assert find(result, "bp.change_over_20pct").action is Action.RECHECK
    assert "trend.recheck_persists" not in rule_ids(result)
