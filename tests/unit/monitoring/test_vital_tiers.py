"""Heart rate, SpO2, respiratory rate, MOAA/S and CADSS tiers at their boundaries (per the rule file's comparison)."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Effect
from ketaflow.domain.monitoring import Action, MonitoringRules
from ketaflow.domain.vitals import Vitals
from tests.unit.monitoring.builders import BASELINE, evaluate, find, group_tier, reading, rule_ids

HR_CASES = [
    (110, None),
    (111, ("hr.tachycardia", Action.RECHECK)),
    (130, ("hr.tachycardia", Action.RECHECK)),
    (131, ("hr.marked_tachycardia", Action.NOTIFY_PHYSICIAN)),
    (50, None),
    (49, ("hr.bradycardia", Action.NOTIFY_PHYSICIAN)),
]


@pytest.mark.parametrize(("heart_rate_bpm", "expected"), HR_CASES, ids=[str(hr) for hr, _ in HR_CASES])
def test_heart_rate_anchors(rules: MonitoringRules, heart_rate_bpm: float, expected: tuple[str, Action] | None) -> None:
    observation = reading(heart_rate_bpm=heart_rate_bpm)

    result = evaluate(rules, observation)

    assert group_tier(rules, result, "heart_rate") == expected


# PADSS scores a change of more than 40% from the pre-operative value 0. Baseline 100/min.
HR_CHANGE_CASES = [
    (140, None),
    (141, ("hr.change_over_40pct", Action.RECHECK)),
    (60, None),
    (59, ("hr.change_over_40pct", Action.RECHECK)),
]


@pytest.mark.parametrize(("heart_rate_bpm", "expected"), HR_CHANGE_CASES, ids=[str(hr) for hr, _ in HR_CHANGE_CASES])
def test_heart_rate_change_beyond_40_percent_of_baseline_either_way(
    rules: MonitoringRules, heart_rate_bpm: float, expected: tuple[str, Action] | None
) -> None:
    observation = reading(heart_rate_bpm=heart_rate_bpm)

    result = evaluate(rules, observation, baseline=Vitals(heart_rate_bpm=100, systolic_mmhg=120, diastolic_mmhg=80))

    assert group_tier(rules, result, "heart_rate_change") == expected


# Aldrete: full score only for SpO2 >92% on room air (so 92 is in the tier); hypoxia = SpO2 <90%. Baseline 98.
SPO2_CASES = [
    (93, None),
    (92, ("spo2.below_room_air_target", Action.RECHECK)),
    (90, ("spo2.below_room_air_target", Action.RECHECK)),
    (89.9, ("spo2.hypoxia", Action.PAUSE)),
    (85, ("spo2.hypoxia", Action.PAUSE)),
]


@pytest.mark.parametrize(("spo2_pct", "expected"), SPO2_CASES, ids=[str(s) for s, _ in SPO2_CASES])
def test_spo2_tiers(rules: MonitoringRules, spo2_pct: float, expected: tuple[str, Action] | None) -> None:
    observation = reading(spo2_pct=spo2_pct)

    result = evaluate(rules, observation)

    assert group_tier(rules, result, "spo2") == expected


@pytest.mark.parametrize(
    ("baseline_spo2", "spo2_pct", "expected"),
    [
        (91, 91, None),
        (91, 92, None),
        (91, 90, ("spo2.below_room_air_target", Action.RECHECK)),
        (91, 89, ("spo2.hypoxia", Action.PAUSE)),
        (None, 92, ("spo2.below_room_air_target", Action.RECHECK)),
    ],
    ids=["at-baseline", "above-baseline", "below-baseline", "hypoxia-has-no-exemption", "no-baseline"],
)
def test_a_low_spo2_at_or_above_the_patients_own_baseline_is_accepted(
    rules: MonitoringRules, baseline_spo2: float | None, spo2_pct: float, expected: tuple[str, Action] | None
) -> None:
    baseline = Vitals(systolic_mmhg=120, diastolic_mmhg=80, heart_rate_bpm=70, spo2_pct=baseline_spo2)
    observation = reading(spo2_pct=spo2_pct)

    result = evaluate(rules, observation, baseline=baseline)

    assert group_tier(rules, result, "spo2") == expected


def test_hypoxia_pauses_the_infusion_and_cites_the_definition(rules: MonitoringRules) -> None:
    observation = reading(spo2_pct=88)

    result = evaluate(rules, observation)

    finding = find(result, "spo2.hypoxia")
    assert finding.finding.effect is Effect.HOLD
    assert finding.finding.inputs == {"reading.spo2_pct": 88, "minutes_since_start": 30}
    assert "88% at 30 min is below 90%" in finding.finding.message
    assert "IRCT 57716" in finding.finding.source
    assert result.action is Action.PAUSE and result.recheck_in_min == 5


RR_CASES = [
    (10, None),
    (9, ("rr.bradypnoea", Action.NOTIFY_PHYSICIAN)),
    (8, ("rr.bradypnoea", Action.NOTIFY_PHYSICIAN)),
    (7, ("rr.severe_bradypnoea", Action.PAUSE)),
    (24, None),
    (25, ("rr.tachypnoea", Action.RECHECK)),
]


@pytest.mark.parametrize(("respiratory_rate", "expected"), RR_CASES, ids=[str(r) for r, _ in RR_CASES])
def test_respiratory_rate_anchors_are_labelled_ketaflow_defaults(
    rules: MonitoringRules, respiratory_rate: float, expected: tuple[str, Action] | None
) -> None:
    observation = reading(respiratory_rate_per_min=respiratory_rate)

    result = evaluate(rules, observation)

    assert group_tier(rules, result, "respiratory_rate") == expected
    if expected is not None:
        assert find(result, expected[0]).finding.source.endswith("[NF]")


MOAA_S_CASES = [
    (5, None),
    (4, None),
    (3, ("moaa_s.moderate_sedation", Action.RECHECK)),
    (2, ("moaa_s.deep_sedation", Action.PAUSE)),
    (1, ("moaa_s.deep_sedation", Action.PAUSE)),
    (0, ("moaa_s.unresponsive", Action.STOP)),
]


@pytest.mark.parametrize(("moaa_s", "expected"), MOAA_S_CASES, ids=[f"moaa_s-{m}" for m, _ in MOAA_S_CASES])
def test_sedation_tiers_by_moaa_s_level(
    rules: MonitoringRules, moaa_s: int, expected: tuple[str, Action] | None
) -> None:
    observation = reading(moaa_s=moaa_s)

    result = evaluate(rules, observation)

    assert group_tier(rules, result, "moaa_s") == expected


def test_loss_of_consciousness_stops_the_infusion(rules: MonitoringRules) -> None:
    observation = reading(moaa_s=0)

    result = evaluate(rules, observation)

    assert result.action is Action.STOP
    assert find(result, "moaa_s.unresponsive").finding.effect is Effect.BLOCK
    assert result.recheck_in_min is None


@pytest.mark.parametrize(
    ("cadss_total", "expected"),
    [
        (45, None),
        (46, ("cadss.marked_dissociation", Action.NOTIFY_PHYSICIAN)),
        (92, ("cadss.marked_dissociation", Action.NOTIFY_PHYSICIAN)),
    ],
    ids=["45", "46", "92"],
)
def test_cadss_tier_applies_where_the_clinic_is_licensed(
    rules: MonitoringRules, cadss_total: int, expected: tuple[str, Action] | None
) -> None:
    observation = reading(cadss_total=cadss_total)

    result = evaluate(rules, observation, cadss_licensed=True)

    assert group_tier(rules, result, "cadss") == expected
    assert "cadss.not_licensed" not in rule_ids(result)


def test_cadss_is_not_evaluated_without_a_licence_and_says_so(rules: MonitoringRules) -> None:
    observation = reading(cadss_total=80)

    result = evaluate(rules, observation, cadss_licensed=False)

    finding = find(result, "cadss.not_licensed")
    assert (finding.finding.effect, finding.action) == (Effect.INFO, Action.CONTINUE)
    assert finding.finding.inputs == {"reading.cadss_total": 80, "cadss_licensed": False}
    assert group_tier(rules, result, "cadss") is None
    assert result.action is Action.CONTINUE


def test_an_uncharted_cadss_is_not_listed_as_unchecked_without_a_licence(rules: MonitoringRules) -> None:
    observation = reading(cadss_total=None)

    unlicensed = evaluate(rules, observation, cadss_licensed=False)
    licensed = evaluate(rules, observation, cadss_licensed=True)

    assert "vitals.not_checked" not in rule_ids(unlicensed)
    assert find(licensed, "vitals.not_checked").finding.inputs == {"not_charted": ["cadss_total"]}


def test_a_normal_reading_continues_with_no_findings(rules: MonitoringRules) -> None:
    observation = reading()

    result = evaluate(rules, observation, baseline=BASELINE)

    assert result.findings == ()
    assert result.action is Action.CONTINUE
    assert result.to_json() == {
        "action": "continue",
        "findings": [],
        "recheck_in_min": None,
        "rule_set": {"id": "iv_ketamine_outpatient", "version": "2026.11.0"},
    }
