"""Predicted concentrations for one patient or a cohort, exact for any history of boluses and infusions.

Units: doses in mg (or mg/kg), rates in mg/h (or mg/kg/h), times in min; concentrations out in ng/mL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk.doses import Dose, DoseSchedule, create_schedule
from ketaflow.domain.pk.models import MODELS
from ketaflow.domain.pk.modes import ModalSystem, Site, create_modal_system
from ketaflow.domain.pk.parameters import FloatArray, PkModel, RateConstants
from ketaflow.domain.pk.population import Cohort, PkPatient
from ketaflow.domain.pk.summaries import auc_rows, peak_rows, time_above_rows
from ketaflow.domain.pk.trajectory import Trajectory, create_trajectory, evaluate_at, write_on_grid
from ketaflow.domain.pk.units import NG_PER_ML_PER_MG_PER_L

# A published model's id, or a PkModel of the caller's own (for example a clinic's locally fitted one).
ModelRef = str | PkModel

# Patients per block on the heterogeneous path (their modes and states are computed together).
COHORT_CHUNK = 1024


@dataclass(frozen=True, slots=True)
class Peak:
    """The highest concentration over all time and when it is first reached."""

    cmax_ng_per_ml: float
    tmax_min: float


@dataclass(frozen=True, slots=True)
class Simulation:
    """Predicted concentrations at the requested times, the plasma peak and the model's caveats."""

    model_id: str
    times_min: FloatArray
    plasma_ng_per_ml: FloatArray
    effect_ng_per_ml: FloatArray | None
    cmax_ng_per_ml: float
    tmax_min: float
    caveats: tuple[str, ...]


def get_model(model_id: ModelRef) -> PkModel:
    """The model with this id (a PkModel is passed through), or an InputError naming `model_id`.

    >>> get_model("domino").compartments
    3
    """
    if isinstance(model_id, PkModel):
        return model_id
    model = MODELS.get(model_id)
    if model is None:
        raise InputError("model_id", f"one of {', '.join(MODELS)}", model_id)
    return model


def simulate(model_id: ModelRef, patient: PkPatient, doses: Sequence[Dose], times_min: npt.ArrayLike) -> Simulation:
    """Plasma (and effect-site, where the model has a ke0) concentrations in ng/mL at each time.

    >>> from ketaflow.domain.pk.doses import Infusion
    >>> patient = PkPatient.create(weight_kg=70, age_years=40, sex="male", height_cm=175)
    >>> s1 = simulate("domino", patient, [Infusion(0, 40, 52.5)], [0, 40])
    >>> round(float(s1.plasma_ng_per_ml[1])), s1.tmax_min
    (240, 40.0)
    """
    model = get_model(model_id)
    times = check_times(times_min)
    schedule = create_schedule(doses)
    cohort = Cohort.from_patients([patient])
    plasma = site_trajectory(model, cohort, schedule, "plasma")
    effect = None
    if model.effect_site is not None:
        effect = evaluate_at(site_trajectory(model, cohort, schedule, "effect"), times)[0]
    cmax, tmax = peak_rows(plasma)
    return Simulation(
        model_id=model.id,
        times_min=times,
        plasma_ng_per_ml=evaluate_at(plasma, times)[0],
        effect_ng_per_ml=effect,
        cmax_ng_per_ml=float(cmax[0]),
        tmax_min=float(tmax[0]),
        caveats=model.caveats,
    )


def simulate_cohort(
    model_id: ModelRef,
    cohort: Cohort,
    doses: Sequence[Dose],
    times_min: npt.ArrayLike,
    out: FloatArray | None = None,
    *,
    site: Site = "plasma",
) -> FloatArray:
    """(n_patients, n_times) float64 concentrations in ng/mL, written into `out` when it is given.

    Patients whose rate constants coincide (a model without weight-dependent rates and no variability) share
    one set of exponentials: the grid is then a rank-1 (or rank-2) product, written at memory speed.
    """
    model = get_model(model_id)
    times = check_times(times_min)
    schedule = create_schedule(doses)
    check_site(model, site)
    out = _output(out, len(cohort), times.shape[0])
    if len(cohort) == 0:
        return out
    rates = model.rate_constants(cohort.weight_kg, cohort.parameter_factors)
    if rates.is_shared():
        _write_shared(model, rates, cohort.weight_kg, schedule, times, site, out)
        return out
    for first in range(0, len(cohort), COHORT_CHUNK):
        chunk = cohort.rows(first, first + COHORT_CHUNK)
        write_on_grid(site_trajectory(model, chunk, schedule, site), times, out[first : first + COHORT_CHUNK])
    return out


def evaluate_peak(model_id: ModelRef, patient: PkPatient, doses: Sequence[Dose], *, site: Site = "plasma") -> Peak:
    """Cmax and tmax over all time, in closed form (no time grid)."""
    model = get_model(model_id)
    check_site(model, site)
    cmax, tmax = peak_rows(site_trajectory(model, Cohort.from_patients([patient]), create_schedule(doses), site))
    return Peak(float(cmax[0]), float(tmax[0]))


def evaluate_auc(
    model_id: ModelRef, patient: PkPatient, doses: Sequence[Dose], *, until_min: float | None = None
) -> float:
    """Plasma AUC in ng·min/mL from 0 to `until_min`, or to infinity (exactly total dose / clearance)."""
    model = get_model(model_id)
    schedule = create_schedule(doses)
    cohort = Cohort.from_patients([patient])
    if until_min is None:
        rates = model.rate_constants(cohort.weight_kg)
        if schedule.is_empty:
            return 0.0
        return float(schedule.total_mg(cohort.weight_kg)[0] / rates.clearance_l_per_min[0] * NG_PER_ML_PER_MG_PER_L)
    if not (isinstance(until_min, int | float) and np.isfinite(until_min) and until_min >= 0):
        raise InputError("until_min", "a finite time in min >= 0", until_min)
    if schedule.is_empty:
        return 0.0
    return float(auc_rows(site_trajectory(model, cohort, schedule, "plasma"), float(until_min))[0])


