"""Virtual cohorts: covariate distributions, between-subject variability, and exceedance probabilities.

Randomness comes only from the generator the caller passes, so a cohort is reproducible from its seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk.doses import Dose, create_schedule
from ketaflow.domain.pk.parameters import VARIABILITY_PARAMETERS, FloatArray, Variability
from ketaflow.domain.pk.population import Cohort
from ketaflow.domain.pk.simulation import ModelRef, check_threshold, get_model, site_trajectory
from ketaflow.domain.pk.summaries import peak_rows

Progress = Callable[[int, int], None]

# Patients per block for closed-form summaries (no grid): about 10 MB of temporaries.
SUMMARY_CHUNK = 65536
_Z_95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class UniformDistribution:
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class LogNormalDistribution:
    """Log-normal with this median and coefficient of variation (a fraction)."""

    median: float
    cv: float


Distribution = UniformDistribution | LogNormalDistribution


@dataclass(frozen=True, slots=True)
class CovariateDistributions:
    """How virtual patients' covariates are drawn. The defaults are an assumption, not a sourced population:
    weights uniform 50-120 kg as in the issue's benchmark; age and height are not used by any model here."""

    weight_kg: Distribution = UniformDistribution(50.0, 120.0)
    age_years: Distribution = UniformDistribution(18.0, 75.0)
    height_cm: Distribution = UniformDistribution(150.0, 195.0)
    female_fraction: float = 0.5


@dataclass(frozen=True, slots=True)
class Exceedance:
    """The share of a cohort whose plasma Cmax is above a threshold, with a 95 % Wilson interval."""

    threshold_ng_per_ml: float
    n_patients: int
    n_above: int
    probability: float
    ci95_low: float
    ci95_high: float


def get_variability(model_id: ModelRef, assumed_cv: Mapping[str, float] | None = None) -> Variability:
    """The model's sourced between-subject variability, or the caller's CVs labelled as an assumption.

    >>> get_variability("herd").is_assumption
    False
    >>> get_variability("domino", {"cl": 0.3}).source
    'assumption supplied by the caller (domino has no sourced variability)'
    """
    model = get_model(model_id)
    if assumed_cv is None:
        if model.variability is None:
            raise InputError(
                "assumed_cv",
                f"CVs by parameter ({', '.join(VARIABILITY_PARAMETERS)}): {model.id} has no sourced one",
            )
        return model.variability
    for name, cv in assumed_cv.items():
        if name not in VARIABILITY_PARAMETERS:
            raise InputError(f"assumed_cv.{name}", f"a parameter among {', '.join(VARIABILITY_PARAMETERS)}", name)
        if isinstance(cv, bool) or not isinstance(cv, int | float) or not math.isfinite(cv) or cv < 0:
            raise InputError(f"assumed_cv.{name}", "a coefficient of variation >= 0 (a fraction)", cv)
    return Variability(
        cv_by_parameter=MappingProxyType(dict(assumed_cv)),
        source=f"assumption supplied by the caller ({model.id} has no sourced variability)",
        is_assumption=True,
    )


def generate_cohort(
    n: int,
    rng: np.random.Generator,
    distributions: CovariateDistributions | None = None,
    *,
    variability: Variability | None = None,
) -> Cohort:
    """n virtual patients from the distributions; log-normal parameter factors when variability is given.

    >>> cohort = generate_cohort(1000, np.random.default_rng(1))
    >>> len(cohort), bool((cohort.weight_kg >= 50).all() and (cohort.weight_kg <= 120).all())
    (1000, True)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InputError("n", "a number of patients >= 0", n)
    d = distributions or CovariateDistributions()
    if not 0.0 <= d.female_fraction <= 1.0:
        raise InputError("distributions.female_fraction", "a fraction between 0 and 1", d.female_fraction)
    weight = _draw("distributions.weight_kg", d.weight_kg, n, rng, positive=True)
    age = _draw("distributions.age_years", d.age_years, n, rng, positive=False)
    height = _draw("distributions.height_cm", d.height_cm, n, rng, positive=True)
    female = rng.random(n) < d.female_fraction
    factors = None
    if variability is not None:
        factors = {}
        for name, cv in variability.cv_by_parameter.items():
            # A log-normal factor with this coefficient of variation: omega^2 = ln(1 + CV^2), median 1.
            omega = math.sqrt(math.log1p(cv * cv))
            factors[name] = np.exp(omega * rng.standard_normal(n))
    return Cohort(weight, age, female, height, factors)


def probability_cmax_above(
    model_id: ModelRef,
    cohort: Cohort,
    doses: Sequence[Dose],
    threshold_ng_per_ml: float,
    *,
    chunk_size: int = SUMMARY_CHUNK,
    progress: Progress | None = None,
) -> Exceedance:
    """The share of the cohort whose plasma Cmax exceeds the threshold, from the closed-form peak."""
    model = get_model(model_id)
    check_threshold(threshold_ng_per_ml)
    check_chunk_size(chunk_size)
    schedule = create_schedule(doses)
    n = len(cohort)
    above = 0
    for first in range(0, n, chunk_size):
        chunk = cohort.rows(first, first + chunk_size)
        cmax, _ = peak_rows(site_trajectory(model, chunk, schedule, "plasma"))
        above += int(np.count_nonzero(cmax > threshold_ng_per_ml))
        if progress is not None:
            progress(min(first + chunk_size, n), n)
    low, high = _wilson(above, n)
    return Exceedance(threshold_ng_per_ml, n, above, above / n if n else math.nan, low, high)


def check_chunk_size(chunk_size: int) -> None:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError("chunk_size", "a number of patients >= 1", chunk_size)


def _draw(field: str, distribution: Distribution, n: int, rng: np.random.Generator, *, positive: bool) -> FloatArray:
    if isinstance(distribution, UniformDistribution):
        if not (distribution.low > 0 if positive else distribution.low >= 0) or distribution.low > distribution.high:
            raise InputError(field, f"{'0 <' if positive else '0 <='} low <= high", distribution)
        return rng.uniform(distribution.low, distribution.high, n)
    if not (distribution.median > 0 and distribution.cv >= 0):
        raise InputError(field, "median > 0 and cv >= 0", distribution)
    omega = math.sqrt(math.log1p(distribution.cv**2))
    return distribution.median * np.exp(omega * rng.standard_normal(n))


def _wilson(successes: int, n: int) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    z2 = _Z_95 * _Z_95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = _Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)
