"""The patients a prediction is for: one patient, or a cohort held as covariate columns."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk.parameters import VARIABILITY_PARAMETERS, FloatArray

BoolArray = npt.NDArray[np.bool_]


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


@dataclass(frozen=True, slots=True)
class PkPatient:
    """The covariates a PK model may use. Build with `PkPatient.create` to have them checked."""

    weight_kg: float
    age_years: float
    sex: Sex
    height_cm: float

    @classmethod
    def create(cls, *, weight_kg: float, age_years: float, sex: Sex | str, height_cm: float) -> PkPatient:
        """Check the covariates once and build the patient.

        >>> PkPatient.create(weight_kg=70, age_years=40, sex="male", height_cm=175).sex
        <Sex.MALE: 'male'>
        """
        _check_positive("patient.weight_kg", weight_kg)
        _check_positive("patient.height_cm", height_cm)
        if not (isinstance(age_years, int | float) and math.isfinite(age_years) and age_years >= 0):
            raise InputError("patient.age_years", "a finite number of years >= 0", age_years)
        if sex not in {s.value for s in Sex}:
            raise InputError("patient.sex", "'female' or 'male'", sex)
        return cls(float(weight_kg), float(age_years), Sex(sex), float(height_cm))


@dataclass(frozen=True, slots=True)
class Cohort:
    """Patients as columns (one row each); optional between-subject variability factors by parameter."""

    weight_kg: FloatArray
    age_years: FloatArray
    is_female: BoolArray
    height_cm: FloatArray
    parameter_factors: Mapping[str, FloatArray] | None = None

    def __len__(self) -> int:
        return int(self.weight_kg.shape[0])

    @classmethod
    def create(
        cls,
        *,
        weight_kg: npt.ArrayLike,
        age_years: npt.ArrayLike,
        is_female: npt.ArrayLike,
        height_cm: npt.ArrayLike,
        parameter_factors: Mapping[str, npt.ArrayLike] | None = None,
    ) -> Cohort:
        """Check the columns once (same length, finite, positive where it matters) and build the cohort."""
        weight = _column("cohort.weight_kg", weight_kg, positive=True)
        n = weight.shape[0]
        factors = None
        if parameter_factors is not None:
            unknown = set(parameter_factors) - set(VARIABILITY_PARAMETERS)
            if unknown:
                raise InputError("cohort.parameter_factors", f"keys among {VARIABILITY_PARAMETERS}", sorted(unknown))
            factors = {
                name: _column(f"cohort.parameter_factors.{name}", values, positive=True, length=n)
                for name, values in parameter_factors.items()
            }
        female = np.asarray(is_female, dtype=np.bool_)
        if female.shape != (n,):
            raise InputError("cohort.is_female", f"{n} booleans", female.shape)
        return cls(
            weight_kg=weight,
            age_years=_column("cohort.age_years", age_years, positive=False, length=n),
            is_female=female,
            height_cm=_column("cohort.height_cm", height_cm, positive=True, length=n),
            parameter_factors=factors,
        )

    @classmethod
    def from_patients(cls, patients: Sequence[PkPatient]) -> Cohort:
        """A cohort of these patients, in order, without variability.

        >>> len(Cohort.from_patients([PkPatient(70.0, 40.0, Sex.MALE, 175.0)]))
        1
        """
        return cls(
            weight_kg=np.array([p.weight_kg for p in patients], dtype=np.float64),
            age_years=np.array([p.age_years for p in patients], dtype=np.float64),
            is_female=np.array([p.sex is Sex.FEMALE for p in patients], dtype=np.bool_),
            height_cm=np.array([p.height_cm for p in patients], dtype=np.float64),
        )

    def rows(self, start: int, stop: int) -> Cohort:
        """The patients start..stop-1 (views, no copy)."""
        factors = None
        if self.parameter_factors is not None:
            factors = {name: values[start:stop] for name, values in self.parameter_factors.items()}
        return Cohort(
            self.weight_kg[start:stop],
            self.age_years[start:stop],
            self.is_female[start:stop],
            self.height_cm[start:stop],
            factors,
        )


def _check_positive(field: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise InputError(field, "a finite number > 0", value)


def _column(field: str, values: npt.ArrayLike, *, positive: bool, length: int | None = None) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or (length is not None and array.shape[0] != length):
        raise InputError(field, f"a 1-D column of {length if length is not None else 'n'} numbers", array.shape)
    bad = ~np.isfinite(array) | ((array <= 0) if positive else (array < 0))
    if bad.any():
        index = int(np.argmax(bad))
        expected = "finite numbers > 0" if positive else "finite numbers >= 0"
        raise InputError(f"{field}[{index}]", expected, float(array[index]))
    return array
