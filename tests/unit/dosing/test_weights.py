"""Dosing weight: the basis, the named ideal-weight formula, the cap at actual weight, and BMI >= 30."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Decision
from ketaflow.domain.dosing import WeightBasis, get_dosing_weight, plan_infusion

from .builders import ONE_MG_PER_ML, load_protocol, make_patient


@pytest.mark.parametrize(
    ("sex", "height_cm", "ideal_kg"),
    [("male", 152.4, 50.0), ("female", 152.4, 45.5), ("male", 177.8, 73.0), ("female", 177.8, 68.5)],
    ids=["man-60in", "woman-60in", "man-70in", "woman-70in"],
)
def test_devine_ideal_weight(sex: str, height_cm: float, ideal_kg: float) -> None:
    rule = load_protocol("depression_standard").dosing_weight
    assert rule is not None

    weight = get_dosing_weight(make_patient(weight_kg=120, height_cm=height_cm, sex=sex), rule, WeightBasis.IDEAL)

    assert weight.weight_kg == pytest.approx(ideal_kg, abs=1e-9) and weight.formula == "devine"


def test_an_ideal_weight_above_actual_weight_doses_on_actual_weight() -> None:
    patient = make_patient(weight_kg=55, height_cm=180)

    plan = plan_infusion(
        patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, dosing_weight=WeightBasis.IDEAL
    )

    assert plan.dosing_weight is not None and plan.dosing_weight.basis is WeightBasis.ACTUAL
    assert plan.dose_mg == 27.5
    assert {f.rule_id for f in plan.findings} == {
        "depression_standard.weight_basis",
        "depression_standard.weight_capped",
    }


def test_bmi_30_on_actual_weight_warns_and_suggests_ideal_weight() -> None:
    patient = make_patient(weight_kg=92, height_cm=175)  # BMI 30.04

    plan = plan_infusion(patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML)

    assert plan.decision is Decision.PROCEED_WITH_WARNINGS
    assert "ideal body weight (70.46 kg by devine)" in plan.findings[0].message


def test_bmi_just_below_30_does_not_warn() -> None:
    patient = make_patient(weight_kg=91.8, height_cm=175)  # BMI 29.98

    plan = plan_infusion(patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML)

    assert plan.decision is Decision.PROCEED


def test_bmi_30_dosed_on_ideal_weight_is_recorded_not_warned() -> None:
    patient = make_patient(weight_kg=120, height_cm=175)

    plan = plan_infusion(
        patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, dosing_weight=WeightBasis.IDEAL
    )

    assert plan.decision is Decision.PROCEED
    assert {f.effect.value for f in plan.findings} == {"info"}


@pytest.mark.parametrize(
    ("height_cm", "age_years", "rule_id"),
    [(150, 40, "depression_standard.formula_height"), (170, 17, "depression_standard.formula_age")],
    ids=["below-5-feet", "under-18"],
)
def test_ideal_weight_outside_the_formula_range_holds(height_cm: float, age_years: float, rule_id: str) -> None:
    patient = make_patient(weight_kg=100, height_cm=height_cm, age_years=age_years)

    plan = plan_infusion(
        patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, dosing_weight=WeightBasis.ADJUSTED
    )

    assert plan.decision is Decision.HOLD and rule_id in {f.rule_id for f in plan.findings}


def test_a_short_patient_on_actual_weight_needs_no_formula() -> None:
    patient = make_patient(weight_kg=60, height_cm=150, age_years=17)

    plan = plan_infusion(patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML)

    assert plan.decision is Decision.PROCEED
