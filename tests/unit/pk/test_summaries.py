"""Closed-form summaries (no grid): peak, AUC, time above a threshold, and the root finder behind them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from ketaflow.domain.pk import (
    MODELS,
    Bolus,
    Dose,
    Infusion,
    PkPatient,
    evaluate_auc,
    evaluate_peak,
    evaluate_time_above,
    simulate,
)
from ketaflow.domain.pk.exponential_sums import HORIZON_MIN, find_roots, root_bound

# A history whose plasma peak is interior: a loading bolus, a pause, then a fast infusion tapering off.
TAPER: list[Dose] = [
    Bolus(0.0, 20.0),
    Infusion(30.0, 10.0, 300.0),
    Infusion(40.0, 30.0, 80.0),
    Bolus(100.0, 3.0),
]
DENSE_MIN = np.linspace(0.0, 600.0, 600 * 600 + 1)  # 0.1-s grid to 10 h


SITES = [(m, s) for m in MODELS for s in ("plasma", "effect") if s == "plasma" or MODELS[m].effect_site]


@pytest.mark.parametrize(("model_id", "site"), SITES, ids=[f"{m}-{s}" for m, s in SITES])
def test_analytic_peak_equals_the_dense_grid_maximum(model_id: str, site: str, adult: PkPatient) -> None:
    result = simulate(model_id, adult, TAPER, DENSE_MIN)
    curve = result.plasma_ng_per_ml if site == "plasma" else result.effect_ng_per_ml
    assert curve is not None

    peak = evaluate_peak(model_id, adult, TAPER, site=site)  # type: ignore[arg-type]

    # The grid can only under-read the true peak; 0.1 s apart it misses it by less than 1e-6.
    assert curve.max() <= peak.cmax_ng_per_ml * (1 + 1e-12)
    assert peak.cmax_ng_per_ml == pytest.approx(curve.max(), rel=1e-6)
    assert peak.tmax_min == pytest.approx(DENSE_MIN[curve.argmax()], abs=2e-3)


def test_constant_infusion_from_zero_peaks_at_its_end(adult: PkPatient, s1_order: list[Infusion]) -> None:
    peak = evaluate_peak("domino", adult, s1_order)

    assert peak.tmax_min == 40.0
    assert peak.cmax_ng_per_ml == pytest.approx(simulate("domino", adult, s1_order, [40.0]).plasma_ng_per_ml[0])


def test_effect_site_peaks_after_the_infusion_ends(adult: PkPatient, s1_order: list[Infusion]) -> None:
    peak = evaluate_peak("domino", adult, s1_order, site="effect")

    assert 40.0 < peak.tmax_min < 42.0


@pytest.mark.parametrize("model_id", list(MODELS))
def test_auc_to_infinity_is_dose_over_clearance(model_id: str, adult: PkPatient) -> None:
    clearance = float(MODELS[model_id].rate_constants(np.array([70.0])).clearance_l_per_min[0])

    auc = evaluate_auc(model_id, adult, TAPER)

    total_mg = 20.0 + 300.0 / 6 + 80.0 / 2 + 3.0
    assert auc == pytest.approx(total_mg / clearance * 1000.0, rel=1e-12)
    # The piecewise integral converges to it (3 weeks is many terminal half-lives).
    assert evaluate_auc(model_id, adult, TAPER, until_min=30_000.0) == pytest.approx(auc, rel=1e-9)


def _simpson(model_id: str, patient: PkPatient, doses: list[Dose], until_min: float) -> float:
    """Composite Simpson's rule between consecutive dose breakpoints, where the curve is smooth."""
    knots = sorted({0.0, 30.0, 40.0, 70.0, 100.0, until_min})
    total = 0.0
    for low, high in itertools.pairwise(knots):
        times = np.linspace(low, high, 4001)
        times[0], times[-1] = low + 1e-12, high - 1e-12  # inside the piece: after a bolus, before the next
        curve = simulate(model_id, patient, doses, times).plasma_ng_per_ml
        total += (high - low) / 4000 / 3 * (curve[0] + curve[-1] + 4 * curve[1:-1:2].sum() + 2 * curve[2:-1:2].sum())
    return total


