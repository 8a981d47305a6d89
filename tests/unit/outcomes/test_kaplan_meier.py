"""Kaplan-Meier time to relapse against a hand computation, with censoring, the Greenwood interval and the median."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.errors import InputError
from ketaflow.domain.outcomes import estimate_kaplan_meier


def test_curve_matches_the_hand_computation_with_censoring() -> None:
    """Eight series responders, days to relapse (+ = censored): 2, 3, 3+, 5, 6+, 8, 8, 10+.

    time  at risk  relapses  censored  S(t)                     Greenwood sum G = sum d / (n (n - d))
       2        8         1         0  7/8            = 0.875   1/56                          = 0.017857
       3        7         1         1  0.875 * 6/7    = 0.75    + 1/42                        = 0.041667
       5        5         1         0  0.75  * 4/5    = 0.6     + 1/20                        = 0.091667
       6        4         0         1  0.6                      0.091667
       8        3         2         0  0.6   * 1/3    = 0.2     + 2/(3*1)                     = 0.758333
      10        1         0         1  0.2                      0.758333
    (the patient censored at day 3 is still at risk at day 3: relapses come before censoring at a tie).

    95 % log-log interval, z = 1.959964: c = z * sqrt(G) / |ln S|, interval S ** exp(c) .. S ** exp(-c).
      t = 2: ln 0.875 = -0.133531, sqrt(G) = 0.133631, c = 1.961420, exp(c) = 7.109418, exp(-c) = 0.140658
             lower = 0.875 ** 7.109418 = 0.387000, upper = 0.875 ** 0.140658 = 0.981393
      t = 8: ln 0.2 = -1.609438, sqrt(G) = 0.870823, c = 1.060484, exp(c) = 2.887767, exp(-c) = 0.346288
             lower = 0.2 ** 2.887767 = 0.009584, upper = 0.2 ** 0.346288 = 0.572736
    Median: the first time S(t) <= 0.5 is day 8.
    """
    durations = [2, 3, 3, 5, 6, 8, 8, 10]
    relapsed = [True, True, False, True, False, True, True, False]

    curve = estimate_kaplan_meier(durations, relapsed)

    assert curve.times_days == (2.0, 3.0, 5.0, 6.0, 8.0, 10.0)
    assert curve.at_risk == (8, 7, 5, 4, 3, 1)
    assert curve.events == (1, 1, 1, 0, 2, 0)
    assert curve.censored == (0, 1, 0, 1, 0, 1)
    assert curve.survival == pytest.approx((0.875, 0.75, 0.6, 0.6, 0.2, 0.2), abs=1e-12)
    assert (curve.lower[0], curve.upper[0]) == pytest.approx((0.387000, 0.981393), abs=1e-6)
    assert (curve.lower[4], curve.upper[4]) == pytest.approx((0.009584, 0.572736), abs=1e-6)
    assert curve.median_days == 8


def test_median_is_the_time_survival_first_reaches_exactly_one_half() -> None:
    curve = estimate_kaplan_meier([1, 2, 3, 4], [True, True, False, False])

    assert curve.survival[1] == 0.5
    assert curve.median_days == 2


def test_median_is_unknown_while_survival_stays_above_one_half() -> None:
    curve = estimate_kaplan_meier([5, 9, 18, 30], [True, False, False, False])

    assert curve.survival[-1] == 0.75
    assert curve.median_days is None


def test_no_relapse_keeps_survival_at_one_with_a_degenerate_interval() -> None:
    curve = estimate_kaplan_meier([4.5, 9.0], [False, False])

    assert curve.survival == (1.0, 1.0)
    assert (curve.lower, curve.upper) == ((1.0, 1.0), (1.0, 1.0))


def test_when_everyone_at_risk_relapses_survival_and_its_interval_are_zero() -> None:
    curve = estimate_kaplan_meier([3, 3], [True, True])

    assert (curve.survival, curve.lower, curve.upper, curve.median_days) == ((0.0,), (0.0,), (0.0,), 3)


def test_no_patients_give_an_empty_curve() -> None:
    curve = estimate_kaplan_meier([], [])

    assert (curve.times_days, curve.patients, curve.median_days) == ((), 0, None)
    assert curve.to_json()["patients"] == 0


def test_a_wider_confidence_level_widens_the_interval() -> None:
    durations, relapsed = [2, 3, 5, 8], [True, False, True, False]

    narrow = estimate_kaplan_meier(durations, relapsed, confidence_level=0.80)
    wide = estimate_kaplan_meier(durations, relapsed, confidence_level=0.99)

    assert wide.lower[0] < narrow.lower[0] and wide.upper[0] > narrow.upper[0]


@pytest.mark.parametrize(
    ("durations", "relapsed", "confidence_level", "field"),
    [
        ([1.0, 2.0], [True], 0.95, "relapsed"),
        ([1.0, -0.5], [True, True], 0.95, "durations_days[1]"),
        ([float("nan")], [True], 0.95, "durations_days[0]"),
        ([True], [True], 0.95, "durations_days[0]"),
        (["3"], [True], 0.95, "durations_days[0]"),
        ([1.0], [True], 1.0, "confidence_level"),
    ],
    ids=["lengths-differ", "negative", "nan", "bool", "text", "level-1"],
)
def test_bad_input_names_the_field(
    durations: list[object], relapsed: list[bool], confidence_level: float, field: str
) -> None:
    with pytest.raises(InputError) as error:
        # arg-type: the case table passes deliberately wrong element types.
        estimate_kaplan_meier(durations, relapsed, confidence_level=confidence_level)  # type: ignore[arg-type]

    assert error.value.field == field


observations = st.lists(
    st.tuples(st.integers(min_value=0, max_value=120).map(float), st.booleans()), min_size=1, max_size=40
)


@given(observations)
def test_curve_invariants_hold_for_any_follow_up(data: list[tuple[float, bool]]) -> None:
    durations, relapsed = [d for d, _ in data], [r for _, r in data]

    curve = estimate_kaplan_meier(durations, relapsed)

    assert all(a >= b for a, b in zip(curve.survival, curve.survival[1:], strict=False))
    assert all(lo <= s <= up for lo, s, up in zip(curve.lower, curve.survival, curve.upper, strict=True))
    assert all(0.0 <= value <= 1.0 for value in (*curve.lower, *curve.upper))
    assert sum(curve.events) == sum(relapsed) and sum(curve.censored) == len(data) - sum(relapsed)
    following = (*curve.at_risk[1:], 0)
    assert all(
        n - d - c == m for n, d, c, m in zip(curve.at_risk, curve.events, curve.censored, following, strict=True)
    )
