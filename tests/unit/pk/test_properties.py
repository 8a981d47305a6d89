"""Invariants of a linear compartment model, checked on random dosing histories (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.domain.pk import MODELS, Bolus, Infusion, PkPatient, evaluate_peak, simulate

TIMES_MIN = np.linspace(0.0, 300.0, 301)
# Relative tolerance of the property checks; absolute floor in ng/mL for values that are ~0.
RTOL, ATOL = 1e-9, 1e-9

models = st.sampled_from(sorted(MODELS))
patients = st.floats(10.0, 150.0).map(
    lambda w: PkPatient.create(weight_kg=w, age_years=40.0, sex="female", height_cm=165.0)
)
boluses = st.builds(Bolus, at_min=st.floats(0.0, 120.0), mg=st.floats(0.0, 50.0))
infusions = st.builds(
    Infusion,
    start_min=st.floats(0.0, 120.0),
    duration_min=st.floats(0.5, 60.0),
    mg_per_h=st.floats(0.0, 200.0),
)
histories = st.lists(st.one_of(boluses, infusions), min_size=1, max_size=5)


def _scaled(doses: list[Bolus | Infusion], factor: float) -> list[Bolus | Infusion]:
    return [
        Bolus(d.at_min, d.mg * factor)
        if isinstance(d, Bolus)
        else Infusion(d.start_min, d.duration_min, d.mg_per_h * factor)
        for d in doses
    ]


@settings(deadline=None, max_examples=60)
@given(models, patients, histories, st.floats(0.01, 100.0))
def test_concentration_is_linear_in_dose(
    model_id: str, patient: PkPatient, doses: list[Bolus | Infusion], factor: float
) -> None:
    base = simulate(model_id, patient, doses, TIMES_MIN).plasma_ng_per_ml

    scaled = simulate(model_id, patient, _scaled(doses, factor), TIMES_MIN).plasma_ng_per_ml

    np.testing.assert_allclose(scaled, factor * base, rtol=RTOL, atol=ATOL * factor)


@settings(deadline=None, max_examples=60)
@given(models, patients, histories, histories)
def test_two_histories_together_give_the_sum_of_their_curves(
    model_id: str, patient: PkPatient, first: list[Bolus | Infusion], second: list[Bolus | Infusion]
) -> None:
    apart = [simulate(model_id, patient, doses, TIMES_MIN) for doses in (first, second)]

    together = simulate(model_id, patient, first + second, TIMES_MIN)

    np.testing.assert_allclose(
        together.plasma_ng_per_ml, apart[0].plasma_ng_per_ml + apart[1].plasma_ng_per_ml, rtol=RTOL, atol=ATOL
    )
    if together.effect_ng_per_ml is not None:
        assert apart[0].effect_ng_per_ml is not None and apart[1].effect_ng_per_ml is not None
        expected = apart[0].effect_ng_per_ml + apart[1].effect_ng_per_ml
        np.testing.assert_allclose(together.effect_ng_per_ml, expected, rtol=1e-8, atol=1e-8)


@settings(deadline=None, max_examples=60)
@given(models, patients, histories)
def test_concentrations_are_never_negative(model_id: str, patient: PkPatient, doses: list[Bolus | Infusion]) -> None:
    result = simulate(model_id, patient, doses, TIMES_MIN)

    assert (result.plasma_ng_per_ml >= 0.0).all()
    if result.effect_ng_per_ml is not None:
        # Ce is a difference of exponentials: it may round to -1e-12 of the peak, never below.
        assert (result.effect_ng_per_ml >= -1e-12 * max(1.0, float(result.effect_ng_per_ml.max()))).all()


@settings(deadline=None, max_examples=60)
@given(models, patients, histories, histories)
def test_more_drug_never_gives_a_lower_curve(
    model_id: str, patient: PkPatient, doses: list[Bolus | Infusion], extra: list[Bolus | Infusion]
) -> None:
    less = simulate(model_id, patient, doses, TIMES_MIN).plasma_ng_per_ml

    more = simulate(model_id, patient, doses + extra, TIMES_MIN).plasma_ng_per_ml

    assert (more >= less * (1 - RTOL) - ATOL).all()


@settings(deadline=None, max_examples=60)
@given(
    models,
    patients,
    st.floats(1.0, 60.0),
    st.floats(10.0, 400.0),
    st.floats(0.05, 0.95),
    st.floats(0.1, 60.0),
)
def test_pausing_an_infusion_never_raises_its_peak(
    model_id: str, patient: PkPatient, duration_min: float, mg_per_h: float, pause_at: float, pause_min: float
) -> None:
    before = pause_at * duration_min
    straight = [Infusion(0.0, duration_min, mg_per_h)]
    paused = [Infusion(0.0, before, mg_per_h), Infusion(before + pause_min, duration_min - before, mg_per_h)]

    peaks = [evaluate_peak(model_id, patient, doses).cmax_ng_per_ml for doses in (straight, paused)]

    assert peaks[1] <= peaks[0] * (1 + RTOL)
