"""Percentile bands of a cohort's concentration curves, exact, streamed in chunks of patients.

Exact quantiles of N values cannot be had in one pass with bounded memory, so the cohort is simulated
several times (the simulation is deterministic): a first pass finds each time's range; counting passes
narrow, for every (time, percentile), the value bracket that holds the wanted order statistic, 64 bins at a
time; a last pass collects the few values left in each bracket and selects exactly. Memory is
O(chunk_size x times x percentiles + times x percentiles x 64), whatever N; the result equals
numpy.percentile(..., method="linear") on the full (N, T) array.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ketaflow.domain.errors import InputError
from ketaflow.domain.pk.cohorts import Progress, check_chunk_size
from ketaflow.domain.pk.doses import Dose
from ketaflow.domain.pk.modes import Site
from ketaflow.domain.pk.parameters import FloatArray
from ketaflow.domain.pk.population import Cohort
from ketaflow.domain.pk.simulation import ModelRef, check_times, get_model, simulate_cohort

_BINS = 64
_COLLECT = 64  # values kept per (time, percentile) bracket in the last pass
GRID_CHUNK = 64
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PercentileBands:
    """values_ng_per_ml[k] is the percentiles[k]-th percentile of the cohort's concentration at each time."""

    model_id: str
    site: str
    times_min: FloatArray
    percentiles: tuple[float, ...]
    values_ng_per_ml: FloatArray
    n_patients: int


def evaluate_percentile_bands(
    model_id: ModelRef,
    cohort: Cohort,
    doses: Sequence[Dose],
    times_min: npt.ArrayLike,
    percentiles: Sequence[float] = (5.0, 50.0, 95.0),
    *,
    site: Site = "plasma",
    chunk_size: int = GRID_CHUNK,
    progress: Progress | None = None,
) -> PercentileBands:
    """Exact percentile bands (numpy's linear method) of the cohort's curves, holding one chunk at a time.

    `progress(done, total)` counts patients simulated over all passes; `total` is revised when the number
    of passes turns out different.
    """
    times = check_times(times_min)
    check_chunk_size(chunk_size)
    q = _quantiles(percentiles)
    n = len(cohort)
    if n == 0:
        raise InputError("cohort", "at least one patient")
    passes = _Passes(model_id, cohort, doses, times, site, chunk_size, progress)
    # numpy's "linear" method, computed as numpy computes it: virtual index (n - 1) q, then _lerp.
    virtual = (n - 1) * q
    lower_rank = np.floor(virtual).astype(np.int64)
    upper_rank = np.minimum(lower_rank + 1, n - 1)
    gamma = virtual - lower_rank

    low, high = passes.ranges()
    shape = (times.shape[0], q.shape[0])
    start = np.broadcast_to(low[:, None], shape).copy()
    stop = np.broadcast_to(np.nextafter(high, np.inf)[:, None], shape).copy()
    below = np.zeros(shape, dtype=np.int64)
    inside = np.full(shape, n, dtype=np.int64)
    while ((inside > _COLLECT) & (stop > np.nextafter(start, np.inf))).any():  # some bracket still open
        start, stop, below, inside = passes.narrow(start, stop, below, inside, lower_rank)
    first, following = passes.collect(start, stop, below, inside, lower_rank, upper_rank)
    passes.finish()
    diff = following - first
    values = first + diff * gamma
    values = np.where(gamma >= 0.5, following - diff * (1 - gamma), values)
    return PercentileBands(
        get_model(model_id).id, site, times, tuple(float(p) for p in percentiles), values.T.copy(), n
    )


