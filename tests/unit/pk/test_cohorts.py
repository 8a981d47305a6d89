"""Virtual cohorts: covariates, between-subject variability, exceedance probability."""

from __future__ import annotations

import math
from typing import Any  # the bad-input tables mix value types on purpose

import numpy as np
import pytest

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk import (
    Cohort,
    CovariateDistributions,
    LogNormalDistribution,
    UniformDistribution,
    WeightBasedInfusion,
    generate_cohort,
    get_variability,
    probability_cmax_above,
    simulate_cohort,
)

DOSE = [WeightBasedInfusion(0.0, 40.0, 0.75)]


def test_generated_covariates_follow_their_distributions() -> None:
    distributions = CovariateDistributions(
        weight_kg=LogNormalDistribution(median=80.0, cv=0.2),
        age_years=UniformDistribution(20.0, 30.0),
        height_cm=UniformDistribution(160.0, 161.0),
        female_fraction=0.25,
    )

    cohort = generate_cohort(200_000, np.random.default_rng(0), distributions)

    assert np.median(cohort.weight_kg) == pytest.approx(80.0, rel=0.01)
    assert np.std(np.log(cohort.weight_kg)) == pytest.approx(math.sqrt(math.log1p(0.04)), rel=0.01)
    assert cohort.age_years.min() >= 20.0 and cohort.age_years.max() <= 30.0
    assert cohort.is_female.mean() == pytest.approx(0.25, abs=0.005)
    assert cohort.parameter_factors is None


def test_variability_factors_are_log_normal_with_the_sourced_cv() -> None:
    cohort = generate_cohort(200_000, np.random.default_rng(1), variability=get_variability("herd"))

    assert cohort.parameter_factors is not None
    factor = cohort.parameter_factors["v1"]
    assert np.median(factor) == pytest.approx(1.0, rel=0.01)
    assert np.std(factor) / np.mean(factor) == pytest.approx(0.64, rel=0.03)


def test_a_model_without_sourced_variability_needs_an_assumption_labelled_as_such() -> None:
    with pytest.raises(InputError) as missing:
        get_variability("domino")

    assumed = get_variability("domino", {"cl": 0.3, "v1": 0.25})

    assert missing.value.field == "assumed_cv"
    assert assumed.is_assumption and "assumption" in assumed.source


@pytest.mark.parametrize(
    ("assumed", "field"),
    [({"ke0": 0.3}, "assumed_cv.ke0"), ({"cl": -0.1}, "assumed_cv.cl"), ({"cl": True}, "assumed_cv.cl")],
    ids=["unknown parameter", "negative cv", "not a number"],
)
def test_bad_assumed_cvs_name_the_field(assumed: dict[str, float], field: str) -> None:
    with pytest.raises(InputError) as error:
        get_variability("domino", assumed)

    assert error.value.field == field


def test_probability_equals_the_share_whose_dense_grid_maximum_is_above() -> None:
    cohort = generate_cohort(400, np.random.default_rng(2), variability=get_variability("herd"))
    times_min = np.linspace(0.0, 240.0, 2401)  # includes t = 40, the end of the infusion

    result = probability_cmax_above("herd", cohort, DOSE, 250.0, chunk_size=64)

    grid_max = simulate_cohort("herd", cohort, DOSE, times_min).max(axis=1)
    assert result.n_above == int((grid_max > 250.0).sum())
    assert result.probability == result.n_above / 400
    assert result.ci95_low < result.probability < result.ci95_high


def test_probability_reports_progress_chunk_by_chunk() -> None:
    cohort = generate_cohort(250, np.random.default_rng(3))
    calls: list[tuple[int, int]] = []

    probability_cmax_above("domino", cohort, DOSE, 200.0, chunk_size=100, progress=lambda d, t: calls.append((d, t)))

    assert calls == [(100, 250), (200, 250), (250, 250)]


def test_empty_cohort_has_no_probability() -> None:
    result = probability_cmax_above("domino", generate_cohort(0, np.random.default_rng(4)), DOSE, 200.0)

    assert result.n_patients == 0 and math.isnan(result.probability) and math.isnan(result.ci95_low)


def test_everyone_above_gives_a_probability_of_one_with_a_valid_interval() -> None:
    result = probability_cmax_above("domino", generate_cohort(50, np.random.default_rng(5)), DOSE, 1.0)

    assert (result.probability, result.ci95_high) == (1.0, 1.0)
    assert 0.9 < result.ci95_low < 1.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n": -1}, "n"),
        ({"distributions": CovariateDistributions(female_fraction=1.5)}, "distributions.female_fraction"),
        (
            {"distributions": CovariateDistributions(weight_kg=UniformDistribution(0.0, 80.0))},
            "distributions.weight_kg",
        ),
        (
            {"distributions": CovariateDistributions(age_years=UniformDistribution(30.0, 20.0))},
            "distributions.age_years",
        ),
        (
            {"distributions": CovariateDistributions(height_cm=LogNormalDistribution(0.0, 0.1))},
            "distributions.height_cm",
        ),
    ],
    ids=["negative n", "female fraction", "zero weight", "reversed range", "zero median"],
)
def test_bad_cohort_requests_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    arguments = {"n": 10, "rng": np.random.default_rng(6), **kwargs}

    with pytest.raises(InputError) as error:
        generate_cohort(**arguments)

    assert error.value.field == field


def test_cohort_columns_are_checked_once_at_creation() -> None:
    with pytest.raises(InputError) as error:
        Cohort.create(weight_kg=[70, -1], age_years=[40, 40], is_female=[True, False], height_cm=[170, 170])

    assert error.value.field == "cohort.weight_kg[1]"


@pytest.mark.parametrize(
    ("columns", "field"),
    [
        ({"age_years": [40]}, "cohort.age_years"),
        ({"is_female": [True]}, "cohort.is_female"),
        ({"parameter_factors": {"ke0": [1.0, 1.0]}}, "cohort.parameter_factors"),
        ({"parameter_factors": {"cl": [1.0, 0.0]}}, "cohort.parameter_factors.cl[1]"),
        ({"height_cm": [170, float("nan")]}, "cohort.height_cm[1]"),
    ],
    ids=["short column", "short sex column", "unknown factor", "zero factor", "nan height"],
)
def test_inconsistent_cohort_columns_name_the_field(columns: dict[str, Any], field: str) -> None:
    arguments = {
        "weight_kg": [70, 80],
        "age_years": [40, 50],
        "is_female": [True, False],
        "height_cm": [170, 180],
    }

    with pytest.raises(InputError) as error:
        Cohort.create(**{**arguments, **columns})

    assert error.value.field == field


def test_a_created_cohort_keeps_its_factors_and_slices_them() -> None:
    cohort = Cohort.create(
        weight_kg=[70, 80, 90],
        age_years=[40, 50, 60],
        is_female=[True, False, True],
        height_cm=[170, 180, 175],
        parameter_factors={"cl": [1.0, 2.0, 3.0]},
    )

    part = cohort.rows(1, 3)

    assert part.parameter_factors is not None and part.parameter_factors["cl"].tolist() == [2.0, 3.0]
    assert part.weight_kg.tolist() == [80.0, 90.0]
