"""A concentration history in closed form: per interval between dose breakpoints, a sum of exponentials.

On interval j (from breakpoint b_j, after its bolus, to b_{j+1}) with infusion rate R_j and modal state x_j:
C(b_j + tau) = sum_i [x_ji exp(-lambda_i tau) - (R_j c_i / lambda_i) expm1(-lambda_i tau)]
             = const_j + sum_i g_ji exp(-lambda_i tau),
with const_j = sum_i R_j c_i / lambda_i and g_ji = x_ji - R_j c_i / lambda_i.
This is exact for any history of boluses and piecewise-constant infusions; nothing is integrated step by step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ketaflow.domain.pk.modes import ModalSystem
from ketaflow.domain.pk.parameters import FloatArray

# Rows of patients evaluated together on the time grid: small enough that a block of output stays in cache.
GRID_ROWS = 32
# Points per block of the time factorisation exp(-lambda (qK + r) h) = exp(-lambda qKh) exp(-lambda rh).
_BLOCK = 128
# A run of grid points is treated as uniform when no point is further than this from the uniform grid
# (relative to the largest time): the factorised values are then those at times off by at most that much.
_UNIFORM_TOLERANCE = 64 * np.finfo(np.float64).eps


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Rows are patients; interval j starts at breakpoints_min[j] and the last one never ends."""

    breakpoints_min: FloatArray  # (B,)
    modes: ModalSystem  # (N, m)
    state: FloatArray  # (N, B, m) modal levels just after breakpoint j, its bolus included
    arriving: FloatArray  # (N, B, m) modal levels just before breakpoint j (the end of interval j - 1)
    input_mg_per_min: FloatArray  # (N, B) infusion rate on interval j

    @property
    def steady(self) -> FloatArray:
        """(N, B, m): the level each mode would settle at under interval j's infusion rate."""
        return (
            self.input_mg_per_min[:, :, None] * (self.modes.coefficients_per_l / self.modes.rates_per_min)[:, None, :]
        )

    def levels(self) -> tuple[FloatArray, FloatArray]:
        """(N, B) const_j and (N, B, m) g_j, the coefficient of exp(-lambda_i tau) on interval j."""
        steady = self.steady
        return sum_modes(steady), self.state - steady

    @property
    def lengths_min(self) -> FloatArray:
        """(B,): interval lengths, the last one infinite."""
        return np.diff(self.breakpoints_min, append=np.inf)


def create_trajectory(
    modes: ModalSystem,
    breakpoints_min: FloatArray,
    bolus_mg: FloatArray,
    rate_mg_per_min: FloatArray,
    initial_state: FloatArray | None = None,
) -> Trajectory:
    """Propagate the modal state exactly from breakpoint to breakpoint (bolus_mg and rate are (N, B))."""
    lam, coef = modes.rates_per_min, modes.coefficients_per_l
    n_rows, n_breaks = rate_mg_per_min.shape
    state = np.empty((n_rows, n_breaks, lam.shape[1]))
    arriving = np.empty_like(state)
    x = np.zeros_like(lam) if initial_state is None else initial_state
    lengths = np.diff(breakpoints_min)
    for j in range(n_breaks):
        arriving[:, j] = x
        x = x + bolus_mg[:, j, None] * coef
        state[:, j] = x
        if j < n_breaks - 1:
            decay = lengths[j] * lam
            # Both terms are >= 0 for a plasma site: no cancellation when the infusion dominates.
            x = x * np.exp(-decay) - rate_mg_per_min[:, j, None] * (coef / lam) * np.expm1(-decay)
    return Trajectory(breakpoints_min, modes, state, arriving, rate_mg_per_min)


def sum_modes(values: FloatArray) -> FloatArray:
    """Sum over the last (mode) axis; with 1 to 4 modes, plain adds beat a reduction over a short axis."""
    total = values[..., 0].copy()
    for i in range(1, values.shape[-1]):
        total += values[..., i]
    return total


def write_on_grid(trajectory: Trajectory, times_min: FloatArray, out: FloatArray, *, factorise: bool = True) -> None:
    """Write (N, T) concentrations (mg/L) at increasing times into `out` (zero before the first dose).

    With `factorise`, long uniform runs of the grid are produced by multiply-adds instead of exponentials.
    """
    slices = _interval_slices(trajectory.breakpoints_min, times_min)
    out[:, : slices[0][0] if slices else None] = 0.0
    scale = max(1.0, float(times_min[-1])) if times_min.size else 1.0
    for j, (first, stop) in enumerate(slices):
        tau = times_min[first:stop] - trajectory.breakpoints_min[j]
        if factorise and stop - first >= _BLOCK and _is_uniform(tau, scale):
            _factorised(trajectory, j, tau, out[:, first:stop])
        else:
            _direct(trajectory, j, tau, out[:, first:stop])


