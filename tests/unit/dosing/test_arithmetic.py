"""Exact arithmetic of the plan: dose, rate, concentration and pump programming (clinical.md section 1.1)."""

from __future__ import annotations

import pytest

from ketaflow.domain.dosing import Preparation, WeightBasis, plan_infusion, round_to_increment

from .builders import ONE_MG_PER_ML, load_protocol, make_patient

TOL = 1e-9  # exact arithmetic in floating point; tolerance for representation error only


def test_seventy_kg_at_half_a_mg_per_kg_over_40_min_is_35_mg_at_52_5_mg_per_h() -> None:
    patient = make_patient(weight_kg=70)

    plan = plan_infusion(patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML)

    assert (plan.dose_mg, plan.duration_min, plan.rate_mg_per_h) == (35.0, 40.0, 52.5)
    assert (plan.concentration_mg_per_ml, plan.rate_ml_per_h, plan.vtbi_ml) == (1.0, 52.5, 35.0)
    assert plan.decision.value == "proceed" and plan.findings == ()


# 120 kg man at 152.4 cm (60 in): Devine ideal weight = 50 kg; adjusted = 50 + 0.4 x (120 - 50) = 78 kg.
# 120 kg woman at 177.8 cm (70 in): ideal = 45.5 + 2.3 x 10 = 68.5 kg; adjusted = 68.5 + 0.4 x 51.5 = 89.1 kg.
@pytest.mark.parametrize(
    ("sex", "height_cm", "basis", "weight_kg", "dose_mg", "rate_mg_per_h"),
    [
        ("male", 152.4, WeightBasis.ACTUAL, 120.0, 60.0, 90.0),
        ("male", 152.4, WeightBasis.IDEAL, 50.0, 25.0, 37.5),
        ("male", 152.4, WeightBasis.ADJUSTED, 78.0, 39.0, 58.5),
        ("female", 177.8, WeightBasis.ACTUAL, 120.0, 60.0, 90.0),
        ("female", 177.8, WeightBasis.IDEAL, 68.5, 34.25, 51.375),
        ("female", 177.8, WeightBasis.ADJUSTED, 89.1, 44.55, 66.825),
    ],
    ids=["man-actual", "man-ideal", "man-adjusted", "woman-actual", "woman-ideal", "woman-adjusted"],
)
def test_120_kg_patient_on_each_weight_basis(
    sex: str, height_cm: float, basis: WeightBasis, weight_kg: float, dose_mg: float, rate_mg_per_h: float
) -> None:
    patient = make_patient(weight_kg=120, height_cm=height_cm, sex=sex)

    plan = plan_infusion(patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, dosing_weight=basis)

    assert plan.dosing_weight is not None and plan.dosing_weight.basis is basis
    assert plan.dosing_weight.weight_kg == pytest.approx(weight_kg, abs=TOL)
    assert plan.dose_mg == pytest.approx(dose_mg, abs=TOL)
    assert plan.rate_mg_per_h == pytest.approx(rate_mg_per_h, abs=TOL)


def test_pump_numbers_are_rounded_to_the_pump_increments() -> None:
    patient = make_patient(weight_kg=120, height_cm=177.8, sex="female")

    plan = plan_infusion(
        patient, load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, dosing_weight=WeightBasis.IDEAL
    )

    assert (plan.rate_ml_per_h, plan.vtbi_ml) == (51.4, 34.3)  # 51.375 mL/h and 34.25 mL, to 0.1


def test_concentration_is_drug_over_volume() -> None:
    preparation = Preparation.create(drug_mg=200, volume_ml=50)

    plan = plan_infusion(make_patient(weight_kg=70), load_protocol("depression_standard"), preparation=preparation)

    assert (plan.concentration_mg_per_ml, plan.rate_ml_per_h, plan.vtbi_ml) == (4.0, 13.1, 8.8)  # 13.125, 8.75


def test_slow_variant_spreads_the_same_dose_over_100_min() -> None:
    plan = plan_infusion(make_patient(weight_kg=70), load_protocol("depression_slow_100min"), preparation=ONE_MG_PER_ML)

    assert (plan.dose_mg, plan.duration_min, plan.rate_mg_per_h) == (35.0, 100.0, 21.0)


def test_crps_weight_based_rate_is_035_mg_per_kg_per_h_for_4_h() -> None:
    plan = plan_infusion(make_patient(weight_kg=80), load_protocol("crps_weight_based"), preparation=ONE_MG_PER_ML)

    assert plan.rate_mg_per_h == pytest.approx(28.0, abs=TOL)
    assert plan.dose_mg == pytest.approx(112.0, abs=TOL)  # 28 mg/h x 4 h
    assert plan.dose_mg_per_kg == pytest.approx(1.4, abs=TOL)


def test_fixed_rate_dose_is_rate_times_hours_and_has_no_dosing_weight() -> None:
    preparation = Preparation.create(drug_mg=500, volume_ml=50)

    plan = plan_infusion(make_patient(weight_kg=80), load_protocol("crps_fixed_rate"), preparation=preparation)

    assert (plan.rate_mg_per_h, plan.duration_min, plan.dose_mg) == (22.0, 5760.0, 2112.0)  # 22 mg/h x 96 h
    assert plan.dosing_weight is None
    assert plan.to_json()["dosing_weight_basis"] == "not_weight_based"


def test_plan_json_carries_the_contract_fields_and_protocol_version() -> None:
    plan = plan_infusion(make_patient(), load_protocol("depression_standard"), preparation=ONE_MG_PER_ML)

    body = plan.to_json()

    assert set(body) >= {
        "decision", "dosing_weight_kg", "dosing_weight_basis", "dose_mg", "duration_min", "rate_mg_per_h",
        "concentration_mg_per_ml", "rate_ml_per_h", "vtbi_ml", "findings", "protocol",
    }  # fmt: skip
    assert body["protocol"] == {"id": "depression_standard", "version": "2026.11.0"}


def test_ideal_basis_names_its_formula_in_the_json() -> None:
    plan = plan_infusion(
        make_patient(weight_kg=120),
        load_protocol("depression_standard"),
        preparation=ONE_MG_PER_ML,
        dosing_weight=WeightBasis.IDEAL,
    )

    assert plan.to_json()["dosing_weight_formula"] == "devine"


@pytest.mark.parametrize(
    ("value", "increment", "expected"),
    [(52.5, 0.1, 52.5), (52.54, 0.1, 52.5), (52.55, 0.1, 52.6), (0.04, 0.1, 0.0), (7.74, 0.5, 7.5), (7.75, 0.5, 8.0)],
    ids=["exact", "down", "half-up", "to-zero", "half-step-down", "half-step-up"],
)
def test_rounding_goes_to_the_nearest_increment(value: float, increment: float, expected: float) -> None:
    assert round_to_increment(value, increment) == expected
