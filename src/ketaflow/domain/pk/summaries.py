"""Exposure summaries in closed form, without a time grid: peak, area under the curve, time above a level.

Per interval the concentration is const + sum_i g_i exp(-lambda_i tau). Its maximum is at an interval end or
at a root of its derivative (a sum of exponentials), and the time above a level is measured between the roots
of C - level; both root sets come from `exponential_sums`. The values at the interval ends are the modal
levels the trajectory already holds, so they cost no exponential; for a constant-rate infusion from zero the
plasma derivative never changes sign, so no root is sought at all and the peak is the end-of-infusion value.
"""

from __future__ import annotations

import numpy as np

from ketaflow.domain.pk.exponential_sums import evaluate_sum, find_roots
from ketaflow.domain.pk.parameters import FloatArray
from ketaflow.domain.pk.trajectory import Trajectory, sum_modes


def peak_rows(trajectory: Trajectory) -> tuple[FloatArray, FloatArray]:
    """Per row: the highest concentration over all time and the earliest time it is reached."""
    rates = trajectory.modes.rates_per_min
    n_rows, n_breaks = trajectory.input_mg_per_min.shape
    breakpoints = trajectory.breakpoints_min
    # Interval ends in time order: before breakpoint 0 nothing was given; then, per breakpoint, the level on
    # arrival (the end of the previous interval) and just after its bolus.
    values = np.zeros((n_rows, 1 + 2 * n_breaks))
    values[:, 1::2] = sum_modes(trajectory.arriving)
    values[:, 2::2] = sum_modes(trajectory.state)
    times = np.concatenate([[0.0], np.repeat(breakpoints, 2)])
    first = np.argmax(values, axis=1)
    best = values[np.arange(n_rows), first]
    best_time = times[first]
    zeros = np.zeros(n_rows)
    constant, amplitudes = trajectory.levels()
    for j, (start, length) in enumerate(zip(breakpoints, trajectory.lengths_min, strict=True)):
        roots = find_roots(-rates * amplitudes[:, j], rates, zeros, np.full(n_rows, length))
        for column in roots.T:
            rows = np.flatnonzero(~np.isnan(column))
            if rows.size:
                value = constant[rows, j] + evaluate_sum(amplitudes[rows, j], rates[rows], column[rows])
                higher = value > best[rows]
                best[rows[higher]] = value[higher]
                best_time[rows[higher]] = start + column[rows[higher]]
    return best, best_time


def auc_rows(trajectory: Trajectory, until_min: float) -> FloatArray:
    """Per row: the integral of the concentration from 0 to `until_min` (finite)."""
    rates = trajectory.modes.rates_per_min
    constant, amplitudes = trajectory.levels()
    total = np.zeros(rates.shape[0])
    ends = np.append(trajectory.breakpoints_min[1:], np.inf)
    for j, (start, end) in enumerate(zip(trajectory.breakpoints_min, ends, strict=True)):
        tau = min(end, until_min) - start
        if tau > 0:
            total += constant[:, j] * tau - (amplitudes[:, j] * np.expm1(-rates * tau) / rates).sum(axis=1)
    return total


def time_above_rows(trajectory: Trajectory, level: float) -> FloatArray:
    """Per row: total time (over all time) during which the concentration is above `level` (> 0)."""
    rates = trajectory.modes.rates_per_min
    constant, amplitudes = trajectory.levels()
    n_rows = rates.shape[0]
    zeros = np.zeros(n_rows)
    with_constant = np.concatenate([zeros[:, None], rates], axis=1)
    total = np.zeros(n_rows)
    for j, length in enumerate(trajectory.lengths_min):
        a = np.concatenate([(constant[:, j] - level)[:, None], amplitudes[:, j]], axis=1)
        upper = np.full(n_rows, length)
        roots = find_roots(a, with_constant, zeros, upper)
        knots = np.concatenate([zeros[:, None], np.where(np.isnan(roots), upper[:, None], roots), upper[:, None]], 1)
        for k in range(knots.shape[1] - 1):
            left, right = knots[:, k], knots[:, k + 1]
            # The last interval's final piece is unending; there C tends to 0, below the level.
            bounded = np.isfinite(right)
            middle = np.where(bounded, 0.5 * (left + right), 0.0)
            above = bounded & (evaluate_sum(a, with_constant, middle) > 0)
            total += np.subtract(right, left, out=np.zeros(n_rows), where=above)
    return total
