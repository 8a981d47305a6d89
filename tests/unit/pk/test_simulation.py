"""Exact simulation: analytic closed forms, an independent matrix-exponential reference, mass balance, cohorts."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.domain.pk import (
    MODELS,
    Bolus,
    Cohort,
    Dose,
    Infusion,
    PkModel,
    PkPatient,
    WeightBasedBolus,
    WeightBasedInfusion,
    evaluate_auc,
    generate_cohort,
    get_variability,
    simulate,
    simulate_cohort,
)

from .references import given_mg, reference_states

# A dosing history with everything an event log can hold: a bolus, an infusion, a pause, a resumption at a
# different rate, a second bolus during the infusion.
HISTORY: list[Bolus | Infusion] = [
    Bolus(at_min=0.0, mg=10.0),
    Infusion(start_min=0.0, duration_min=15.0, mg_per_h=60.0),
    Infusion(start_min=22.5, duration_min=20.0, mg_per_h=30.0),
    Bolus(at_min=30.0, mg=5.0),
]
CHECK_TIMES = [0.0, 0.25, 7.0, 15.0, 18.0, 22.5, 30.0, 42.5, 60.0, 240.0, 1440.0]


def test_one_compartment_bolus_matches_closed_form(one_compartment: PkModel, adult: PkPatient) -> None:
    times_min = np.linspace(0, 120, 25)

    result = simulate(one_compartment, adult, [Bolus(0.0, 35.0)], times_min)

    expected_mg_per_l = 35.0 / 35.0 * np.exp(-0.02 * times_min)  # V = 0.5 L/kg x 70 kg = 35 L
    np.testing.assert_allclose(result.plasma_ng_per_ml, expected_mg_per_l * 1000.0, rtol=1e-9)


def test_one_compartment_infusion_matches_closed_form(one_compartment: PkModel, adult: PkPatient) -> None:
    times_min = np.linspace(0, 120, 49)

    result = simulate(one_compartment, adult, [Infusion(0.0, 40.0, 52.5)], times_min)

    rate_mg_per_min, k, v = 52.5 / 60.0, 0.02, 35.0
    during = rate_mg_per_min / (k * v) * (1 - np.exp(-k * times_min))
    after = rate_mg_per_min / (k * v) * (1 - np.exp(-k * 40.0)) * np.exp(-k * (times_min - 40.0))
    expected = np.where(times_min <= 40.0, during, after) * 1000.0
    np.testing.assert_allclose(result.plasma_ng_per_ml, expected, rtol=1e-9)


def test_one_compartment_effect_site_matches_closed_form(one_compartment: PkModel, adult: PkPatient) -> None:
    times_min = np.linspace(0, 60, 31)

    result = simulate(one_compartment, adult, [Bolus(0.0, 35.0)], times_min)

    k, ke0 = 0.02, 0.3
    expected = 1000.0 * ke0 / (ke0 - k) * (np.exp(-k * times_min) - np.exp(-ke0 * times_min))
    assert result.effect_ng_per_ml is not None
    np.testing.assert_allclose(result.effect_ng_per_ml[1:], expected[1:], rtol=1e-9)


def test_a_ke0_equal_to_an_eigenvalue_still_gives_the_limit_solution(
    one_compartment: PkModel, adult: PkPatient
) -> None:
    from dataclasses import replace

    from ketaflow.domain.pk import EffectSite, Ke0Basis

    model = replace(one_compartment, effect_site=EffectSite(0.02, Ke0Basis.PUBLISHED, "equal to k10"))
    times_min = np.linspace(1, 120, 30)

    result = simulate(model, adult, [Bolus(0.0, 35.0)], times_min)

    expected = 1000.0 * 0.02 * times_min * np.exp(-0.02 * times_min)  # t k e^{-kt}: the ke0 = k limit
    assert result.effect_ng_per_ml is not None
    np.testing.assert_allclose(result.effect_ng_per_ml, expected, rtol=1e-5)


@pytest.mark.parametrize("model_id", list(MODELS))
def test_any_history_matches_the_matrix_exponential_reference(model_id: str, adult: PkPatient) -> None:
    states = reference_states(MODELS[model_id], 70.0, HISTORY, CHECK_TIMES)

    result = simulate(model_id, adult, HISTORY, CHECK_TIMES)

    v1 = float(MODELS[model_id].rate_constants(np.array([70.0])).v1_l[0])
    np.testing.assert_allclose(result.plasma_ng_per_ml, states[:, 0] / v1 * 1000.0, rtol=1e-9)
    if result.effect_ng_per_ml is not None:
        np.testing.assert_allclose(result.effect_ng_per_ml[1:], states[1:, 4] * 1000.0, rtol=1e-8)


@pytest.mark.parametrize("model_id", list(MODELS))
def test_mass_balance_drug_given_is_drug_in_body_plus_drug_eliminated(model_id: str, adult: PkPatient) -> None:
    model = MODELS[model_id]
    rates = model.rate_constants(np.array([70.0]))
    v1, clearance = float(rates.v1_l[0]), float(rates.clearance_l_per_min[0])
    states = reference_states(model, 70.0, HISTORY, CHECK_TIMES)

    plasma = simulate(model_id, adult, HISTORY, CHECK_TIMES).plasma_ng_per_ml / 1000.0
    eliminated = [clearance * evaluate_auc(model_id, adult, HISTORY, until_min=t) / 1000.0 for t in CHECK_TIMES]

    peripheral = states[:, 1] + states[:, 2]
    given = [given_mg(HISTORY, t) for t in CHECK_TIMES]
    np.testing.assert_allclose(plasma * v1 + peripheral + eliminated, given, rtol=1e-9)


def test_concentration_is_zero_before_the_first_dose_and_continuous_after(adult: PkPatient) -> None:
    times_min = [0.0, 5.0, 9.999999, 10.0, 10.000001]

    result = simulate("domino", adult, [Infusion(10.0, 5.0, 60.0)], times_min)

    assert result.plasma_ng_per_ml[:4].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert 0.0 < result.plasma_ng_per_ml[4] < 1e-2


def test_no_doses_means_no_drug(adult: PkPatient) -> None:
    result = simulate("herd", adult, [], [0.0, 10.0])

    assert result.plasma_ng_per_ml.tolist() == [0.0, 0.0]
    assert (result.cmax_ng_per_ml, result.tmax_min) == (0.0, 0.0)


def test_simulation_carries_the_model_caveats(adult: PkPatient, s1_order: list[Infusion]) -> None:
    result = simulate("hornik", adult, s1_order, [40.0])

    assert result.caveats == MODELS["hornik"].caveats


def _cohort(n: int, seed: int) -> Cohort:
    rng = np.random.default_rng(seed)
    return Cohort.create(
        weight_kg=rng.uniform(50, 120, n),
        age_years=rng.uniform(18, 70, n),
        is_female=rng.random(n) < 0.5,
        height_cm=rng.uniform(150, 190, n),
    )


def _loop(model_id: str, cohort: Cohort, times_min: np.ndarray) -> np.ndarray:
    rows = []
    for i in range(len(cohort)):
        weight = float(cohort.weight_kg[i])
        patient = PkPatient.create(weight_kg=weight, age_years=40.0, sex="male", height_cm=170.0)
        doses: list[Dose] = [Bolus(0.0, 2.0), Infusion(0.0, 40.0, 0.75 * weight), Bolus(50.0, 0.1 * weight)]
        rows.append(simulate(model_id, patient, doses, times_min).plasma_ng_per_ml)
    return np.array(rows)


@pytest.mark.parametrize("model_id", ["domino", "herd", "kamp2020", "elkomy2015"])
def test_cohort_equals_a_loop_over_simulate(model_id: str) -> None:
    cohort = _cohort(40, seed=3)
    times_min = np.arange(0, 4 * 60 * 60 + 1) / 60.0  # 1-s grid to 240 min: the factorised path
    doses: list[Dose] = [Bolus(0.0, 2.0), WeightBasedInfusion(0.0, 40.0, 0.75), WeightBasedBolus(50.0, 0.1)]

    curves = simulate_cohort(model_id, cohort, doses, times_min)

    np.testing.assert_allclose(curves, _loop(model_id, cohort, times_min), rtol=1e-9, atol=1e-12)


def test_cohort_with_variability_equals_a_loop_over_single_patient_cohorts() -> None:
    cohort = generate_cohort(30, np.random.default_rng(4), variability=get_variability("herd"))
    times_min = np.linspace(0.0, 300.0, 1201)
    doses = [WeightBasedInfusion(0.0, 40.0, 0.75)]

    curves = simulate_cohort("herd", cohort, doses, times_min)

    single = [simulate_cohort("herd", cohort.rows(i, i + 1), doses, times_min)[0] for i in range(30)]
    np.testing.assert_allclose(curves, np.array(single), rtol=1e-9)


def test_cohort_writes_into_the_buffer_it_is_given_and_returns_it() -> None:
    cohort = _cohort(5, seed=5)
    buffer = np.full((5, 3), np.nan)

    curves = simulate_cohort("domino", cohort, [WeightBasedBolus(0.0, 0.5)], [1.0, 2.0, 3.0], buffer)

    assert curves is buffer
    assert np.isfinite(buffer).all()


def test_cohort_effect_site_and_fixed_doses_use_the_shared_path_correctly() -> None:
    cohort = _cohort(6, seed=6)
    times_min = np.linspace(0, 90, 181)

    curves = simulate_cohort("domino", cohort, [Bolus(0.0, 20.0)], times_min, site="effect")

    for i in range(6):
        patient = PkPatient.create(weight_kg=float(cohort.weight_kg[i]), age_years=40, sex="male", height_cm=170)
        effect = simulate("domino", patient, [Bolus(0.0, 20.0)], times_min).effect_ng_per_ml
        assert effect is not None
        np.testing.assert_allclose(curves[i], effect, rtol=1e-9, atol=1e-12)


def test_empty_cohort_and_empty_dosing_give_empty_and_zero_curves() -> None:
    empty = simulate_cohort("domino", _cohort(0, seed=1), [Bolus(0, 1)], [0.0, 1.0])
    no_doses = simulate_cohort("domino", _cohort(3, seed=1), [], [0.0, 1.0])

    assert empty.shape == (0, 2)
    assert no_doses.tolist() == [[0.0, 0.0]] * 3


def test_non_uniform_grids_are_evaluated_exactly_too() -> None:
    cohort = _cohort(4, seed=8)
    times_min = np.sort(np.random.default_rng(9).uniform(0, 300, 700))
    doses = [WeightBasedInfusion(0.0, 40.0, 0.75)]

    curves = simulate_cohort("hornik", cohort, doses, times_min)

    uniform_check = simulate_cohort("hornik", cohort, doses, np.append(times_min[:1], 300.0))
    assert curves.shape == (4, 700)
    np.testing.assert_allclose(curves[:, 0], uniform_check[:, 0], rtol=1e-12)


def test_a_grid_run_of_whole_blocks_is_factorised_exactly() -> None:
    cohort = _cohort(3, seed=12)
    times_min = np.arange(512) / 60.0  # one interval of exactly 4 blocks of 128 points

    curves = simulate_cohort("herd", cohort, [WeightBasedBolus(0.0, 0.5)], times_min)

    for i in range(3):
        patient = PkPatient.create(weight_kg=float(cohort.weight_kg[i]), age_years=40, sex="male", height_cm=170)
        expected = simulate("herd", patient, [Bolus(0.0, 0.5 * float(cohort.weight_kg[i]))], times_min)
        np.testing.assert_allclose(curves[i], expected.plasma_ng_per_ml, rtol=1e-12)


def test_dose_values_report_their_end_and_total() -> None:
    infusion = Infusion(start_min=10.0, duration_min=40.0, mg_per_h=52.5)

    assert (infusion.end_min, infusion.total_mg) == (50.0, 35.0)


def test_models_say_whether_they_predict_an_effect_site() -> None:
    assert (MODELS["domino"].has_effect_site, MODELS["elkomy2015"].has_effect_site) == (True, False)