def evaluate_time_above(
    model_id: ModelRef,
    patient: PkPatient,
    doses: Sequence[Dose],
    threshold_ng_per_ml: float,
    *,
    site: Site = "plasma",
) -> float:
    """Total minutes the concentration spends above the threshold, from the roots of the closed form."""
    model = get_model(model_id)
    check_site(model, site)
    check_threshold(threshold_ng_per_ml)
    trajectory = site_trajectory(model, Cohort.from_patients([patient]), create_schedule(doses), site)
    return float(time_above_rows(trajectory, threshold_ng_per_ml)[0])


def site_trajectory(model: PkModel, cohort: Cohort, schedule: DoseSchedule, site: Site) -> Trajectory:
    """The closed-form concentration history (ng/mL) of every patient in the cohort at one site."""
    rates = model.rate_constants(cohort.weight_kg, cohort.parameter_factors)
    bolus_mg, rate_mg_per_min = schedule.amounts(cohort.weight_kg)
    return create_trajectory(site_modes(model, rates, site), schedule.breakpoints_min, bolus_mg, rate_mg_per_min)


def site_modes(model: PkModel, rates: RateConstants, site: Site) -> ModalSystem:
    """Modes with coefficients in ng/mL per mg, so no pass over the output is spent converting units."""
    ke0 = model.effect_site.ke0_per_min if (site == "effect" and model.effect_site is not None) else None
    modes = create_modal_system(rates, ke0)
    return ModalSystem(modes.rates_per_min, modes.coefficients_per_l * NG_PER_ML_PER_MG_PER_L)


def check_times(times_min: npt.ArrayLike) -> FloatArray:
    """Times as a 1-D float array: finite, >= 0, strictly increasing; else an InputError naming the index."""
    times = np.asarray(times_min, dtype=np.float64)
    if times.ndim != 1 or times.shape[0] == 0:
        raise InputError("times_min", "a non-empty list of times in min", times.shape)
    bad = ~np.isfinite(times) | (times < 0)
    if bad.any():
        index = int(np.argmax(bad))
        raise InputError(f"times_min[{index}]", "a finite time in min >= 0", float(times[index]))
    not_increasing = np.diff(times) <= 0
    if not_increasing.any():
        index = int(np.argmax(not_increasing)) + 1
        raise InputError(
            f"times_min[{index}]",
            f"strictly increasing times (after {times[index - 1]})",
            float(times[index]),
        )
    return times


def check_site(model: PkModel, site: str) -> None:
    if site not in ("plasma", "effect"):
        raise InputError("site", "'plasma' or 'effect'", site)
    if site == "effect" and model.effect_site is None:
        raise InputError("site", f"'plasma': {model.id} has no ke0, so no effect site", site)


def check_threshold(threshold_ng_per_ml: float) -> None:
    if not (isinstance(threshold_ng_per_ml, int | float) and np.isfinite(threshold_ng_per_ml)):
        raise InputError("threshold_ng_per_ml", "a finite concentration in ng/mL > 0", threshold_ng_per_ml)
    if threshold_ng_per_ml <= 0:
        raise InputError("threshold_ng_per_ml", "a finite concentration in ng/mL > 0", threshold_ng_per_ml)


def _output(out: FloatArray | None, n_patients: int, n_times: int) -> FloatArray:
    if out is None:
        return np.empty((n_patients, n_times))
    if (
        not isinstance(out, np.ndarray)
        or out.shape != (n_patients, n_times)
        or out.dtype != np.float64
        or not out.flags.c_contiguous
        or not out.flags.writeable
    ):
        raise InputError("out", f"a writable C-contiguous float64 array of shape ({n_patients}, {n_times})", out)
    return out


def _write_shared(
    model: PkModel,
    rates: RateConstants,
    weight_kg: FloatArray,
    schedule: DoseSchedule,
    times: FloatArray,
    site: Site,
    out: FloatArray,
) -> None:
    """Every patient's curve is (1/V1) * fixed-dose shape + (weight/V1) * per-kg shape."""
    first = slice(0, 1)
    unit = RateConstants(
        rates.compartments,
        np.ones(1),
        rates.k10_per_min[first],
        rates.k12_per_min[first],
        rates.k21_per_min[first],
        rates.k13_per_min[first],
        rates.k31_per_min[first],
    )
    modes = site_modes(model, unit, site)
    shapes = []
    scales = []
    if schedule.has_fixed or not schedule.has_weight_based:
        rate = schedule.rate_mg_per_min[None, :]
        shapes.append(_shape(modes, schedule, schedule.bolus_mg[None, :], rate, times))
        scales.append(1.0 / rates.v1_l)
    if schedule.has_weight_based:
        rate = schedule.rate_mg_per_kg_per_min[None, :]
        shapes.append(_shape(modes, schedule, schedule.bolus_mg_per_kg[None, :], rate, times))
        scales.append(weight_kg / rates.v1_l)
    if len(shapes) == 1:
        np.multiply(scales[0][:, None], shapes[0][None, :], out=out)
    else:
        np.matmul(np.stack(scales, axis=1), np.stack(shapes), out=out)


def _shape(
    modes: ModalSystem, schedule: DoseSchedule, bolus: FloatArray, rate: FloatArray, times: FloatArray
) -> FloatArray:
    if schedule.is_empty:
        return np.zeros(times.shape[0])
    curves = evaluate_at(create_trajectory(modes, schedule.breakpoints_min, bolus, rate), times)
    return curves.reshape(-1)
