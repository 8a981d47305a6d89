"""The course timeline on the patient page: every bar, dot and today's line lies on the drawing."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.course import schedule_course
from ketaflow.services.courses import get_course_plan
from ketaflow.web.routes.courses import course_timeline

START = date(2026, 11, 2)


@given(
    gaps_days=st.lists(st.integers(min_value=0, max_value=40), max_size=14),
    extra_days=st.integers(min_value=0, max_value=120),
    plan_id=st.sampled_from(["depression_induction_maintenance", "depression_twice_weekly"]),
)
def test_every_mark_of_the_timeline_is_between_the_start_and_the_end(
    gaps_days: list[int], extra_days: int, plan_id: str
) -> None:
    dates = [START + timedelta(days=sum(gaps_days[: i + 1])) for i in range(len(gaps_days))]
    today = (dates[-1] if dates else START) + timedelta(days=extra_days)
    schedule = schedule_course(get_course_plan(plan_id), start=START, infusion_dates=dates, today=today)

    timeline = course_timeline(schedule, START)

    marks = [timeline["today"]] + [x for row in timeline["rows"] for x in (row["x"], row["x"] + row["width"] - 4)]
    marks += [row["dot"] for row in timeline["rows"] if row["dot"] is not None]
    assert all(0 <= x <= 1000 for x in marks)


def test_a_window_is_placed_by_its_days_from_the_start() -> None:
    # Start and one infusion on 11-02, today 11-02: the span runs to the end of the last projected window.
    schedule = schedule_course(
        get_course_plan("depression_induction_maintenance"), start=START, infusion_dates=[START], today=START
    )

    timeline = course_timeline(schedule, START)

    span_days = (timeline["last"] - START).days
    second = timeline["rows"][1]
    assert second["x"] == round(2 / span_days * 1000, 1)  # infusion 2 opens 2 days after infusion 1
    assert timeline["rows"][0]["dot"] == 0.0
