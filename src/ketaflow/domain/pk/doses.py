"""Dosing histories: boluses and constant-rate infusions, fixed or per kg, as one breakpoint schedule.

A pause, a resumption or a rate change in a session's event log is just another infusion segment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk.parameters import FloatArray
from ketaflow.domain.pk.units import MIN_PER_H


@dataclass(frozen=True, slots=True)
class Bolus:
    at_min: float
    mg: float


@dataclass(frozen=True, slots=True)
class Infusion:
    start_min: float
    duration_min: float
    mg_per_h: float

    @property
    def end_min(self) -> float:
        return self.start_min + self.duration_min

    @property
    def total_mg(self) -> float:
        return self.mg_per_h * self.duration_min / MIN_PER_H


@dataclass(frozen=True, slots=True)
class WeightBasedBolus:
    at_min: float
    mg_per_kg: float


@dataclass(frozen=True, slots=True)
class WeightBasedInfusion:
    start_min: float
    duration_min: float
    mg_per_kg_per_h: float


Dose = Bolus | Infusion | WeightBasedBolus | WeightBasedInfusion


@dataclass(frozen=True, slots=True)
class DoseSchedule:
    """Doses on breakpoints: between breakpoint j and j+1 the infusion rate is constant, after the last 0.

    Each amount has a fixed part and a per-kg part; a patient's amount is fixed + per_kg * weight.
    """

    breakpoints_min: FloatArray
    bolus_mg: FloatArray
    bolus_mg_per_kg: FloatArray
    rate_mg_per_min: FloatArray
    rate_mg_per_kg_per_min: FloatArray

    @property
    def is_empty(self) -> bool:
        return bool(self.breakpoints_min.shape[0] == 0)

    @property
    def has_fixed(self) -> bool:
        return bool(self.bolus_mg.any() or self.rate_mg_per_min.any())

    @property
    def has_weight_based(self) -> bool:
        return bool(self.bolus_mg_per_kg.any() or self.rate_mg_per_kg_per_min.any())

    def amounts(self, weight_kg: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Per patient (rows) and breakpoint (columns): bolus in mg and infusion rate in mg/min."""
        w = weight_kg[:, None]
        return (
            self.bolus_mg + w * self.bolus_mg_per_kg,
            self.rate_mg_per_min + w * self.rate_mg_per_kg_per_min,
        )

    def total_mg(self, weight_kg: FloatArray) -> FloatArray:
        """Total drug given per patient, in mg."""
        bolus, rate = self.amounts(weight_kg)
        durations = np.diff(self.breakpoints_min, append=self.breakpoints_min[-1:])
        return np.asarray(bolus.sum(axis=1) + rate @ durations, dtype=np.float64)


def create_schedule(doses: Sequence[Dose]) -> DoseSchedule:
    """Check every dose (naming the field, e.g. `doses[1].duration_min`) and build the breakpoint schedule.

    >>> s = create_schedule([Infusion(start_min=0, duration_min=40, mg_per_h=52.5)])
    >>> s.breakpoints_min.tolist(), s.rate_mg_per_min.tolist()
    ([0.0, 40.0], [0.875, 0.0])
    """
    times: set[float] = set()
    for i, dose in enumerate(doses):
        if isinstance(dose, Bolus | WeightBasedBolus):
            times.add(_time(f"doses[{i}].at_min", dose.at_min))
            _amount(f"doses[{i}]", dose)
        elif isinstance(dose, Infusion | WeightBasedInfusion):
            start = _time(f"doses[{i}].start_min", dose.start_min)
            duration = _number(f"doses[{i}].duration_min", dose.duration_min, "a duration in min > 0")
            if duration <= 0:
                raise InputError(f"doses[{i}].duration_min", "a duration in min > 0", dose.duration_min)
            _amount(f"doses[{i}]", dose)
            times.update((start, start + duration))
        else:
            raise InputError(f"doses[{i}]", "a Bolus, Infusion, WeightBasedBolus or WeightBasedInfusion", dose)
    breakpoints = np.array(sorted(times), dtype=np.float64)
    schedule = DoseSchedule(breakpoints, *(np.zeros_like(breakpoints) for _ in range(4)))
    for dose in doses:
        _add(schedule, dose)
    return schedule


def _add(schedule: DoseSchedule, dose: Dose) -> None:
    b = schedule.breakpoints_min
    if isinstance(dose, Bolus):
        schedule.bolus_mg[np.searchsorted(b, dose.at_min)] += dose.mg
    elif isinstance(dose, WeightBasedBolus):
        schedule.bolus_mg_per_kg[np.searchsorted(b, dose.at_min)] += dose.mg_per_kg
    else:
        start = float(dose.start_min)
        first, last = np.searchsorted(b, [start, start + dose.duration_min])
        if isinstance(dose, Infusion):
            schedule.rate_mg_per_min[first:last] += dose.mg_per_h / MIN_PER_H
        else:
            schedule.rate_mg_per_kg_per_min[first:last] += dose.mg_per_kg_per_h / MIN_PER_H


def _number(field: str, value: object, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(field, expected, value)
    return float(value)


def _time(field: str, value: object) -> float:
    time_min = _number(field, value, "a time in min >= 0")
    if time_min < 0:
        raise InputError(field, "a time in min >= 0", value)
    return time_min


def _amount(prefix: str, dose: Dose) -> None:
    name = {Bolus: "mg", Infusion: "mg_per_h", WeightBasedBolus: "mg_per_kg"}.get(type(dose), "mg_per_kg_per_h")
    value = getattr(dose, name)
    if _number(f"{prefix}.{name}", value, "a dose >= 0") < 0:
        raise InputError(f"{prefix}.{name}", "a dose >= 0", value)
