"""Stepped (target-controlled) orders go through the same limits: dose on the total, rate on the highest step."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Decision
from ketaflow.domain.dosing import plan_infusion, plan_stepped_infusion
from ketaflow.domain.errors import InputError

from .builders import ONE_MG_PER_ML, load_protocol, make_patient


def test_the_steps_of_a_stepped_order_are_summed_and_keyed_in_as_ml_per_h() -> None:
    # 70 kg, 1 mg/mL: 105 mg/h for 10 min (17.5 mg) then 35 mg/h for 30 min (17.5 mg) = 35 mg = 0.5 mg/kg.
    plan = plan_stepped_infusion(
        make_patient(70),
        load_protocol("depression_standard"),
        preparation=ONE_MG_PER_ML,
        segments=[(0.0, 10.0, 105.0), (10.0, 30.0, 35.0)],
    )
    assert plan.dose_mg == pytest.approx(35.0)
    assert plan.dose_mg_per_kg == pytest.approx(0.5)
    assert plan.duration_min == 40.0
    assert [(s.start_min, s.rate_ml_per_h) for s in plan.steps] == [(0.0, 105.0), (10.0, 35.0)]
    assert plan.rate_ml_per_h == 105.0  # what the nurse keys in first
    assert plan.decision is Decision.PROCEED
    assert [s["rate_ml_per_h"] for s in plan.to_json()["steps"]] == [105.0, 35.0]  # type: ignore[index, union-attr]


def test_a_constant_order_has_no_steps_in_its_json() -> None:
    plan = plan_infusion(make_patient(70), load_protocol("depression_standard"), preparation=ONE_MG_PER_ML)
    assert plan.steps == ()
    assert "steps" not in plan.to_json()


@pytest.mark.parametrize(
    ("loading_mg_per_kg_per_h", "decision"), [(1.0, Decision.HOLD), (1.01, Decision.BLOCK)], ids=["at-hard", "above"]
)
def test_the_highest_step_is_judged_by_the_rate_limits(loading_mg_per_kg_per_h: float, decision: Decision) -> None:
    """CRPS 0.35 mg/kg/h for 4 h, with a 10-min loading step: above the soft rate holds, above 1.0 blocks."""
    segments = [(0.0, 10.0, loading_mg_per_kg_per_h * 70), (10.0, 230.0, 0.35 * 70)]
    plan = plan_stepped_infusion(
        make_patient(70), load_protocol("crps_weight_based"), preparation=ONE_MG_PER_ML, segments=segments
    )
    assert plan.decision is decision
    assert "crps_weight_based.soft.rate" in {f.rule_id for f in plan.findings}


def test_the_total_dose_is_judged_by_the_dose_limits() -> None:
    segments = [(0.0, 40.0, 2.1 * 70 * 60 / 40)]  # 2.1 mg/kg in 40 min: above the hard dose limit
    plan = plan_stepped_infusion(
        make_patient(70), load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, segments=segments
    )
    assert plan.decision is Decision.BLOCK
    assert "depression_standard.hard.dose" in {f.rule_id for f in plan.findings}


@pytest.mark.parametrize(
    ("segments", "field"),
    [
        ([], "steps"),
        ([(0.0, 10.0, 50.0), (12.0, 10.0, 50.0)], "steps[1].start_min"),
        ([(0.0, 0.0, 50.0)], "steps[0].duration_min"),
        ([(0.0, 10.0, -1.0)], "steps[0].mg_per_h"),
    ],
    ids=["none", "gap", "zero-length", "negative-rate"],
)
def test_malformed_steps_name_the_field(segments: list[tuple[float, float, float]], field: str) -> None:
    with pytest.raises(InputError) as refused:
        plan_stepped_infusion(
            make_patient(70), load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, segments=segments
        )
    assert refused.value.field == field
