"""Real roots of sums of exponentials f(tau) = sum_i a_i exp(-lambda_i tau), vectorised over rows.

Isolation is exact in structure: with rates ascending, F(tau) = exp(lambda_1 tau) f(tau) has the same roots as
f, and F' is a sum of one term fewer. Between consecutive roots of F' (found the same way, recursively) F is
monotone, so each such piece holds at most one root, found by Newton's method kept inside a bisection
bracket. A sum of n terms therefore has at most n - 1 roots, and none unless its coefficients change sign.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ketaflow.domain.pk.parameters import FloatArray

_MAX_ITERATIONS = 200
_TOLERANCE = 1e-12  # relative (absolute below 1 min): far finer than any clinical time
# Roots are never sought beyond this (about 19 years); only reached when two rates coincide.
HORIZON_MIN = 1e7
# Margin added to that bound when it stands in for an infinite upper end.
BOUND_MARGIN_MIN = 1.0


def evaluate_sum(a: FloatArray, rates: FloatArray, tau: FloatArray) -> FloatArray:
    """f(tau) per row: a and rates are (M, n), tau is (M,)."""
    terms = a * np.exp(-rates * tau[:, None])
    total = terms[:, 0].copy()
    for i in range(1, terms.shape[1]):
        total += terms[:, i]
    return total


def find_roots(a: FloatArray, rates: FloatArray, lower: FloatArray, upper: FloatArray) -> FloatArray:
    """(M, n - 1): the roots in (lower, upper) of each row, ascending, padded with NaN.

    An infinite upper end is replaced by a bound beyond which the row has no root. Only rows whose
    coefficients change sign can have a root, and only those are worked on.

    >>> a, rates = np.array([[1.0, -2.0]]), np.array([[0.0, np.log(2.0)]])  # 1 - 2 exp(-ln2 tau): root at 1
    >>> find_roots(a, rates, np.array([0.0]), np.array([5.0])).round(12).tolist()
    [[1.0]]
    """
    n_rows, n_terms = a.shape
    roots = np.full((n_rows, max(n_terms - 1, 0)), np.nan)
    rows = _changing_sign(a)
    if rows.size:
        order = np.argsort(rates[rows], axis=1)
        a_rows = np.take_along_axis(a[rows], order, axis=1)
        rates_rows = np.take_along_axis(rates[rows], order, axis=1)
        upper_rows = upper[rows]
        unbounded = ~np.isfinite(upper_rows)
        if unbounded.any():
            upper_rows = np.where(unbounded, root_bound(a_rows, rates_rows) + BOUND_MARGIN_MIN, upper_rows)
        roots[rows] = _isolate(a_rows, rates_rows, lower[rows], upper_rows)
    return roots


def _changing_sign(a: FloatArray) -> npt.NDArray[np.intp]:
    """Rows whose coefficients change sign: only they can have a root (Descartes' rule for exponentials)."""
    if a.shape[1] < 2:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero((a > 0).any(axis=1) & (a < 0).any(axis=1))


def _sorted_roots(a: FloatArray, rates: FloatArray, lower: FloatArray, upper: FloatArray) -> FloatArray:
    """find_roots for rates already ascending and finite ends (the recursion's case): no sorting, no bound."""
    roots = np.full((a.shape[0], max(a.shape[1] - 1, 0)), np.nan)
    rows = _changing_sign(a)
    if rows.size:
        roots[rows] = _isolate(a[rows], rates[rows], lower[rows], upper[rows])
    return roots


def root_bound(a: FloatArray, rates: FloatArray) -> FloatArray:
    """(M,): a time beyond which f has no root (the slowest non-zero term outweighs all faster ones).

    `rates` must be ascending along each row.
    """
    n_terms = a.shape[1]
    nonzero = a != 0.0
    first = np.argmax(nonzero, axis=1)
    lead = np.abs(np.take_along_axis(a, first[:, None], axis=1)[:, 0])
    faster = np.arange(n_terms)[None, :] > first[:, None]
    rest = (np.abs(a) * faster).sum(axis=1)
    following = np.minimum(first + 1, n_terms - 1)
    gap = (np.take_along_axis(rates, following[:, None], axis=1) - np.take_along_axis(rates, first[:, None], axis=1))[
        :, 0
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.log(rest / lead) / gap
    dominated = rest > lead
    bound = np.where(dominated & (gap > 0), bound, np.where(dominated, HORIZON_MIN, 0.0))
    return np.asarray(np.minimum(bound, HORIZON_MIN), dtype=np.float64)


def _isolate(a: FloatArray, rates: FloatArray, lower: FloatArray, upper: FloatArray) -> FloatArray:
    n_rows, n_terms = a.shape
    shifted = rates - rates[:, :1]
    critical = _sorted_roots(-shifted[:, 1:] * a[:, 1:], shifted[:, 1:], lower, upper)
    knots = np.concatenate(
        [lower[:, None], np.where(np.isnan(critical), upper[:, None], critical), upper[:, None]], axis=1
    )
    values = np.stack([evaluate_sum(a, shifted, knots[:, k]) for k in range(n_terms)], axis=1)
    roots = np.full((n_rows, n_terms - 1), np.nan)
    for k in range(n_terms - 1):
        bracketed = np.flatnonzero(values[:, k] * values[:, k + 1] < 0)
        if bracketed.size:
            roots[bracketed, k] = _solve_monotone(
                a[bracketed],
                shifted[bracketed],
                knots[bracketed, k],
                knots[bracketed, k + 1],
                values[bracketed, k],
                values[bracketed, k + 1],
            )
    return np.sort(roots, axis=1)


def _solve_monotone(
    a: FloatArray,
    rates: FloatArray,
    left: FloatArray,
    right: FloatArray,
    value_left: FloatArray,
    value_right: FloatArray,
) -> FloatArray:
    """The single root of a monotone exponential sum in each bracket (left, right), where it changes sign.

    Newton's method on ln(positive terms) - ln(negative terms), which is exact in one step for two terms and
    nearly linear for more, kept inside the shrinking bracket (bisection when a step would leave it).
    """
    sign_left = np.sign(value_left)
    positive, negative = np.maximum(a, 0.0), np.maximum(-a, 0.0)
    x = (left * value_right - right * value_left) / (value_right - value_left)
    active = np.ones(x.shape, dtype=np.bool_)
    iterations = 0
    while active.any() and iterations < _MAX_ITERATIONS:
        decay = np.exp(-rates * x[:, None])
        up, down = (positive * decay).sum(axis=1), (negative * decay).sum(axis=1)
        on_left = np.sign(up - down) == sign_left
        left = np.where(on_left, x, left)
        right = np.where(on_left, right, x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a term underflowed: bisect
            slope = (rates * negative * decay).sum(axis=1) / down - (rates * positive * decay).sum(axis=1) / up
            newton = x - (np.log(up) - np.log(down)) / slope
        step = np.where((newton > left) & (newton < right), newton, 0.5 * (left + right))
        step = np.where(up == down, x, step)
        active = np.abs(step - x) > _TOLERANCE * np.maximum(1.0, np.abs(x))
        x = step
        iterations += 1
    return x
