"""Independent references for the PK engine's tests: a matrix exponential of the full compartment system.

The engine uses partial fractions of closed-form eigenvalues; this reference instead propagates the amounts
in every compartment (and the amount eliminated, and Ce) with a scaling-and-squaring Taylor matrix
exponential of the augmented system, so the two share no code and no method.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ketaflow.domain.pk import Bolus, Infusion, PkModel

FloatArray = npt.NDArray[np.float64]


def expm(matrix: FloatArray) -> FloatArray:
    """exp(matrix) by scaling and squaring with an order-24 Taylor series (plenty for these small systems)."""
    norm = float(np.abs(matrix).sum(axis=1).max())
    squarings = max(0, math.ceil(math.log2(norm)) + 4) if norm > 0 else 0
    scaled = matrix / 2.0**squarings
    term = np.eye(matrix.shape[0])
    total = term.copy()
    for k in range(1, 25):
        term = term @ scaled / k
        total = total + term
    for _ in range(squarings):
        total = total @ total
    return total


def system(model: PkModel, weight_kg: float) -> tuple[FloatArray, float]:
    """The augmented matrix over [A1, A2, A3, eliminated, Ce, input] (amounts in mg, Ce in mg/L) and V1."""
    r = model.rate_constants(np.array([weight_kg]))
    v1 = float(r.v1_l[0])
    k10, k12, k21, k13, k31 = (
        float(k[0]) for k in (r.k10_per_min, r.k12_per_min, r.k21_per_min, r.k13_per_min, r.k31_per_min)
    )
    ke0 = model.effect_site.ke0_per_min if model.effect_site else 1.0
    m = np.zeros((6, 6))
    m[0, 0], m[0, 1], m[0, 2], m[0, 5] = -(k10 + k12 + k13), k21, k31, 1.0
    m[1, 0], m[1, 1] = k12, -k21
    m[2, 0], m[2, 2] = k13, -k31
    m[3, 0] = k10
    m[4, 0], m[4, 4] = ke0 / v1, -ke0
    return m, v1


def reference_states(
    model: PkModel, weight_kg: float, doses: Sequence[Bolus | Infusion], times_min: Sequence[float]
) -> FloatArray:
    """(T, 6) states at each time: amounts A1..A3 and eliminated (mg), Ce (mg/L), current rate (mg/min)."""
    m, _ = system(model, weight_kg)
    events = sorted(
        {0.0, *times_min}
        | {d.at_min for d in doses if isinstance(d, Bolus)}
        | {t for d in doses if isinstance(d, Infusion) for t in (d.start_min, d.start_min + d.duration_min)}
    )
    state = np.zeros(6)
    now = 0.0
    out = {}
    for t in events:
        state = expm(m * (t - now)) @ state
        now = t
        state[0] += sum(d.mg for d in doses if isinstance(d, Bolus) and d.at_min == t)
        state[5] = sum(
            d.mg_per_h / 60.0
            for d in doses
            if isinstance(d, Infusion) and d.start_min <= t < d.start_min + d.duration_min
        )
        out[t] = state.copy()
    return np.array([out[t] for t in times_min])


def given_mg(doses: Sequence[Bolus | Infusion], until_min: float) -> float:
    """Drug given from 0 to until_min (a bolus at until_min counts)."""
    total = sum(d.mg for d in doses if isinstance(d, Bolus) and d.at_min <= until_min)
    for d in doses:
        if isinstance(d, Infusion):
            running = min(until_min, d.start_min + d.duration_min) - d.start_min
            total += max(running, 0.0) * d.mg_per_h / 60.0
    return total
