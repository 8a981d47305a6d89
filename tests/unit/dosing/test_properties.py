"""Invariants of the plan on random patients, doses and preparations (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.dosing import DosingPatient, Preparation, Quantity, WeightBasis, plan_infusion

from .builders import load_protocol

PROTOCOL = load_protocol("depression_titration")
PUMP = PROTOCOL.pump
HARD_MAX_MG_PER_KG = next(
    limit.max_value for limit in PROTOCOL.hard_limits if limit.quantity is Quantity.DOSE_MG_PER_KG
)
REL = 1e-12  # floating-point representation error only
EPS = 1e-9  # absolute slack, in mg, for comparisons at exactly half an increment

patients = st.builds(
    DosingPatient.create,
    weight_kg=st.floats(40, 250),
    height_cm=st.floats(150, 200),
    sex=st.sampled_from(["female", "male"]),
    age_years=st.floats(18, 90),
)
preparations = st.builds(Preparation.create, drug_mg=st.floats(10, 1000), volume_ml=st.floats(10, 500))
doses = st.floats(0.05, 3.0)
durations = st.floats(5, 240)
bases = st.sampled_from(list(WeightBasis))


@given(patients, preparations, doses, durations, bases)
def test_rate_times_duration_is_the_dose(
    patient: DosingPatient, preparation: Preparation, dose: float, minutes: float, basis: WeightBasis
) -> None:
    plan = plan_infusion(
        patient, PROTOCOL, preparation=preparation, dose_mg_per_kg=dose, duration_min=minutes, dosing_weight=basis
    )

    assert abs(plan.rate_mg_per_h * plan.duration_min / 60 - plan.dose_mg) <= REL * plan.dose_mg


@given(patients, preparations, doses, durations)
def test_pump_rounding_never_drifts_beyond_the_pump_resolution(
    patient: DosingPatient, preparation: Preparation, dose: float, minutes: float
) -> None:
    plan = plan_infusion(patient, PROTOCOL, preparation=preparation, dose_mg_per_kg=dose, duration_min=minutes)
    concentration = plan.concentration_mg_per_ml

    delivered_rate_mg_per_h = plan.rate_ml_per_h * concentration

    assert abs(plan.delivered_dose_mg - plan.dose_mg) <= PUMP.volume_increment_ml / 2 * concentration + EPS
    assert abs(delivered_rate_mg_per_h - plan.rate_mg_per_h) <= PUMP.rate_increment_ml_per_h / 2 * concentration + EPS


@given(patients, preparations, doses, doses, bases)
def test_a_higher_mg_per_kg_never_gives_a_lower_dose(
    patient: DosingPatient, preparation: Preparation, dose_a: float, dose_b: float, basis: WeightBasis
) -> None:
    low, high = sorted((dose_a, dose_b))

    plans = [
        plan_infusion(patient, PROTOCOL, preparation=preparation, dose_mg_per_kg=d, dosing_weight=basis)
        for d in (low, high)
    ]

    assert plans[0].dose_mg <= plans[1].dose_mg
    assert plans[0].vtbi_ml <= plans[1].vtbi_ml and plans[0].rate_ml_per_h <= plans[1].rate_ml_per_h


@given(patients, preparations, doses)
def test_a_dose_above_the_hard_limit_always_blocks(
    patient: DosingPatient, preparation: Preparation, dose: float
) -> None:
    plan = plan_infusion(patient, PROTOCOL, preparation=preparation, dose_mg_per_kg=dose)

    blocked_on_dose = any(f.rule_id == "depression_titration.hard.dose" for f in plan.findings)
    assert blocked_on_dose == (dose > HARD_MAX_MG_PER_KG)
    assert plan.decision.value == "block" or not blocked_on_dose
