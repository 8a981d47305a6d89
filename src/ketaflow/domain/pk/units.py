"""The unit conversions of the PK engine, which works in mg, L and min throughout.

Kept beside the engine (not in domain/units.py) because these are the engine's internal units:
everything that enters is converted here once, and concentrations leave in ng/mL.
"""

from __future__ import annotations

NG_PER_ML_PER_MG_PER_L = 1000.0  # 1 mg/L = 1 µg/mL = 1000 ng/mL
MIN_PER_H = 60.0
S_PER_MIN = 60.0


def per_h_to_per_min(value_per_h: float) -> float:
    """A rate per hour as a rate per minute.

    >>> per_h_to_per_min(90.0)
    1.5
    """
    return value_per_h / MIN_PER_H
