"""Target-controlled infusion: pump rates, one per update period, that reach and hold a concentration.

Plasma: each period's rate is the one that brings Cp exactly to the target at the period's end (clamped to
[0, max rate]), computed from the exact modal state, so Cp sits on the target at every update and only
ripples between updates (tests bound the ripple). opentiva's scheme instead sets 300 s x 2^k segments whose
end hits the target, and Cp dips far below it in between (127.5 against 150 ng/mL for Domino).

Effect site: each period's rate is the largest (up to the max rate) for which the effect-site peak that
follows, were the pump then stopped, does not exceed the target (Shafer & Gregg's criterion). The peak of
that rate is convex in the rate, so Newton's method from the max rate approaches it from above and Ce never
overshoots beyond the solver's tolerance; plasma is allowed to overshoot.
"""

from __future__ import annotations

import math

import numpy as np

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk.doses import Infusion
from ketaflow.domain.pk.modes import ModalSystem, Site
from ketaflow.domain.pk.parameters import FloatArray
from ketaflow.domain.pk.population import Cohort, PkPatient
from ketaflow.domain.pk.simulation import ModelRef, check_site, get_model, site_modes
from ketaflow.domain.pk.summaries import peak_rows
from ketaflow.domain.pk.trajectory import create_trajectory
from ketaflow.domain.pk.units import MIN_PER_H, S_PER_MIN

_MAX_NEWTON_STEPS = 60
_TINY = float(np.finfo(np.float64).tiny)
_RATE_TOLERANCE = 1e-9  # relative to the max rate: far below any pump resolution


def plan_tci(
    model_id: ModelRef,
    patient: PkPatient,
    target_ng_per_ml: float,
    *,
    site: Site = "plasma",
    duration_min: float,
    update_s: float = 10.0,
    max_rate_mg_per_h: float,
) -> list[Infusion]:
    """Infusion segments over 0..duration_min (equal rates merged) that reach and hold the target.

    >>> patient = PkPatient.create(weight_kg=70, age_years=40, sex="male", height_cm=175)
    >>> plan = plan_tci("domino", patient, 150.0, duration_min=10, max_rate_mg_per_h=1200)
    >>> plan[0].start_min, round(sum(s.duration_min for s in plan), 9), max(s.mg_per_h for s in plan) <= 1200
    (0.0, 10.0, True)
    """
    model = get_model(model_id)
    check_site(model, site)
    _check_positive("target_ng_per_ml", target_ng_per_ml)
    _check_positive("duration_min", duration_min)
    _check_positive("update_s", update_s)
    _check_positive("max_rate_mg_per_h", max_rate_mg_per_h)
    rates = model.rate_constants(Cohort.from_patients([patient]).weight_kg)
    modes = site_modes(model, rates, site)
    period_min = update_s / S_PER_MIN
    n_periods = math.ceil(duration_min / period_min - 1e-9)
    max_rate = max_rate_mg_per_h / MIN_PER_H
    lam, coef = modes.rates_per_min[0], modes.coefficients_per_l[0]
    state = np.zeros_like(lam)
    last_positive = max_rate
    segments: list[Infusion] = []
    for k in range(n_periods):
        start = k * period_min
        length = min(period_min, duration_min - start)
        decay = np.exp(-lam * length)
        gain = -coef / lam * np.expm1(-lam * length)  # ng/mL of each mode per mg/min over the period
        if site == "plasma":
            rate = (target_ng_per_ml - float(state @ decay)) / float(gain.sum())
            rate = min(max(rate, 0.0), max_rate)
        else:
            rate = _effect_rate(modes, state, length, target_ng_per_ml, max_rate, guess=last_positive)
        state = state * decay + rate * gain
        last_positive = rate if rate > 0 else last_positive
        _append(segments, start, length, rate * MIN_PER_H)
    return segments


def _effect_rate(
    modes: ModalSystem, state: FloatArray, length: float, target: float, max_rate: float, guess: float
) -> float:
    """The largest rate in [0, max_rate] whose following effect-site peak is at most the target.

    The peak P(rate) is convex and non-decreasing in the rate, so after at most one step Newton's iterates
    approach the answer from above; the previous period's rate is the starting guess.
    """

    def peak(rate: float) -> tuple[float, float]:
        trajectory = create_trajectory(
            modes,
            np.array([0.0, length]),
            np.zeros((1, 2)),
            np.array([[rate, 0.0]]),
            initial_state=state[None],
        )
        cmax, tmax = peak_rows(trajectory)
        return float(cmax[0]), float(tmax[0])

    lam, coef = modes.rates_per_min[0], modes.coefficients_per_l[0]
    if peak(0.0)[0] >= target:
        # Ce will reach the target from what was already given (its peak lies beyond the period): pause.
        return 0.0
    rate = min(guess, max_rate)
    highest, peak_time = peak(rate)
    if peak_time == 0.0 and rate < max_rate:
        # Ce is falling now at this rate, so its peak is the present value (below target): only a higher
        # rate can move the peak later. Start from the max rate instead.
        rate = max_rate
        highest, peak_time = peak(rate)
    if peak_time == 0.0:
        return max_rate  # even at the max rate the peak is now, below target
    steps = 0
    while True:
        # Ce at the peak time per mg/min given during this period only: the peak's slope in the rate (> 0
        # here, since the peak lies ahead; the floor only guards against rounding).
        during, after = min(peak_time, length), max(peak_time - length, 0.0)
        slope = float((-coef / lam * np.expm1(-lam * during) * np.exp(-lam * after)).sum())
        following = min(max(rate - (highest - target) / max(slope, _TINY), 0.0), max_rate)
        if abs(following - rate) <= _RATE_TOLERANCE * max_rate or steps == _MAX_NEWTON_STEPS:
            return following
        rate = following
        highest, peak_time = peak(rate)
        steps += 1


def _append(segments: list[Infusion], start_min: float, length_min: float, mg_per_h: float) -> None:
    if segments and segments[-1].mg_per_h == mg_per_h:
        last = segments[-1]
        segments[-1] = Infusion(last.start_min, start_min + length_min - last.start_min, mg_per_h)
    else:
        segments.append(Infusion(start_min, length_min, mg_per_h))


def _check_positive(field: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(field, "a finite number > 0", value)
