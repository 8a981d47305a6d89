"""Invariants over any plausible reading: the action is the strongest finding's, and a higher pressure never calms."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.domain.monitoring import MonitoringRules, Observation, Phase, strongest
from ketaflow.domain.vitals import Vitals
from tests.unit.monitoring.builders import BASELINE, evaluate, load_rule_data

RULES = MonitoringRules.from_dict(load_rule_data())


def _sign(low: float, high: float) -> st.SearchStrategy[float | None]:
    return st.none() | st.floats(min_value=low, max_value=high, allow_nan=False).map(lambda v: round(v, 1))


readings = st.builds(
    Observation,
    vitals=st.builds(
        Vitals,
        systolic_mmhg=_sign(60, 260),
        diastolic_mmhg=_sign(30, 160),
        heart_rate_bpm=_sign(30, 200),
        spo2_pct=_sign(70, 100),
        respiratory_rate_per_min=_sign(4, 40),
    ),
    moaa_s=st.none() | st.integers(0, 5),
    cadss_total=st.none() | st.integers(0, 92),
    side_effects=st.lists(st.sampled_from(RULES.side_effect_codes), unique=True).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(
    observation=readings,
    minutes=st.floats(min_value=0, max_value=300),
    phase=st.sampled_from(list(Phase)),
    licensed=st.booleans(),
)
def test_the_action_is_the_strongest_finding_and_findings_come_strongest_first(
    observation: Observation, minutes: float, phase: Phase, licensed: bool
) -> None:
    result = evaluate(RULES, observation, minutes=minutes, phase=phase, cadss_licensed=licensed)

    actions = [found.action for found in result.findings]
    assert result.action is strongest(actions)
    assert [a.rank for a in actions] == sorted((a.rank for a in actions), reverse=True)
    assert result.recheck_in_min == RULES.recheck_in_min.get(result.action)
    for found in result.findings:
        assert found.finding.source.endswith(("[C]", "[S]", "[NF]")), found.finding.rule_id


@settings(max_examples=300, deadline=None)
@given(
    systolic=st.tuples(st.integers(120, 260), st.integers(120, 260)).map(sorted),
    diastolic_mmhg=st.integers(80, 150),
    minutes=st.floats(min_value=0, max_value=300),
    side_effects=st.lists(st.sampled_from(RULES.side_effect_codes), unique=True).map(tuple),
)
def test_a_higher_systolic_pressure_above_baseline_never_lowers_the_action(
    systolic: list[int], diastolic_mmhg: int, minutes: float, side_effects: tuple[str, ...]
) -> None:
    lower, higher = (
        Observation(Vitals(systolic_mmhg=s, diastolic_mmhg=diastolic_mmhg, spo2_pct=98), side_effects=side_effects)
        for s in systolic
    )

    low_result = evaluate(RULES, lower, minutes=minutes, baseline=BASELINE)
    high_result = evaluate(RULES, higher, minutes=minutes, baseline=BASELINE)

    assert high_result.action.rank >= low_result.action.rank
