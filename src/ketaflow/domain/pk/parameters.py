"""What a published compartment model is: its parameters, covariates, source and how far it is confirmed.

The numbers themselves live in `models.py`, each with its citation. Two parameterisations occur in the
ketamine literature and both are kept as published, so a reader can check the transcription:
rate constants with a weight-proportional central volume (Domino, Clements, Hijazi) and allometrically
scaled volumes and clearances (Herd, Hornik, Kamp, Elkomy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from ketaflow.domain.pk.units import per_h_to_per_min

FloatArray = npt.NDArray[np.float64]

NOT_CONFIRMED_CAVEAT = "parameters not confirmed against the original paper"

# Names of the parameters between-subject variability can act on (log-normal factors).
VARIABILITY_PARAMETERS = ("v1", "v2", "v3", "cl", "q2", "q3")


class Confirmation(StrEnum):
    """How far a parameter set has been checked against its source (../shared/reference/pk.md)."""

    CONFIRMED = "confirmed"
    PARTLY_CONFIRMED = "partly_confirmed"
    NOT_CONFIRMED = "not_confirmed"


class Ke0Basis(StrEnum):
    """Where an effect-site rate constant comes from."""

    PUBLISHED = "published"
    DERIVED = "derived"


@dataclass(frozen=True, slots=True)
class Citation:
    """The paper a parameter set comes from, as far as it is known."""

    text: str
    pmid: str | None = None
    doi: str | None = None


@dataclass(frozen=True, slots=True)
class MicroConstants:
    """Central volume proportional to weight; rate constants that do not depend on covariates."""

    v1_l_per_kg: float
    k10_per_min: float
    k12_per_min: float = 0.0
    k21_per_min: float = 0.0
    k13_per_min: float = 0.0
    k31_per_min: float = 0.0


@dataclass(frozen=True, slots=True)
class AllometricClearances:
    """Volumes and clearances at a reference weight, scaled by (weight / reference) ** exponent."""

    reference_weight_kg: float
    v1_l: float
    cl_l_per_h: float
    v2_l: float = 0.0
    q2_l_per_h: float = 0.0
    v3_l: float = 0.0
    q3_l_per_h: float = 0.0
    volume_exponent: float = 1.0
    clearance_exponent: float = 0.75


@dataclass(frozen=True, slots=True)
class EffectSite:
    """The effect-compartment equilibration rate constant and whether it is published or derived."""

    ke0_per_min: float
    basis: Ke0Basis
    note: str


@dataclass(frozen=True, slots=True)
class Variability:
    """Between-subject variability: log-normal factors with these coefficients of variation (fractions)."""

    cv_by_parameter: Mapping[str, float]
    source: str
    is_assumption: bool


@dataclass(frozen=True, slots=True)
class RateConstants:
    """One row per patient: central volume (L) and the mamillary rate constants (1/min)."""

    compartments: int
    v1_l: FloatArray
    k10_per_min: FloatArray
    k12_per_min: FloatArray
    k21_per_min: FloatArray
    k13_per_min: FloatArray
    k31_per_min: FloatArray

    @property
    def clearance_l_per_min(self) -> FloatArray:
        return self.k10_per_min * self.v1_l

    def is_shared(self) -> bool:
        """True when every patient has the same rate constants, so all share one set of exponentials."""
        ks = (self.k10_per_min, self.k12_per_min, self.k21_per_min, self.k13_per_min, self.k31_per_min)
        return all(bool(k.min() == k.max()) for k in ks)


@dataclass(frozen=True, slots=True)
class PkModel:
    """A published ketamine compartment model with its source, population and confirmation status."""

    id: str
    name: str
    drug: str
    compartments: int
    parameters: MicroConstants | AllometricClearances
    effect_site: EffectSite | None
    citation: Citation
    population: str
    confirmation: Confirmation
    caveats: tuple[str, ...]
    variability: Variability | None = None

    @property
    def has_effect_site(self) -> bool:
        return self.effect_site is not None

    def rate_constants(self, weight_kg: FloatArray, factors: Mapping[str, FloatArray] | None = None) -> RateConstants:
        """The covariate model: per-patient central volume and rate constants for these weights.

        `factors` are between-subject variability multipliers (exp(eta)) by parameter name.
        """
        v1_l, k10, k12, k21, k13, k31 = _typical_rates(self.parameters, weight_kg)
        if factors is not None:
            one = np.ones_like(weight_kg)
            f = {name: factors.get(name, one) for name in VARIABILITY_PARAMETERS}
            v1_l = v1_l * f["v1"]
            k10 = k10 * f["cl"] / f["v1"]
            k12 = k12 * f["q2"] / f["v1"]
            k21 = k21 * f["q2"] / f["v2"]
            k13 = k13 * f["q3"] / f["v1"]
            k31 = k31 * f["q3"] / f["v3"]
        return RateConstants(self.compartments, v1_l, k10, k12, k21, k13, k31)


def _typical_rates(
    parameters: MicroConstants | AllometricClearances, weight_kg: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    ones = np.ones_like(weight_kg, dtype=np.float64)
    if isinstance(parameters, MicroConstants):
        return (
            parameters.v1_l_per_kg * weight_kg,
            parameters.k10_per_min * ones,
            parameters.k12_per_min * ones,
            parameters.k21_per_min * ones,
            parameters.k13_per_min * ones,
            parameters.k31_per_min * ones,
        )
    p = parameters
    relative = weight_kg / p.reference_weight_kg
    volume_scale = relative**p.volume_exponent
    # k = CL / V scales with (W/ref) ** (clearance exponent - volume exponent): exactly 1 when they are equal,
    # which lets patients of a linearly scaled model share one set of exponentials.
    rate_scale = relative ** (p.clearance_exponent - p.volume_exponent)
    cl, q2, q3 = (per_h_to_per_min(x) for x in (p.cl_l_per_h, p.q2_l_per_h, p.q3_l_per_h))
    return (
        p.v1_l * volume_scale,
        cl / p.v1_l * rate_scale,
        q2 / p.v1_l * rate_scale,
        _ratio(q2, p.v2_l) * rate_scale,
        q3 / p.v1_l * rate_scale,
        _ratio(q3, p.v3_l) * rate_scale,
    )


def _ratio(clearance_l_per_min: float, volume_l: float) -> float:
    # An absent peripheral compartment has zero clearance and zero volume.
    return clearance_l_per_min / volume_l if volume_l > 0.0 else 0.0
