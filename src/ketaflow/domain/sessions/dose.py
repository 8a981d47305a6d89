"""What the pump delivered, computed from its rate history: piecewise-constant segments, summed exactly.

The session's event log records every start, rate change, pause, resume and stop with its time and the
programmed rate in mL/h; the delivered dose at any moment is the integral of that step function times the
bag's concentration. Nothing here is estimated or sampled, so the numbers agree with a nurse's hand sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ketaflow.domain.errors import InputError

_SECONDS_PER_HOUR = 3600.0
_SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True, slots=True)
class RateSegment:
    """The pump ran at ``rate_ml_per_h`` from ``start_utc`` until ``end_utc`` (None: still running)."""

    start_utc: datetime
    end_utc: datetime | None
    rate_ml_per_h: float

    def hours_until(self, at_utc: datetime) -> float:
        """Hours of this segment that lie before ``at_utc``."""
        end = at_utc if self.end_utc is None else min(self.end_utc, at_utc)
        seconds = (end - self.start_utc).total_seconds()
        return max(0.0, seconds) / _SECONDS_PER_HOUR


@dataclass(frozen=True, slots=True)
class PumpHistory:
    """The rate history of one infusion and the bag it ran from."""

    segments: tuple[RateSegment, ...]
    concentration_mg_per_ml: float

    @classmethod
    def create(cls, segments: Sequence[RateSegment], concentration_mg_per_ml: float) -> PumpHistory:
        if not concentration_mg_per_ml > 0:
            raise InputError("concentration_mg_per_ml", "a positive concentration", concentration_mg_per_ml)
        previous_end: datetime | None = None
        for index, segment in enumerate(segments):
            if segment.rate_ml_per_h < 0:
                raise InputError(f"segments[{index}].rate_ml_per_h", "a rate of 0 or more", segment.rate_ml_per_h)
            if segment.end_utc is not None and segment.end_utc < segment.start_utc:
                raise InputError(f"segments[{index}].end_utc", "a time at or after the segment's start")
            if previous_end is not None and segment.start_utc < previous_end:
                raise InputError(f"segments[{index}].start_utc", "a time at or after the previous segment's end")
            if segment.end_utc is None and index != len(segments) - 1:
                raise InputError(f"segments[{index}].end_utc", "an end time (only the last segment may be running)")
            previous_end = segment.end_utc
        return cls(segments=tuple(segments), concentration_mg_per_ml=concentration_mg_per_ml)

    def delivered_ml(self, at_utc: datetime) -> float:
        return sum(segment.rate_ml_per_h * segment.hours_until(at_utc) for segment in self.segments)

    def delivered_mg(self, at_utc: datetime) -> float:
        return self.delivered_ml(at_utc) * self.concentration_mg_per_ml

    def running_minutes(self, at_utc: datetime) -> float:
        """Minutes the pump actually ran (pauses excluded) before ``at_utc``."""
        return sum(segment.hours_until(at_utc) for segment in self.segments) * 60.0

    def current_rate_ml_per_h(self) -> float:
        """The rate now: the last segment's if it is still running, otherwise 0 (paused or stopped)."""
        if self.segments and self.segments[-1].end_utc is None:
            return self.segments[-1].rate_ml_per_h
        return 0.0

    def as_infusions(self, origin_utc: datetime, at_utc: datetime) -> tuple[tuple[float, float, float], ...]:
        """``(start_min, duration_min, mg_per_h)`` per segment since ``origin_utc``, cut at ``at_utc``.

        The shape the PK engine's ``Infusion`` takes, so the concentration curve of what was actually
        infused can be drawn beside the order's prediction.
        """
        rows: list[tuple[float, float, float]] = []
        for segment in self.segments:
            hours = segment.hours_until(at_utc)
            if hours <= 0 or segment.rate_ml_per_h == 0:
                continue
            start_min = (segment.start_utc - origin_utc).total_seconds() / _SECONDS_PER_MINUTE
            rows.append((start_min, hours * 60.0, segment.rate_ml_per_h * self.concentration_mg_per_ml))
        return tuple(rows)


def mg_per_h_of(rate_ml_per_h: float, concentration_mg_per_ml: float) -> float:
    """The mg/h a pump rate means for this bag (clinical.md §1.1: rate_mL/h = rate_mg/h / concentration)."""
    return rate_ml_per_h * concentration_mg_per_ml
