"""Soft limits hold (the physician acknowledges with a reason), hard limits block (no order can be signed)."""

from __future__ import annotations

import pytest

from ketaflow.domain.basis import Decision, Finding
from ketaflow.domain.dosing import Preparation, plan_infusion

from .builders import ONE_MG_PER_ML, load_protocol, make_patient


def _rule_ids(plan_findings: tuple[Finding, ...]) -> set[str]:
    return {finding.rule_id for finding in plan_findings}


@pytest.mark.parametrize(
    ("dose_mg_per_kg", "decision"),
    [
        (0.5, Decision.PROCEED),
        (0.49, Decision.HOLD),
        (0.75, Decision.PROCEED),
        (1.0, Decision.PROCEED),
        (1.01, Decision.HOLD),
        (2.0, Decision.HOLD),
        (2.01, Decision.BLOCK),
        (5.0, Decision.BLOCK),
    ],
    ids=["protocol", "below-soft", "mid-range", "soft-top", "above-soft", "hard-top", "above-hard", "10x-slip"],
)
def test_depression_dose_boundaries(dose_mg_per_kg: float, decision: Decision) -> None:
    protocol = load_protocol("depression_titration")

    plan = plan_infusion(make_patient(), protocol, preparation=ONE_MG_PER_ML, dose_mg_per_kg=dose_mg_per_kg)

    assert plan.decision is decision


@pytest.mark.parametrize(
    ("duration_min", "decision"),
    [(40, Decision.PROCEED), (60, Decision.PROCEED), (39, Decision.HOLD), (61, Decision.HOLD), (20, Decision.HOLD),
     (19.9, Decision.BLOCK), (4, Decision.BLOCK)],
    ids=["protocol", "soft-top", "below-soft", "above-soft", "hard-bottom", "below-hard", "10x-slip"],
)  # fmt: skip
def test_depression_duration_boundaries(duration_min: float, decision: Decision) -> None:
    protocol = load_protocol("depression_standard")

    plan = plan_infusion(make_patient(), protocol, preparation=ONE_MG_PER_ML, duration_min=duration_min)

    assert plan.decision is decision


@pytest.mark.parametrize(
    ("rate_mg_per_kg_per_h", "decision"),
    [(0.35, Decision.PROCEED), (0.36, Decision.HOLD), (1.0, Decision.HOLD), (1.01, Decision.BLOCK),
     (3.5, Decision.BLOCK)],
    ids=["protocol", "off-regimen", "hard-top", "above-hard", "10x-slip"],
)  # fmt: skip
def test_crps_weight_based_rate_boundaries(rate_mg_per_kg_per_h: float, decision: Decision) -> None:
    protocol = load_protocol("crps_weight_based")

    plan = plan_infusion(make_patient(), protocol, preparation=ONE_MG_PER_ML, rate_mg_per_kg_per_h=rate_mg_per_kg_per_h)

    assert plan.decision is decision


@pytest.mark.parametrize(
    ("rate_mg_per_h", "decision"),
    [(22, Decision.PROCEED), (23, Decision.HOLD), (80, Decision.HOLD), (80.5, Decision.BLOCK), (220, Decision.BLOCK)],
    ids=["protocol", "off-regimen", "hard-top-80kg", "above-hard-80kg", "10x-slip"],
)  # fmt: skip
def test_crps_fixed_rate_is_limited_per_kg_of_actual_weight(rate_mg_per_h: float, decision: Decision) -> None:
    # 10 g in 1 L holds 4 days at up to 104 mg/h, so the bag never limits these cases.
    preparation = Preparation.create(drug_mg=10_000, volume_ml=1_000)

    plan = plan_infusion(
        make_patient(weight_kg=80),
        load_protocol("crps_fixed_rate"),
        preparation=preparation,
        rate_mg_per_h=rate_mg_per_h,
    )

    assert plan.decision is decision


def test_hard_limit_finding_names_the_limit_and_the_value() -> None:
    plan = plan_infusion(
        make_patient(), load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, dose_mg_per_kg=5
    )

    block = plan.findings[0]

    assert block.rule_id == "depression_standard.hard.dose" and block.effect.value == "block"
    assert block.inputs == {"dose_mg_per_kg": 5.0, "min": None, "max": 2.0, "limit": "hard"}
    assert "5 mg/kg" in block.message and "[C]" in block.source


def test_soft_limit_finding_asks_for_an_acknowledgement_with_a_reason() -> None:
    plan = plan_infusion(make_patient(), load_protocol("ptsd_standard"), preparation=ONE_MG_PER_ML, dose_mg_per_kg=0.2)

    hold = next(f for f in plan.findings if f.rule_id == "ptsd_standard.soft.dose")

    assert hold.effect.value == "hold" and "acknowledge it with a reason" in hold.message
    assert hold.inputs["limit"] == "soft"


def test_an_override_inside_the_range_is_recorded() -> None:
    protocol = load_protocol("depression_titration")

    plan = plan_infusion(make_patient(), protocol, preparation=ONE_MG_PER_ML, dose_mg_per_kg=0.75, duration_min=60)

    assert _rule_ids(plan.findings) == {"depression_titration.override"}
    assert [f.inputs for f in plan.findings] == [{"ordered": 0.75, "protocol": 0.5}, {"ordered": 60, "protocol": 40.0}]


def test_an_override_equal_to_the_protocol_is_not_a_finding() -> None:
    protocol = load_protocol("depression_standard")

    plan = plan_infusion(make_patient(), protocol, preparation=ONE_MG_PER_ML, dose_mg_per_kg=0.5, duration_min=40)

    assert plan.findings == ()


def test_findings_are_sorted_strongest_first() -> None:
    plan = plan_infusion(
        make_patient(weight_kg=120), load_protocol("depression_standard"), preparation=ONE_MG_PER_ML, dose_mg_per_kg=5
    )

    effects = [f.effect.value for f in plan.findings]

    assert effects == ["block", "hold", "hold", "warn", "info"]


def test_a_preparation_too_small_for_the_dose_holds() -> None:
    preparation = Preparation.create(drug_mg=50, volume_ml=20)

    plan = plan_infusion(make_patient(weight_kg=120), load_protocol("depression_standard"), preparation=preparation)

    assert "depression_standard.preparation_volume" in _rule_ids(plan.findings)


@pytest.mark.parametrize(
    ("protocol_id", "drug_mg", "volume_ml", "quantity"),
    [("crps_fixed_rate", 1, 100, "rate_ml_per_h"), ("depression_standard", 1000, 10, "vtbi_ml")],
    ids=["rate-above-pump-maximum", "volume-below-pump-minimum"],
)
def test_numbers_the_pump_cannot_take_block(protocol_id: str, drug_mg: float, volume_ml: float, quantity: str) -> None:
    preparation = Preparation.create(drug_mg=drug_mg, volume_ml=volume_ml)

    plan = plan_infusion(make_patient(), load_protocol(protocol_id), preparation=preparation)

    pump = next(f for f in plan.findings if f.rule_id == f"{protocol_id}.pump_range")
    assert plan.decision is Decision.BLOCK and quantity in pump.inputs
