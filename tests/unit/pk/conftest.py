"""Fixtures for the PK engine's tests: a typical adult, the S1 order, a one-compartment model."""

from __future__ import annotations

import pytest

from ketaflow.domain.pk import (
    Citation,
    Confirmation,
    EffectSite,
    Infusion,
    Ke0Basis,
    MicroConstants,
    PkModel,
    PkPatient,
)


@pytest.fixture
def adult() -> PkPatient:
    return PkPatient.create(weight_kg=70.0, age_years=40.0, sex="male", height_cm=175.0)


@pytest.fixture
def s1_order() -> list[Infusion]:
    # Scenario S1 (pk.md): 0.5 mg/kg over 40 min for 70 kg = 35 mg at 52.5 mg/h.
    return [Infusion(start_min=0.0, duration_min=40.0, mg_per_h=52.5)]


@pytest.fixture
def one_compartment() -> PkModel:
    """V = 0.5 L/kg, k = 0.02 /min, ke0 = 0.3 /min: simple enough to solve by hand."""
    return PkModel(
        id="one_compartment",
        name="test one-compartment model",
        drug="test",
        compartments=1,
        parameters=MicroConstants(v1_l_per_kg=0.5, k10_per_min=0.02),
        effect_site=EffectSite(0.3, Ke0Basis.PUBLISHED, "test"),
        citation=Citation("none"),
        population="none",
        confirmation=Confirmation.CONFIRMED,
        caveats=(),
    )
