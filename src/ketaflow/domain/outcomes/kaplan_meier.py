"""Kaplan-Meier estimate of time to relapse, with censoring and a Greenwood confidence interval.

At each distinct time t_i with n_i patients at risk (followed at least to t_i) and d_i relapses,
S(t_i) = prod_{j<=i} (1 - d_j / n_j). Patients censored at t_i are still at risk at t_i (relapses before
censoring at tied times, the usual convention). Greenwood's variance is
Var[S(t)] = S(t)^2 * sum_{j<=i} d_j / (n_j (n_j - d_j)); the interval uses the log-log transform
("exponential Greenwood", Kalbfleisch & Prentice), which keeps it inside [0, 1]:
S(t) ** exp(+-z * sqrt(sum d/(n(n-d))) / |log S(t)|). The median is the first time S(t) <= 0.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

from ketaflow.domain.basis import JsonValue
from ketaflow.domain.errors import InputError


@dataclass(frozen=True, slots=True)
class KaplanMeierCurve:
    """The step function at every distinct observed time (relapse or censoring); S = 1 before the first."""

    times_days: tuple[float, ...]
    survival: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    censored: tuple[int, ...]
    median_days: float | None
    confidence_level: float

    @property
    def patients(self) -> int:
        return self.at_risk[0] if self.at_risk else 0

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "times_days": list(self.times_days),
            "survival": list(self.survival),
            "lower": list(self.lower),
            "upper": list(self.upper),
            "at_risk": list(self.at_risk),
            "events": list(self.events),
            "censored": list(self.censored),
            "median_days": self.median_days,
            "confidence_level": self.confidence_level,
            "patients": self.patients,
            "method": "Kaplan-Meier; Greenwood variance, log-log interval; median = first time S <= 0.5",
        }


def estimate_kaplan_meier(
    durations_days: Sequence[float], relapsed: Sequence[bool], *, confidence_level: float = 0.95
) -> KaplanMeierCurve:
    """Time-to-relapse curve: ``relapsed[i]`` False means patient i was censored at ``durations_days[i]``.

    >>> curve = estimate_kaplan_meier([2, 3, 3, 5], [True, True, False, False])
    >>> curve.times_days, curve.survival, curve.at_risk
    ((2.0, 3.0, 5.0), (0.75, 0.5, 0.5), (4, 3, 1))
    >>> curve.median_days
    3.0
    """
    if len(durations_days) != len(relapsed):
        raise InputError("relapsed", f"one flag per duration ({len(durations_days)})", len(relapsed))
    if not 0 < confidence_level < 1:
        raise InputError("confidence_level", "a number between 0 and 1", confidence_level)
    observations: list[tuple[float, bool]] = []
    for index, (duration, event) in enumerate(zip(durations_days, relapsed, strict=True)):
        if isinstance(duration, bool) or not isinstance(duration, int | float):
            raise InputError(f"durations_days[{index}]", "a number of days", duration)
        if not math.isfinite(duration) or duration < 0:
            raise InputError(f"durations_days[{index}]", "a finite number of days, 0 or more", duration)
        observations.append((float(duration), bool(event)))
    z = NormalDist().inv_cdf(0.5 + confidence_level / 2)
    times = sorted({duration for duration, _ in observations})
    at_risk = len(observations)
    # Exact fractions: S(t) = 0.5 exactly must read as the median, not miss it by a rounding error.
    survival, greenwood_sum = Fraction(1), Fraction(0)
    rows: list[tuple[float, float, float, float, int, int, int]] = []
    median: float | None = None
    for time in times:
        events = sum(1 for duration, event in observations if duration == time and event)
        censored = sum(1 for duration, event in observations if duration == time and not event)
        if events:
            survival *= 1 - Fraction(events, at_risk)
            # Where everyone at risk relapses S becomes 0 and the term is undefined; the interval is then [0, 0].
            greenwood_sum += Fraction(events, at_risk * (at_risk - events)) if at_risk > events else 0
        if median is None and survival <= Fraction(1, 2):
            median = time
        lower, upper = _log_log_interval(float(survival), float(greenwood_sum), z)
        rows.append((time, float(survival), lower, upper, at_risk, events, censored))
        at_risk -= events + censored
    return KaplanMeierCurve(
        times_days=tuple(row[0] for row in rows),
        survival=tuple(row[1] for row in rows),
        lower=tuple(row[2] for row in rows),
        upper=tuple(row[3] for row in rows),
        at_risk=tuple(row[4] for row in rows),
        events=tuple(row[5] for row in rows),
        censored=tuple(row[6] for row in rows),
        median_days=median,
        confidence_level=confidence_level,
    )


def _log_log_interval(survival: float, greenwood_sum: float, z: float) -> tuple[float, float]:
    """The log-log interval; degenerate where S is 1 (no relapse yet) or 0 (everyone relapsed)."""
    if survival >= 1.0 or survival <= 0.0:
        return survival, survival
    spread = z * math.sqrt(greenwood_sum) / abs(math.log(survival))
    return survival ** math.exp(spread), survival ** math.exp(-spread)
