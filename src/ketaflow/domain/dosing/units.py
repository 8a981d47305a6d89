"""The one unit conversion the dosing engine needs: the ideal-weight formulas are defined in inches.

It lives here rather than in ``domain/units.py`` because the dosing engine is the only user so far.
"""

from __future__ import annotations

CM_PER_INCH = 2.54  # exact: the international inch (1959)


def convert_cm_to_inches(length_cm: float) -> float:
    """Centimetres to inches.

    >>> convert_cm_to_inches(152.4)
    60.0
    """
    return length_cm / CM_PER_INCH
