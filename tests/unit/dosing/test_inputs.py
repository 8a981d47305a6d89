"""Invalid input is refused with the field named, before anything is computed."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.domain.dosing import DosingPatient, Preparation, Protocol, WeightBasis, plan_infusion
from ketaflow.domain.errors import InputError

from .builders import ONE_MG_PER_ML, load_protocol, load_protocol_data, make_patient


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weight_kg": 0}, "patient.weight_kg"),
        ({"weight_kg": 700}, "patient.weight_kg"),
        ({"height_cm": 1.75}, "patient.height_cm"),
        ({"sex": "other"}, "patient.sex"),
        ({"age_years": -1}, "patient.age_years"),
    ],
    ids=["zero-weight", "weight-in-lb-or-typo", "height-in-m", "sex-without-formula", "negative-age"],
)
def test_implausible_patients_are_refused(changes: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {"weight_kg": 70, "height_cm": 175, "sex": "male", "age_years": 40} | changes

    with pytest.raises(InputError) as caught:
        DosingPatient.create(**values)

    assert caught.value.field == field


@pytest.mark.parametrize(
    ("drug_mg", "volume_ml", "field"),
    [(0, 100, "preparation.drug_mg"), (100, -1, "preparation.volume_ml"), (float("nan"), 10, "preparation.drug_mg")],
    ids=["no-drug", "negative-volume", "nan"],
)
def test_preparations_need_positive_amounts(drug_mg: float, volume_ml: float, field: str) -> None:
    with pytest.raises(InputError) as caught:
        Preparation.create(drug_mg=drug_mg, volume_ml=volume_ml)

    assert caught.value.field == field


@pytest.mark.parametrize(
    ("protocol_id", "overrides", "field"),
    [
        ("depression_standard", {"rate_mg_per_h": 50}, "rate_mg_per_h"),
        ("depression_standard", {"rate_mg_per_kg_per_h": 0.35}, "rate_mg_per_kg_per_h"),
        ("crps_weight_based", {"dose_mg_per_kg": 0.35}, "dose_mg_per_kg"),
        ("crps_fixed_rate", {"dosing_weight": WeightBasis.IDEAL}, "dosing_weight"),
        ("depression_standard", {"dose_mg_per_kg": 0}, "dose_mg_per_kg"),
        ("depression_standard", {"duration_min": -40}, "duration_min"),
    ],
    ids=["mg-per-h-on-mg-per-kg", "mg-per-kg-per-h-on-mg-per-kg", "mg-per-kg-on-mg-per-kg-per-h",
         "weight-basis-on-fixed-rate", "zero-dose", "negative-duration"],
)  # fmt: skip
def test_overrides_in_the_wrong_unit_or_sign_are_refused(
    protocol_id: str, overrides: dict[str, Any], field: str
) -> None:
    protocol = load_protocol(protocol_id)

    with pytest.raises(InputError) as caught:
        plan_infusion(make_patient(), protocol, preparation=ONE_MG_PER_ML, **overrides)

    assert caught.value.field == field


def test_a_basis_the_protocol_does_not_allow_is_refused() -> None:
    data = load_protocol_data("depression_standard")
    data["dosing_weight"]["allowed"] = ["actual"]
    protocol = Protocol.from_dict(data)

    with pytest.raises(InputError) as caught:
        plan_infusion(make_patient(), protocol, preparation=ONE_MG_PER_ML, dosing_weight=WeightBasis.IDEAL)

    assert caught.value.field == "dosing_weight"