@pytest.mark.parametrize("model_id", ["hijazi", "domino", "herd"])
def test_auc_to_a_time_matches_simpsons_rule_between_breakpoints(model_id: str, adult: PkPatient) -> None:
    auc = evaluate_auc(model_id, adult, TAPER, until_min=120.0)

    assert auc == pytest.approx(_simpson(model_id, adult, TAPER, 120.0), rel=1e-9)


def test_auc_without_doses_is_zero(adult: PkPatient) -> None:
    assert (evaluate_auc("domino", adult, []), evaluate_auc("domino", adult, [], until_min=10.0)) == (
        0.0,
        0.0,
    )


@pytest.mark.parametrize("model_id", ["domino", "herd", "clements250"])
@pytest.mark.parametrize("threshold", [40.0, 150.0, 400.0])
def test_time_above_threshold_matches_the_dense_grid(model_id: str, threshold: float, adult: PkPatient) -> None:
    curve = simulate(model_id, adult, TAPER, DENSE_MIN).plasma_ng_per_ml

    minutes = evaluate_time_above(model_id, adult, TAPER, threshold)

    assert curve[-1] < threshold  # the grid covers every excursion
    step = DENSE_MIN[1] - DENSE_MIN[0]
    assert minutes == pytest.approx((curve > threshold).sum() * step, abs=4 * step)


def test_time_above_counts_the_effect_site_and_every_excursion(adult: PkPatient) -> None:
    doses = [Bolus(0.0, 20.0), Bolus(120.0, 20.0)]
    curve = simulate("domino", adult, doses, DENSE_MIN).effect_ng_per_ml
    assert curve is not None

    minutes = evaluate_time_above("domino", adult, doses, 100.0, site="effect")

    step = DENSE_MIN[1] - DENSE_MIN[0]
    assert minutes == pytest.approx((curve > 100.0).sum() * step, abs=4 * step)


def test_find_roots_isolates_every_root_of_a_sum_of_exponentials() -> None:
    # (1 - e^{-t})(1 - 2e^{-t})(1 - 4e^{-t}) expanded: roots at ln 1... shifted: 0, ln 2, ln 4 -> take (0.1, 5).
    a = np.array([[1.0, -7.0, 14.0, -8.0]])
    rates = np.array([[0.0, 1.0, 2.0, 3.0]])

    roots = find_roots(a, rates, np.array([0.1]), np.array([5.0]))

    np.testing.assert_allclose(roots, [[np.log(2.0), np.log(4.0), np.nan]], rtol=1e-12)


def test_find_roots_accepts_unsorted_rates_and_an_unbounded_end() -> None:
    a = np.array([[-2.0, 1.0], [1.0, 1.0]])
    rates = np.array([[0.5, 0.0], [0.0, 1.0]])

    roots = find_roots(a, rates, np.zeros(2), np.full(2, np.inf))

    np.testing.assert_allclose(roots[0], [2.0 * np.log(2.0)], rtol=1e-12)
    assert np.isnan(roots[1, 0])


def test_find_roots_of_a_single_term_is_empty() -> None:
    roots = find_roots(np.array([[3.0]]), np.array([[1.0]]), np.zeros(1), np.ones(1))

    assert roots.shape == (1, 0)


def test_root_bound_handles_zero_leading_terms_and_coincident_rates() -> None:
    a = np.array([[0.0, 2.0, -1.0], [0.0, 0.0, 0.0], [1.0, -3.0, 0.0], [1.0, -3.0, 1.0]])
    rates = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0], [0.5, 0.5, 1.0], [0.0, 1.0, 2.0]])

    bound = root_bound(a, rates)

    assert bound[0] == 0.0  # 2 e^{-t} outweighs e^{-2t} from t = 0 on
    assert bound[1] == 0.0  # nothing there
    assert bound[2] == HORIZON_MIN  # coincident rates: no finite bound from this rule
    assert bound[3] == pytest.approx(np.log(4.0))
