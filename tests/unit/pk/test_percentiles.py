"""Percentile bands streamed in chunks equal numpy's percentiles over the full array."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk import (
    Bolus,
    Cohort,
    Dose,
    WeightBasedInfusion,
    evaluate_percentile_bands,
    generate_cohort,
    get_variability,
    simulate_cohort,
)

DOSES: list[Dose] = [WeightBasedInfusion(0.0, 40.0, 0.75), Bolus(60.0, 10.0)]
PERCENTILES = [0.0, 5.0, 50.0, 62.5, 95.0, 100.0]


def _chunked(model_id: str, cohort: Cohort, times_min: np.ndarray, chunk_size: int, site: str = "plasma") -> np.ndarray:
    """The curves exactly as the streamed passes compute them (SIMD exp may differ by 1 ulp with chunking)."""
    parts = [
        simulate_cohort(model_id, cohort.rows(i, i + chunk_size), DOSES, times_min, site=site)  # type: ignore[arg-type]
        for i in range(0, len(cohort), chunk_size)
    ]
    return np.concatenate(parts)


@pytest.mark.parametrize(("n", "chunk_size"), [(1, 1), (7, 3), (64, 10), (65, 64), (500, 37), (2000, 256)])
def test_streamed_percentiles_equal_full_array_percentiles(n: int, chunk_size: int) -> None:
    cohort = generate_cohort(n, np.random.default_rng(n), variability=get_variability("herd"))
    times_min = np.linspace(0.0, 240.0, 97)

    bands = evaluate_percentile_bands("herd", cohort, DOSES, times_min, PERCENTILES, chunk_size=chunk_size)

    same_values = np.percentile(_chunked("herd", cohort, times_min, chunk_size), PERCENTILES, axis=0)
    full = np.percentile(simulate_cohort("herd", cohort, DOSES, times_min), PERCENTILES, axis=0)
    np.testing.assert_array_equal(bands.values_ng_per_ml, same_values)  # the selection is exact
    np.testing.assert_allclose(bands.values_ng_per_ml, full, rtol=1e-14)  # the curves agree to rounding


def test_ties_and_the_all_zero_time_before_dosing_are_exact() -> None:
    # Domino without variability: rate constants shared, so 0.5 mg/kg gives identical curves for all.
    cohort = generate_cohort(300, np.random.default_rng(9))
    times_min = np.linspace(0.0, 120.0, 25)

    bands = evaluate_percentile_bands("domino", cohort, [WeightBasedInfusion(10.0, 40.0, 0.75)], times_min)

    full = simulate_cohort("domino", cohort, [WeightBasedInfusion(10.0, 40.0, 0.75)], times_min)
    np.testing.assert_array_equal(bands.values_ng_per_ml, np.percentile(full, [5, 50, 95], axis=0))


def test_effect_site_bands_and_progress_over_every_pass() -> None:
    cohort = generate_cohort(300, np.random.default_rng(10), variability=get_variability("herd"))
    times_min = np.linspace(0.0, 180.0, 61)
    seen: list[tuple[int, int]] = []

    bands = evaluate_percentile_bands(
        "herd",
        cohort,
        DOSES,
        times_min,
        [50.0],
        site="effect",
        chunk_size=100,
        progress=lambda d, t: seen.append((d, t)),
    )

    full = _chunked("herd", cohort, times_min, 100, site="effect")
    np.testing.assert_array_equal(bands.values_ng_per_ml[0], np.median(full, axis=0))
    assert seen[0] == (100, 1200) and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert (bands.model_id, bands.site, bands.n_patients) == ("herd", "effect", 300)


@pytest.mark.parametrize(
    ("percentiles", "field"),
    [([], "percentiles"), ([50.0, 101.0], "percentiles[1]"), ([float("nan")], "percentiles[0]")],
    ids=["none", "above 100", "nan"],
)
def test_bad_percentiles_name_the_field(percentiles: list[float], field: str) -> None:
    cohort = generate_cohort(3, np.random.default_rng(11))

    with pytest.raises(InputError) as error:
        evaluate_percentile_bands("domino", cohort, DOSES, [0.0, 1.0], percentiles)

    assert error.value.field == field


def test_an_empty_cohort_has_no_percentiles() -> None:
    with pytest.raises(InputError) as error:
        evaluate_percentile_bands("domino", generate_cohort(0, np.random.default_rng(12)), DOSES, [0.0, 1.0])

    assert error.value.field == "cohort"


def test_a_value_placed_in_a_bin_above_its_own_is_moved_down() -> None:
    from ketaflow.domain.pk.percentiles import _settle

    edges = np.array([0.0, 1.0, 1.0, 1.0, 2.0])  # tied edges, as in a bracket a few ulps wide
    values = np.array([0.5, 1.5, 1.5])
    index = np.array([3, 0, 2])

    _settle(values, index, np.zeros(3, dtype=np.int64), edges)

    assert index.tolist() == [0, 3, 3]
