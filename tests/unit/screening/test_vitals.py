"""Resting vital signs: blood-pressure tiers at their published boundaries, SpO2, stale or missing data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketaflow.domain.basis import Decision, Effect
from ketaflow.domain.errors import InputError
from ketaflow.domain.screening import Intake, ScreeningRuleSet, screen_patient
from tests.unit.screening.builders import NOW_UTC, baseline_intake, find, load_rule_data, rule_ids, screen

# Swiss SmPC: contraindicated at resting SBP/DBP ">180/100" (strict); Spravato: consider delaying if >140/90.
BP_CASES = [
    ((181, 101), "bp.resting_contraindicated", Effect.BLOCK),
    ((181, 99), "bp.resting_contraindicated", Effect.BLOCK),
    ((179, 101), "bp.resting_contraindicated", Effect.BLOCK),
    ((180, 100), "bp.elevated_consider_delay", Effect.HOLD),
    ((179, 99), "bp.elevated_consider_delay", Effect.HOLD),
    ((141, 90), "bp.elevated_consider_delay", Effect.HOLD),
    ((140, 91), "bp.elevated_consider_delay", Effect.HOLD),
    ((140, 90), "bp.below_tiers", Effect.INFO),
    ((118, 76), "bp.below_tiers", Effect.INFO),
]


@pytest.mark.parametrize(
    ("bp_mmhg", "rule_id", "effect"),
    BP_CASES,
    ids=[f"{s}/{d}" for (s, d), _, _ in BP_CASES],
)
def test_blood_pressure_falls_in_the_tier_its_source_words(
    rules: ScreeningRuleSet, bp_mmhg: tuple[int, int], rule_id: str, effect: Effect
) -> None:
    document = baseline_intake()
    document["vitals"].update({"systolic_mmhg": bp_mmhg[0], "diastolic_mmhg": bp_mmhg[1]})

    result = screen(document, rules)

    finding = find(result, rule_id)
    assert finding.effect is effect
    assert finding.inputs["vitals.systolic_mmhg"] == bp_mmhg[0]
    assert finding.inputs["vitals.diastolic_mmhg"] == bp_mmhg[1]
    assert finding.inputs["vitals.measured_at"] == "2026-11-23T09:00:00Z"


def test_only_the_strongest_blood_pressure_tier_is_reported(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["vitals"].update({"systolic_mmhg": 200, "diastolic_mmhg": 115})

    result = screen(document, rules)

    assert [r for r in rule_ids(result) if r.startswith("bp.")] == ["bp.resting_contraindicated"]
    assert result.decision is Decision.BLOCK
    assert "200/115 mmHg" in find(result, "bp.resting_contraindicated").message
    assert "above 180/100 mmHg" in find(result, "bp.resting_contraindicated").message


def test_a_clinic_can_choose_the_inclusive_anchor_in_rule_data() -> None:
    data = load_rule_data()
    data["rules"]["vitals"]["blood_pressure_tiers"][0]["comparison"] = ">="
    inclusive_rules = ScreeningRuleSet.from_dict(data)
    document = baseline_intake()
    document["vitals"].update({"systolic_mmhg": 180, "diastolic_mmhg": 100})

    result = screen(document, inclusive_rules)

    assert "at or above 180/100 mmHg" in find(result, "bp.resting_contraindicated").message
    assert result.decision is Decision.BLOCK


def test_missing_vitals_give_insufficient_data_and_hold(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    del document["vitals"]

    result = screen(document, rules)

    assert find(result, "vitals.missing").effect is Effect.INSUFFICIENT_DATA
    assert not [r for r in rule_ids(result) if r.startswith("bp.")]
    assert result.decision is Decision.HOLD


RECENCY_CASES = [
    ("taken 60 min before screening", timedelta(minutes=-60), None),
    ("taken 61 min before screening", timedelta(minutes=-61), "vitals.stale"),
    ("taken yesterday", timedelta(days=-1), "vitals.stale"),
    ("timed 5 min after screening", timedelta(minutes=5), None),
    ("timed 6 min after screening", timedelta(minutes=6), "vitals.in_future"),
]


@pytest.mark.parametrize(
    ("offset", "rule_id"), [row[1:] for row in RECENCY_CASES], ids=[row[0] for row in RECENCY_CASES]
)
def test_vitals_outside_the_rule_set_window_are_insufficient_data(
    rules: ScreeningRuleSet, offset: timedelta, rule_id: str | None
) -> None:
    document = baseline_intake()
    document["vitals"]["measured_at"] = (NOW_UTC + offset).isoformat()

    result = screen(document, rules)

    recency = [r for r in rule_ids(result) if r in {"vitals.stale", "vitals.in_future"}]
    assert recency == ([rule_id] if rule_id else [])
    assert ("bp.below_tiers" in rule_ids(result)) is (rule_id is None)


def test_a_stale_reading_is_not_graded_even_when_high(rules: ScreeningRuleSet) -> None:
    document = baseline_intake()
    document["vitals"].update({"systolic_mmhg": 210, "diastolic_mmhg": 120, "measured_at": "2026-11-20T09:00:00Z"})

    result = screen(document, rules)

    stale = find(result, "vitals.stale")
    assert "2026-11-20T09:00:00Z" in stale.message
    assert "4350 min old" in stale.message
    assert result.decision is Decision.HOLD


SPO2_CASES = [
    (91, "vitals.spo2_low", Effect.WARN),
    (92, None, None),
    (None, "vitals.spo2_not_recorded", Effect.INFO),
]


@pytest.mark.parametrize(("spo2_pct", "rule_id", "effect"), SPO2_CASES, ids=["91 %", "92 %", "not recorded"])
def test_resting_spo2_below_92_percent_warns(
    rules: ScreeningRuleSet, spo2_pct: int | None, rule_id: str | None, effect: Effect | None
) -> None:
    document = baseline_intake()
    document["vitals"]["spo2_pct"] = spo2_pct

    result = screen(document, rules)

    spo2 = [f for f in result.findings if f.rule_id.startswith("vitals.spo2")]
    assert [(f.rule_id, f.effect) for f in spo2] == ([(rule_id, effect)] if rule_id else [])


def test_screening_time_must_be_timezone_aware(rules: ScreeningRuleSet) -> None:
    intake = Intake.from_json(baseline_intake())

    with pytest.raises(InputError) as caught:
        screen_patient(intake, rules, now_utc=NOW_UTC.replace(tzinfo=None))

    assert caught.value.field == "now_utc"


def test_a_vital_limit_without_a_missing_rule_skips_an_unrecorded_sign() -> None:
    data = load_rule_data()
    del data["rules"]["vitals"]["limits"][0]["when_missing"]
    rules_without = ScreeningRuleSet.from_dict(data)
    document = baseline_intake()
    del document["vitals"]["spo2_pct"]

    result = screen(document, rules_without)

    assert not [r for r in rule_ids(result) if r.startswith("vitals.spo2")]
    assert result.decision is Decision.PROCEED