def evaluate_at(trajectory: Trajectory, times_min: FloatArray) -> FloatArray:
    """(N, T) concentrations (mg/L) at increasing times, every exponential evaluated directly."""
    out = np.empty((trajectory.state.shape[0], times_min.shape[0]))
    write_on_grid(trajectory, times_min, out, factorise=False)
    return out


def _interval_slices(breakpoints_min: FloatArray, times_min: FloatArray) -> list[tuple[int, int]]:
    edges = np.searchsorted(times_min, breakpoints_min, side="left").tolist()
    return list(zip(edges, [*edges[1:], times_min.shape[0]][: len(edges)], strict=True))


def _direct(trajectory: Trajectory, j: int, tau: FloatArray, out: FloatArray) -> None:
    steady_all = trajectory.steady[:, j]
    for first in range(0, out.shape[0], GRID_ROWS):
        rows = slice(first, first + GRID_ROWS)
        decay = -trajectory.modes.rates_per_min[rows, None, :] * tau[None, :, None]
        x = trajectory.state[rows, j, None, :]
        out[rows] = (x * np.exp(decay) - steady_all[rows, None, :] * np.expm1(decay)).sum(axis=2)


def _is_uniform(tau: FloatArray, scale: float) -> bool:
    step = (tau[-1] - tau[0]) / (tau.shape[0] - 1)
    nominal = tau[0] + step * np.arange(tau.shape[0])
    return bool(np.abs(tau - nominal).max() <= _UNIFORM_TOLERANCE * scale)


def _factorised(trajectory: Trajectory, j: int, tau: FloatArray, out: FloatArray) -> None:
    """C[p, qK + r] = const[p] + sum_i (g_pi exp(-lambda_pi (tau0 + qKh))) exp(-lambda_pi r h): per patient a
    rank-(m+1) matrix product: the grid is made of multiply-adds, with O(sqrt(n)) exponentials per mode."""
    n_points = tau.shape[0]
    step = (tau[-1] - tau[0]) / (n_points - 1)
    full_blocks, rest = divmod(n_points, _BLOCK)
    n_blocks = full_blocks + (rest > 0)
    lam = trajectory.modes.rates_per_min
    n_modes = lam.shape[1]
    constants, amplitudes = trajectory.levels()
    constant, amplitude = constants[:, j], amplitudes[:, j]
    for first in range(0, lam.shape[0], GRID_ROWS):
        rows = slice(first, first + GRID_ROWS)
        lam_rows = lam[rows]
        n_rows = lam_rows.shape[0]
        left = np.empty((n_rows, n_blocks, n_modes + 1))
        block_decay = _uniform_exp(lam_rows, float(tau[0]), step * _BLOCK, n_blocks)
        left[:, :, :n_modes] = amplitude[rows, None, :] * block_decay.transpose(0, 2, 1)
        left[:, :, n_modes] = constant[rows, None]
        right = np.empty((n_rows, n_modes + 1, _BLOCK))
        right[:, :n_modes, :] = _uniform_exp(lam_rows, 0.0, step, _BLOCK)
        right[:, n_modes, :] = 1.0
        body = out[rows, : full_blocks * _BLOCK].reshape(n_rows, full_blocks, _BLOCK)
        np.matmul(left[:, :full_blocks], right, out=body)
        if rest:
            tail = out[rows, full_blocks * _BLOCK :].reshape(n_rows, 1, rest)
            np.matmul(left[:, full_blocks:], right[:, :, :rest], out=tail)


def _uniform_exp(lam: FloatArray, start: float, step: float, count: int) -> FloatArray:
    """(rows, modes, count): exp(-lam (start + k step)) for k < count, as an outer product of two short
    exponential sequences (k = a S + b), so about 2 sqrt(count) exponentials are computed, not count."""
    stride = math.isqrt(count - 1) + 1
    outer = np.exp(-lam[:, :, None] * (start + step * stride * np.arange(-(-count // stride)))[None, None, :])
    inner = np.exp(-lam[:, :, None] * (step * np.arange(stride))[None, None, :])
    product = outer[:, :, :, None] * inner[:, :, None, :]
    return product.reshape(lam.shape[0], lam.shape[1], -1)[:, :, :count]
