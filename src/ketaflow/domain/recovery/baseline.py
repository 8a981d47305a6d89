"""How far a vital sign is from its pre-infusion value, and whether that is within a limit.

PADSS and the near-baseline discharge criterion measure in percent of the pre-infusion value; some
published Aldrete tables measure blood pressure in mmHg. The unit is rule data, never implied.

The comparison is exact and inclusive, with no rounding: "within 20 %" means
``|latest - baseline| * 100 <= 20 * baseline`` (multiplied out, so 144 against 120 is exactly at the
limit and counts as within; 145 does not). Messages show the percentage rounded to two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.errors import InputError
from ketaflow.domain.vitals import Vitals, VitalSign


class DeviationUnit(StrEnum):
    """What a deviation limit is measured in."""

    PERCENT = "percent"  # of the pre-infusion value
    MMHG = "mmhg"  # absolute difference; blood pressure only


@dataclass(frozen=True, slots=True)
class Deviation:
    """One sign's latest value against its pre-infusion value."""

    sign: VitalSign
    baseline: float
    latest: float

    @property
    def difference(self) -> float:
        return self.latest - self.baseline

    @property
    def percent(self) -> float:
        """The absolute difference in percent of the baseline (for messages; comparisons use ``is_within``)."""
        return abs(self.difference) / self.baseline * 100

    @property
    def direction(self) -> str:
        return "above" if self.difference > 0 else "below" if self.difference < 0 else "at"

    def is_within(self, limit: float, unit: DeviationUnit) -> bool:
        """Whether the deviation is at most ``limit`` (inclusive, exact).

        >>> d = Deviation(VitalSign.SYSTOLIC, baseline=120, latest=144)
        >>> d.is_within(20, DeviationUnit.PERCENT), d.is_within(23, DeviationUnit.MMHG)
        (True, False)
        >>> Deviation(VitalSign.SYSTOLIC, baseline=120, latest=95).is_within(20, DeviationUnit.PERCENT)
        False
        """
        if unit is DeviationUnit.PERCENT:
            return abs(self.difference) * 100 <= limit * self.baseline
        return abs(self.difference) <= limit


def measure_deviation(sign: VitalSign, *, baseline: Vitals, latest: Vitals) -> Deviation | None:
    """The sign's deviation, or None when either reading lacks it; a non-positive baseline is refused."""
    baseline_value, latest_value = baseline.get(sign), latest.get(sign)
    if baseline_value is None or latest_value is None:
        return None
    if baseline_value <= 0:
        raise InputError(f"baseline.{sign.value}", "a positive pre-infusion value", baseline_value)
    return Deviation(sign=sign, baseline=baseline_value, latest=latest_value)