class _Passes:
    """Streams the cohort's (chunk, T) curves, pass after pass, and reports progress over all passes."""

    def __init__(
        self,
        model_id: ModelRef,
        cohort: Cohort,
        doses: Sequence[Dose],
        times: FloatArray,
        site: Site,
        chunk_size: int,
        progress: Progress | None,
    ) -> None:
        self.model_id, self.cohort, self.doses, self.times, self.site = model_id, cohort, doses, times, site
        self.chunk_size = chunk_size
        self.progress = progress
        self.done = 0
        self.total = 4 * len(cohort)  # range, two counting passes, collection: the usual count
        self.buffer = np.empty((min(chunk_size, len(cohort)), times.shape[0]))

    def chunks(self) -> Iterator[FloatArray]:
        n = len(self.cohort)
        for first in range(0, n, self.chunk_size):
            chunk = self.cohort.rows(first, first + self.chunk_size)
            block = self.buffer[: len(chunk)]
            simulate_cohort(self.model_id, chunk, self.doses, self.times, block, site=self.site)
            yield block
            self.done += len(chunk)
            self.total = max(self.total, self.done)
            if self.progress is not None:
                self.progress(self.done, self.total)

    def finish(self) -> None:
        """Fewer passes than estimated were needed: say that the work is complete."""
        if self.progress is not None and self.done < self.total:
            self.progress(self.done, self.done)

    def ranges(self) -> tuple[FloatArray, FloatArray]:
        low = np.full(self.times.shape[0], np.inf)
        high = np.full(self.times.shape[0], -np.inf)
        for block in self.chunks():
            np.minimum(low, block.min(axis=0), out=low)
            np.maximum(high, block.max(axis=0), out=high)
        return low, high

    def narrow(
        self, start: FloatArray, stop: FloatArray, below: IntArray, inside: IntArray, rank: IntArray
    ) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
        """One counting pass: each open bracket becomes the one of its 64 sub-brackets that holds the rank."""
        n_times, n_q = start.shape
        edges = start[:, :, None] + (stop - start)[:, :, None] * (np.arange(_BINS + 1) / _BINS)
        edges[:, :, 0], edges[:, :, _BINS] = start, stop
        base = (np.arange(n_times)[:, None] * n_q + np.arange(n_q)[None, :]) * (_BINS + 1)
        counts = np.zeros(n_times * n_q * _BINS, dtype=np.int64)
        flat_edges = edges.reshape(-1)
        is_open = (inside > _COLLECT) & (stop > np.nextafter(start, np.inf))
        for block in self.chunks():
            values = np.broadcast_to(block[:, :, None], (block.shape[0], n_times, n_q))
            in_bracket = (values >= start) & (values < stop) & is_open
            guess = np.floor((values - start) / (stop - start) * _BINS)
            index = np.clip(np.nan_to_num(guess), 0, _BINS - 1).astype(np.int64)
            # Rounding (or, in a bracket a few ulps wide, tied edges) can put a value in the wrong bin: the
            # edges themselves decide, E[j] <= value < E[j + 1]. Only the misplaced values are revisited.
            at = np.flatnonzero(in_bracket)
            flat_values, flat_index = values.reshape(-1)[at], index.reshape(-1)[at]
            flat_base = np.broadcast_to(base, values.shape).reshape(-1)[at]
            _settle(flat_values, flat_index, flat_base, flat_edges)
            counts += np.bincount(flat_base // (_BINS + 1) * _BINS + flat_index, minlength=counts.shape[0])
        counts = counts.reshape(n_times, n_q, _BINS)
        reached = below[:, :, None] + np.cumsum(counts, axis=2) > rank[None, :, None]
        chosen = np.argmax(reached, axis=2)[:, :, None]
        before = np.take_along_axis(np.cumsum(counts, axis=2) - counts, chosen, axis=2)[:, :, 0]
        return (
            np.where(is_open, np.take_along_axis(edges, chosen, axis=2)[:, :, 0], start),
            np.where(is_open, np.take_along_axis(edges, chosen + 1, axis=2)[:, :, 0], stop),
            np.where(is_open, below + before, below),
            np.where(is_open, np.take_along_axis(counts, chosen, axis=2)[:, :, 0], inside),
        )

    def collect(
        self,
        start: FloatArray,
        stop: FloatArray,
        below: IntArray,
        inside: IntArray,
        lower_rank: IntArray,
        upper_rank: IntArray,
    ) -> tuple[FloatArray, FloatArray]:
        """Gather the values left in each bracket and select the two order statistics to interpolate."""
        n_times, n_q = start.shape
        kept = np.full((n_times, n_q, _COLLECT), np.inf)
        filled = np.zeros((n_times, n_q), dtype=np.int64)
        next_above = np.full((n_times, n_q), np.inf)
        small = inside <= _COLLECT
        for block in self.chunks():
            values = np.broadcast_to(block[:, :, None], (block.shape[0], n_times, n_q))
            in_bracket = (values >= start) & (values < stop) & small
            position = filled + np.cumsum(in_bracket, axis=0) - 1
            rows = np.nonzero(in_bracket)
            kept[rows[1], rows[2], position[rows]] = values[rows]
            filled += in_bracket.sum(axis=0)
            np.minimum(next_above, np.where(values >= stop, values, np.inf).min(axis=0), out=next_above)
        kept.sort(axis=2)
        rank_in = lower_rank[None, :] - below
        first = np.where(small, _pick(kept, rank_in), start)
        following_inside = np.where(small, _pick(kept, rank_in + 1), start)
        following = np.where(rank_in + 1 < inside, following_inside, next_above)
        following = np.where(upper_rank[None, :] == lower_rank[None, :], first, following)
        return first, following


def _settle(values: FloatArray, index: IntArray, base: IntArray, edges: FloatArray) -> None:
    """Move each bin index (in place) until edges[base + index] <= value < edges[base + index + 1]."""
    at = np.flatnonzero(values < edges[base + index])
    while at.size:
        index[at] -= 1
        at = at[values[at] < edges[base[at] + index[at]]]
    at = np.flatnonzero(values >= edges[base + index + 1])
    while at.size:
        index[at] += 1
        at = at[values[at] >= edges[base[at] + index[at] + 1]]


def _pick(kept: FloatArray, rank: IntArray) -> FloatArray:
    return np.take_along_axis(kept, np.clip(rank, 0, _COLLECT - 1)[:, :, None], axis=2)[:, :, 0]


def _quantiles(percentiles: Sequence[float]) -> FloatArray:
    q = np.asarray(percentiles, dtype=np.float64)
    if q.ndim != 1 or q.shape[0] == 0:
        raise InputError("percentiles", "a non-empty list of percentiles between 0 and 100", percentiles)
    bad = ~np.isfinite(q) | (q < 0) | (q > 100)
    if bad.any():
        index = int(np.argmax(bad))
        raise InputError(f"percentiles[{index}]", "a percentile between 0 and 100", float(q[index]))
    return np.asarray(np.true_divide(q, 100), dtype=np.float64)
