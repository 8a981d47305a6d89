"""The exact solution of the linear mamillary model as a sum of exponential modes.

A bolus of D mg gives a plasma concentration D * sum_i A_i exp(-lambda_i t), where lambda_i are the
eigenvalues of the compartment system (the roots of its characteristic polynomial, in closed form for 1, 2
and 3 compartments) and A_i the partial-fraction coefficients:
A_i = (1 / V1) * prod_j (k_j1 - lambda_i) / prod_{m != i} (lambda_m - lambda_i).
The effect compartment (dCe/dt = ke0 (Cp - Ce)) adds one mode at ke0:
E_i = A_i ke0 / (ke0 - lambda_i) and E_ke0 = -sum_i E_i.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ketaflow.domain.pk.parameters import FloatArray, RateConstants

Site = Literal["plasma", "effect"]

# A ke0 closer than this (relative) to an eigenvalue is moved by it: the partial fractions are singular at
# equality, and a 1e-7 relative change in ke0 changes Ce by far less than any parameter is known.
_KE0_SEPARATION = 1e-7


@dataclass(frozen=True, slots=True)
class ModalSystem:
    """Per patient (rows) and mode (columns): decay rates (1/min) and mg/L per mg given, for one site."""

    rates_per_min: FloatArray
    coefficients_per_l: FloatArray


def create_modal_system(rates: RateConstants, ke0_per_min: float | None = None) -> ModalSystem:
    """The plasma modes, or the effect-site modes when a ke0 is given."""
    eigenvalues = _eigenvalues(rates)
    plasma = _plasma_coefficients(rates, eigenvalues)
    if ke0_per_min is None:
        return ModalSystem(eigenvalues, plasma)
    ke0 = np.full(eigenvalues.shape[0], ke0_per_min)
    gap = np.abs(ke0[:, None] - eigenvalues).min(axis=1)
    ke0 = np.where(gap < _KE0_SEPARATION * ke0, ke0 * (1.0 + 10.0 * _KE0_SEPARATION), ke0)
    effect = plasma * (ke0[:, None] / (ke0[:, None] - eigenvalues))
    return ModalSystem(
        np.concatenate([eigenvalues, ke0[:, None]], axis=1),
        np.concatenate([effect, -effect.sum(axis=1, keepdims=True)], axis=1),
    )


def _eigenvalues(r: RateConstants) -> FloatArray:
    """Positive decay rates, ascending, one row per patient."""
    if r.compartments == 1:
        return r.k10_per_min[:, None].copy()
    if r.compartments == 2:
        k10, k12, k21 = r.k10_per_min, r.k12_per_min, r.k21_per_min
        # (k10 + k12 + k21)^2 - 4 k10 k21 written without cancellation.
        root = np.sqrt((k10 + k12 - k21) ** 2 + 4.0 * k12 * k21)
        fast = 0.5 * (k10 + k12 + k21 + root)
        return np.stack([k10 * k21 / fast, fast], axis=1)
    return _cubic_eigenvalues(r)


def _cubic_eigenvalues(r: RateConstants) -> FloatArray:
    k10, k12, k21, k13, k31 = r.k10_per_min, r.k12_per_min, r.k21_per_min, r.k13_per_min, r.k31_per_min
    # s^3 - a2 s^2 + a1 s - a0 = 0; a mamillary system has three real positive roots.
    a2 = k10 + k12 + k13 + k21 + k31
    a1 = k10 * k21 + k10 * k31 + k21 * k31 + k21 * k13 + k31 * k12
    a0 = k10 * k21 * k31
    p = a1 - a2 * a2 / 3.0
    q = -2.0 * a2**3 / 27.0 + a1 * a2 / 3.0 - a0
    radius = np.sqrt(np.maximum(-p / 3.0, 0.0))
    cos_arg = np.clip(1.5 * q / (p * radius), -1.0, 1.0)
    theta = np.arccos(cos_arg) / 3.0
    k = np.arange(3) * (2.0 * np.pi / 3.0)
    roots = a2[:, None] / 3.0 + 2.0 * radius[:, None] * np.cos(theta[:, None] - k)
    roots.sort(axis=1)
    # Two Newton steps polish the trigonometric roots to full relative precision, the slow one included.
    for _ in range(2):
        value = ((roots - a2[:, None]) * roots + a1[:, None]) * roots - a0[:, None]
        slope = (3.0 * roots - 2.0 * a2[:, None]) * roots + a1[:, None]
        roots = roots - value / slope
    return roots


def _plasma_coefficients(r: RateConstants, eigenvalues: FloatArray) -> FloatArray:
    n = r.compartments
    numerator = np.ones_like(eigenvalues)
    for k_back in (r.k21_per_min, r.k31_per_min)[: n - 1]:
        numerator = numerator * (k_back[:, None] - eigenvalues)
    denominator = np.ones_like(eigenvalues)
    for i in range(n):
        for m in range(n):
            if m != i:
                denominator[:, i] *= eigenvalues[:, m] - eigenvalues[:, i]
    return numerator / denominator / r.v1_l[:, None]
