"""Blood pressure: the published definitions as tiers at their boundaries, the expected rise, change from baseline."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.monitoring import Action, MonitoringRules, Phase
from ketaflow.domain.vitals import Vitals
from tests.unit.monitoring.builders import evaluate, find, group_tier, reading, rule_ids

RODRIGUES = ("bp.treatment_emergent_hypertension", Action.RECHECK)  # >=165/100, either value
DEL_SANT = ("bp.severe_transient_hypertension", Action.NOTIFY_PHYSICIAN)  # >180 and/or >110
MURROUGH = ("bp.discontinuation_level", Action.PAUSE)  # >=180 and >=115, both values

ABSOLUTE_CASES = [
    ((164, 99), None),
    ((165, 99), RODRIGUES),
    ((164, 100), RODRIGUES),
    ((180, 110), RODRIGUES),
    ((181, 110), DEL_SANT),
    ((180, 111), DEL_SANT),
    ((179, 115), DEL_SANT),
    ((180, 114), DEL_SANT),
    ((180, 115), MURROUGH),
    ((181, 116), MURROUGH),
    ((220, 130), MURROUGH),
]


@pytest.mark.parametrize(("bp_mmhg", "expected"), ABSOLUTE_CASES, ids=[f"{s}/{d}" for (s, d), _ in ABSOLUTE_CASES])
def test_blood_pressure_falls_in_the_tier_its_source_words(
    rules: MonitoringRules, bp_mmhg: tuple[int, int], expected: tuple[str, Action] | None
) -> None:
    observation = reading(systolic_mmhg=bp_mmhg[0], diastolic_mmhg=bp_mmhg[1])

    result = evaluate(rules, observation, minutes=40, baseline=Vitals())

    assert group_tier(rules, result, "blood_pressure") == expected


def test_only_the_strongest_absolute_tier_is_reported_with_its_inputs(rules: MonitoringRules) -> None:
    observation = reading(systolic_mmhg=185, diastolic_mmhg=105)

    result = evaluate(rules, observation, minutes=40)

    finding = find(result, "bp.severe_transient_hypertension")
    assert "bp.treatment_emergent_hypertension" not in rule_ids(result)
    assert finding.finding.effect is Effect.WARN
    assert finding.finding.inputs == {
        "reading.systolic_mmhg": 185,
        "reading.diastolic_mmhg": 105,
        "minutes_since_start": 40,
    }
    assert "185/105 mmHg at 40 min is above 180/110 mmHg" in finding.finding.message
    assert finding.finding.source.endswith("[C]") and "Del Sant" in finding.finding.source


# Yale 2024: mean rise +16.0 (SD 11.2) / +11.0 (SD 8.45) mmHg; band = mean + 2 SD = +38.4 / +27.9 mmHg,
# window 0-90 min. Baseline 120/80.
RISE_CASES = [
    ((158.4, 80), 40, "bp.expected_rise"),
    ((158.5, 80), 40, "bp.rise_above_expected"),
    ((120, 107.9), 40, "bp.expected_rise"),
    ((120, 108), 40, "bp.rise_above_expected"),
    ((121, 80), 0, "bp.expected_rise"),
    ((150, 90), 90, "bp.expected_rise"),
    ((150, 90), 90.5, None),
    ((120, 80), 40, None),
    ((119, 79), 40, None),
]


@pytest.mark.parametrize(
    ("bp_mmhg", "minutes", "expected"),
    RISE_CASES,
    ids=[f"{s}/{d}@{m}min" for (s, d), m, _ in RISE_CASES],
)
def test_a_rise_within_the_published_band_is_noted_and_a_larger_one_is_an_alert(
    rules: MonitoringRules, bp_mmhg: tuple[float, float], minutes: float, expected: str | None
) -> None:
    observation = reading(systolic_mmhg=bp_mmhg[0], diastolic_mmhg=bp_mmhg[1])

    result = evaluate(rules, observation, minutes=minutes)

    rise_ids = [r for r in rule_ids(result) if r in {"bp.expected_rise", "bp.rise_above_expected"}]
    assert rise_ids == ([] if expected is None else [expected])


def test_an_expected_rise_is_info_and_leaves_the_action_at_continue(rules: MonitoringRules) -> None:
    observation = reading(systolic_mmhg=146, diastolic_mmhg=91)

    result = evaluate(rules, observation, minutes=40)

    finding = find(result, "bp.expected_rise")
    assert (finding.finding.effect, finding.action) == (Effect.INFO, Action.CONTINUE)
    assert result.action is Action.CONTINUE and result.recheck_in_min is None
    assert finding.finding.inputs["rise_mmhg.systolic_mmhg"] == 26
    assert finding.finding.inputs["expected_up_to_mmhg.systolic_mmhg"] == 38.4
    assert finding.finding.inputs["expected_up_to_mmhg.diastolic_mmhg"] == 27.9
    assert "+26/+11 mmHg" in finding.finding.message


def test_a_rise_above_the_band_asks_for_a_recheck_in_the_rule_files_interval(rules: MonitoringRules) -> None:
    observation = reading(systolic_mmhg=160, diastolic_mmhg=85)

    result = evaluate(rules, observation, minutes=40)

    assert find(result, "bp.rise_above_expected").action is Action.RECHECK
    assert result.action is Action.RECHECK
    assert result.recheck_in_min == 5


def test_an_expected_rise_does_not_hide_an_absolute_anchor(rules: MonitoringRules) -> None:
    baseline = Vitals(systolic_mmhg=150, diastolic_mmhg=95, heart_rate_bpm=70, spo2_pct=98)
    observation = reading(systolic_mmhg=170, diastolic_mmhg=101)

    result = evaluate(rules, observation, minutes=40, baseline=baseline)

    assert find(result, "bp.expected_rise").action is Action.CONTINUE
    assert find(result, "bp.treatment_emergent_hypertension").action is Action.RECHECK
    assert result.action is Action.RECHECK


# Outside the window (after 90 min): PADSS "within 20%" of baseline; >20% recheck, >40% notify. Baseline 100/60.
CHANGE_BASELINE = Vitals(systolic_mmhg=100, diastolic_mmhg=60, heart_rate_bpm=70, spo2_pct=98)
CHANGE_CASES = [
    (120, 100, None),
    (121, 100, ("bp.change_over_20pct", Action.RECHECK)),
    (140, 100, ("bp.change_over_20pct", Action.RECHECK)),
    (141, 100, ("bp.change_over_40pct", Action.NOTIFY_PHYSICIAN)),
    (80, 100, None),
    (79, 100, ("bp.change_over_20pct", Action.RECHECK)),
    (60, 100, ("bp.change_over_20pct", Action.RECHECK)),
    (59, 100, ("bp.change_over_40pct", Action.NOTIFY_PHYSICIAN)),
    (79, 30, ("bp.fall_over_20pct", Action.RECHECK)),
    (80, 30, None),
    (121, 30, None),
]


@pytest.mark.parametrize(
    ("systolic_mmhg", "minutes", "expected"),
    CHANGE_CASES,
    ids=[f"{s}-vs-100@{m}min" for s, m, _ in CHANGE_CASES],
)
def test_change_from_baseline_is_graded_by_the_padss_bands(
    rules: MonitoringRules, systolic_mmhg: float, minutes: float, expected: tuple[str, Action] | None
) -> None:
    observation = reading(systolic_mmhg=systolic_mmhg, diastolic_mmhg=60)

    result = evaluate(rules, observation, minutes=minutes, phase=Phase.RECOVERY, baseline=CHANGE_BASELINE)

    assert group_tier(rules, result, "blood_pressure_change") == expected


def test_a_change_finding_names_the_sign_and_the_percentage(rules: MonitoringRules) -> None:
    observation = reading(systolic_mmhg=130, diastolic_mmhg=60)

    result = evaluate(rules, observation, minutes=120, phase=Phase.RECOVERY, baseline=CHANGE_BASELINE)

    finding = find(result, "bp.change_over_20pct").finding
    assert "Systolic BP 130 vs baseline 100 mmHg (+30%)" in finding.message
    assert finding.inputs["change_pct.systolic_mmhg"] == 30
    assert finding.inputs["baseline.systolic_mmhg"] == 100


COMBINATION_CASES = [
    ((181, 100), ("chest_pain",), Action.STOP),
    ((180, 115), ("neurological_symptoms",), Action.STOP),
    ((150, 111), ("dyspnoea",), Action.STOP),
    ((181, 100), ("nausea",), Action.NOTIFY_PHYSICIAN),
    ((170, 100), ("chest_pain",), Action.PAUSE),
    ((181, 100), ("headache",), Action.NOTIFY_PHYSICIAN),
]


@pytest.mark.parametrize(
    ("bp_mmhg", "side_effects", "action"),
    COMBINATION_CASES,
    ids=[f"{s}/{d}+{'+'.join(e)}" for (s, d), e, _ in COMBINATION_CASES],
)
def test_a_high_blood_pressure_with_an_end_organ_symptom_stops_the_infusion(
    rules: MonitoringRules, bp_mmhg: tuple[int, int], side_effects: tuple[str, ...], action: Action
) -> None:
    observation = reading(systolic_mmhg=bp_mmhg[0], diastolic_mmhg=bp_mmhg[1], side_effects=side_effects)

    result = evaluate(rules, observation, minutes=40)

    assert result.action is action
    assert ("bp.with_end_organ_symptoms" in rule_ids(result)) is (action is Action.STOP)


def test_the_combination_finding_shows_the_tier_the_pressure_and_the_symptom(rules: MonitoringRules) -> None:
    observation = reading(systolic_mmhg=190, diastolic_mmhg=100, side_effects=("nausea", "chest_pain"))

    result = evaluate(rules, observation, minutes=40)

    finding = find(result, "bp.with_end_organ_symptoms")
    assert result.findings[0] == finding
    assert finding.finding.effect is Effect.BLOCK
    assert finding.finding.inputs["tiers"] == ["bp.severe_transient_hypertension"]
    assert finding.finding.inputs["side_effects"] == ["chest_pain"]
    assert finding.finding.inputs["reading.systolic_mmhg"] == 190
    assert "Yip" in finding.finding.source
    assert result.recheck_in_min is None


def test_the_baseline_is_the_reference_for_the_rise_not_the_previous_reading(rules: MonitoringRules) -> None:
    observation = reading(systolic_mmhg=150, diastolic_mmhg=80)  # baseline 120/80

    result = evaluate(rules, observation, minutes=40)

    assert find(result, "bp.expected_rise").finding.inputs["baseline.systolic_mmhg"] == 120
